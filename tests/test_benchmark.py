"""benchmarks/: the targets, the writer of docs/RESULTS.md and the command line, on tiny fake results
(no training; the only processes started are a one-line Python and the benchmark's argument check)."""

import json
import statistics
import subprocess
import sys

import pytest

from benchmarks import benchmark, run_cases, targets
from benchmarks.render_results import TEMPLATE, Prose, render_results


def lstm_run(seed, rmse, seconds, fit):
    return {"seed": seed, "seconds": seconds, "files": {}, "metrics": {
        "model_rmse": rmse, "model_mae": rmse - 1, "unit": "pounds per cow", "fit_seconds": fit,
        "best_baseline_on_validation": "seasonal_naive_plus_last_change",
        "baselines": {"seasonal_naive": {"rmse": 15.694, "mae": 12.0},
                      "seasonal_naive_plus_last_change": {"rmse": 6.5, "mae": 5.4}},
        "reference": {"verdict": "no clear difference"},
    }}


def rnn_run(seed, bits):
    return {"seed": seed, "seconds": 30.0, "files": {}, "metrics": {
        "model_bits_per_char": bits, "pick_bits_per_char": bits - 0.1, "fit_seconds": 20.0,
        "best_ngram": "fourgram",
        "generation": {"carried_vs_keras_max_abs_diff": 2e-6},
        "baselines": {"bigram": {"bits_per_char": 3.45, "k": 0.1},
                      "fourgram": {"bits_per_char": 2.48, "k": 0.01}},
    }}


def fake_results():
    lstm_runs = [lstm_run(42, 6.40, 12.0, 4.0), lstm_run(1, 6.49, 13.0, 5.0), lstm_run(2, 6.45, 14.0, 6.0)]
    rnn_runs = [rnn_run(42, 2.30), rnn_run(1, 2.40)]
    compare = [{"seed": 42, "seconds": 70.0, "metrics": {"seeds": [42, 1]},
                "files": {"comparison.md": "| task | model |\n| --- | --- |\n| milk | GRU |\n"}}]
    cases = {
        "rnn": {"script": "Case17-1-TF-Recurrent-Neural-Networks-RNN.py", "flags": [], "runs": rnn_runs,
                "targets": targets.judge("rnn", rnn_runs)},
        "lstm": {"script": "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py", "flags": [], "runs": lstm_runs,
                 "targets": targets.judge("lstm", lstm_runs)},
        "compare": {"script": "Case17-5-TF-Compare-RNN-LSTM-GRU.py", "flags": [], "runs": compare,
                    "targets": targets.judge("compare", compare)},
    }
    extras = {
        "speed_regimes": {"title": "Seconds per epoch in two regimes", "seconds": 12.0, "ok": True,
                          "markdown": "| regime | LSTM |\n| --- | --- |\n| small | 0.1 |"},
        "bench_loading": {"title": "Load a 100,000-row CSV", "seconds": 3.0, "ok": True,
                          "markdown": "```text\n0.5 s PASS\n```"},
    }
    return {"machine": "Test CPU, 2 cores", "seeds": [42, 1, 2],
            "command": "python benchmarks/benchmark.py --seeds 42 1 2", "cases": cases, "extras": extras,
            "plots": [("lstm_forecast.png", "Case 17-2: the test months")]}


def table_rows(markdown, heading):
    """The rows (lists of cells) of the first table after `heading`."""
    lines = markdown.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[0], rows[2:]  # header, body (without the --- line)


def test_judge_gives_pass_fail_some_seeds_and_missing_keys():
    runs = [lstm_run(42, 6.40, 12.0, 4.0), lstm_run(1, 6.60, 25.0, 5.0)]
    verdicts = {d: v for d, v, _ in targets.judge("lstm", runs)}
    assert verdicts["test RMSE below seasonal naive"] == "PASS"
    assert verdicts["goal: below seasonal naive + last change"] == "1/2 seeds"  # 6.40 < 6.5, 6.60 is not
    assert verdicts["whole run <= 20 s"] == "1/2 seeds"
    # no sarima in these metrics: not a crash, not a pass
    assert verdicts["goal: below SARIMA"].startswith("n/a")
    required = {d: req for d, _, req in targets.judge("lstm", runs)}
    assert required["whole run <= 20 s"] and not required["goal: below SARIMA"]


def test_summary_table_has_mean_and_sd_over_the_seeds():
    markdown = render_results(fake_results())
    header, rows = table_rows(markdown, "## Summary")
    assert header[:4] == ["case", "runs", "fit s", "whole run s"]
    lstm = next(row for row in rows if row[0].startswith("lstm"))
    rmse = [6.40, 6.49, 6.45]
    assert lstm[1] == "3"
    assert f"**{statistics.mean(rmse):.3f} ± {statistics.stdev(rmse):.3f}**" in lstm[4]
    assert "pounds per cow" in lstm[4]
    assert lstm[3] == "13.0 ± 1.0"  # whole run seconds 12, 13, 14
    # baselines best first, with their (zero) spread
    best, worse = "seasonal naive plus last change 6.500 ± 0.000", "seasonal naive 15.694"
    assert lstm[5].index(best) < lstm[5].index(worse)
    rnn = next(row for row in rows if row[0].startswith("rnn"))
    bits = [2.30, 2.40]
    picks = [b - 0.1 for b in bits]  # rnn_run's pick: the mixture, 0.1 below the SimpleRNN
    assert rnn[4] == (f"**{statistics.mean(bits):.3f} ± {statistics.stdev(bits):.3f}** bits/char "
                      f"(pick: {statistics.mean(picks):.3f} ± {statistics.stdev(picks):.3f})")


def test_targets_table_and_required_count():
    markdown = render_results(fake_results())
    header, rows = table_rows(markdown, "## Targets")
    assert header == ["case", "target", "kind", "verdict"]
    verdict = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    assert verdict[("lstm", "below SARIMA")] == ("goal", "n/a (not in metrics.json)")
    assert verdict[("lstm", "whole run <= 20 s")] == ("required", "PASS")
    for target in ("test bits/char below the best n-gram chosen on validation",
                   "carried-state generation equals re-reading from a zero state (<= 1e-5)"):
        assert verdict[("rnn", target)] == ("required", "PASS")
    assert verdict[("compare", "whole run <= 180 s")] == ("required", "PASS")
    assert "Required targets: all met." in markdown


def test_a_missed_required_target_is_reported():
    results = fake_results()
    slow = [lstm_run(42, 6.4, 25.0, 4.0)]
    results["cases"]["lstm"].update(runs=slow, targets=targets.judge("lstm", slow))
    markdown = render_results(results)
    assert "Required targets: 1 not met" in markdown
    assert "| lstm | whole run <= 20 s | required | FAIL |" in markdown


def test_machine_seeds_extras_claims_and_plots_are_written():
    markdown = render_results(fake_results())
    assert "Machine: Test CPU, 2 cores" in markdown and "Seeds: 42, 1, 2" in markdown
    assert "`python benchmarks/benchmark.py --seeds 42 1 2`" in markdown
    claim4 = markdown.split("### 4.", 1)[1].split("\n## ", 1)[0]
    # Case 17-5's table and the speed regimes, under claim 4
    assert "| milk | GRU |" in claim4 and "| small | 0.1 |" in claim4
    further = markdown.split("## Further measurements", 1)[1].split("\n## ", 1)[0]
    assert "### Load a 100,000-row CSV" in further and "0.5 s PASS" in further
    assert "Seconds per epoch" not in further
    assert "![Case 17-2: the test months](lstm_forecast.png)" in markdown
    _, rows = table_rows(markdown, "### lstm:")
    rmse = [6.40, 6.49, 6.45]
    assert ["model RMSE", f"{statistics.mean(rmse):.3f} ± {statistics.stdev(rmse):.3f}"] in rows


def test_a_case_without_model_scores_gets_timings_only():
    runs = [{"seed": 42, "seconds": 25.0, "files": {}, "metrics": {"timesteps": 40}}]
    results = {"machine": "m", "seeds": [42], "command": "c",
               "cases": {"bptt": {"script": "Case17-6-TF-Backpropagation-Through-Time.py", "flags": [],
                                  "runs": runs, "targets": targets.judge("bptt", runs)}}}
    markdown = render_results(results)
    assert "| bptt (Case17-6) | 1 | – | 25.0 | see below |  |" in markdown
    assert "| bptt | whole run <= 30 s | required | PASS |" in markdown
    assert "## What the lecture claims, measured" not in markdown  # nothing measured, nothing claimed


def test_jax_comparison_sits_beside_the_tensorflow_run_or_says_it_was_not_measured():
    results = fake_results()
    results["jax"] = {"lstm": lstm_run(42, 6.55, 9.0, 1.5)}
    markdown = render_results(results)
    _, rows = table_rows(markdown, "## Optional: the JAX backend")
    # seed 42 on TensorFlow, then on JAX
    assert rows == [["lstm", "4.0", "1.5", "12.0", "9.0", "6.400", "6.550"]]
    results["jax"] = {}
    assert "JAX was not installed when this ran, so nothing was measured" in render_results(results)
    results.pop("jax")
    assert "JAX" not in render_results(results)


def test_text_targets_read_the_best_ngram_chosen_on_validation():
    run = rnn_run(42, 2.50)  # above the 4-gram (2.48), the best on validation, but below the bigram
    verdicts = {d: v for d, v, _ in targets.judge("rnn", [run])}
    assert verdicts["test bits/char below the best n-gram chosen on validation"] == "FAIL"
    run["metrics"]["generation"]["carried_vs_keras_max_abs_diff"] = 1e-3
    assert {d: v for d, v, _ in targets.judge("rnn", [run])}[
        "carried-state generation equals re-reading from a zero state (<= 1e-5)"] == "FAIL"


# ----- each target reads the metrics.json keys it names --------------------------------------------

def full_metrics():
    """One run's metrics with every key any target reads (the names the cases write)."""
    return {
        "rnn": {"model_bits_per_char": 2.3, "pick_bits_per_char": 2.2, "best_ngram": "fourgram",
                "baselines": {"bigram": {"bits_per_char": 3.4}, "fourgram": {"bits_per_char": 2.5}},
                "generation": {"carried_vs_keras_max_abs_diff": 2e-6}},
        "lstm": {"model_rmse": 6.0, "fit_seconds": 3.0,
                 "best_baseline_on_validation": "seasonal_naive_plus_last_change",
                 "baselines": {"seasonal_naive": {"rmse": 15.7},
                               "seasonal_naive_plus_last_change": {"rmse": 6.5}, "sarima": {"rmse": 6.26}},
                 "reference": {"verdict": "no clear difference"}},
        "gru": {"model_rmse": 2.14, "fit_seconds": 7.0, "best_baseline_on_validation": "mean_last_7",
                "baselines": {"persistence": {"rmse": 2.48}, "mean_last_7": {"rmse": 2.59},
                              "ridge": {"rmse": 2.17}},
                "reference": {"verdict": "better"}},
        "gradients": {"adding_test_mse": {"GRU": {"10": 0.003, "100": 0.0075}}},
    }


def remove(metrics, dotted):
    """A copy of `metrics` without the key `dotted` names.

    `*` stands for every entry of a level, `<key>` for the entry whose name is stored under metrics[key].
    """
    metrics = json.loads(json.dumps(metrics))
    *parents, last = dotted.split(".")
    level = [metrics]
    for part in parents:
        if part == "*":
            level = [child for d in level for child in d.values()]
        elif part.startswith("<"):
            level = [d[metrics[part[1:-1]]] for d in level]
        else:
            level = [d[part] for d in level]
    for d in level:
        del d[last]
    return metrics


def verdicts_of(case, metrics, seconds=10.0):
    """{label: verdict} for one run of `case`."""
    verdicts = targets.judge(case, [{"metrics": metrics, "seconds": seconds}])
    return {label: verdict for label, verdict, _ in verdicts}


@pytest.mark.parametrize("case", ["rnn", "lstm", "gru", "gradients"])
def test_every_target_reads_the_keys_it_names(case):
    metrics = full_metrics()[case]
    judged = verdicts_of(case, metrics)
    for target in targets.TARGETS[case]:
        assert judged[target.label] in ("PASS", "FAIL")  # every key present: judged, not n/a
        for key in target.reads:  # any one of them missing: n/a, never a pass
            missing = verdicts_of(case, remove(metrics, key))
            assert missing[target.label] == "n/a (not in metrics.json)", key


def test_targets_judge_their_limits_and_a_goal_is_not_required():
    gru = full_metrics()["gru"]
    # 2.14 <= 2.15 and below ridge's 2.17
    assert verdicts_of("gru", gru)["goal: RMSE <= 2.15 and below ridge"] == "PASS"
    assert verdicts_of("gru", {**gru, "model_rmse": 2.16})["goal: RMSE <= 2.15 and below ridge"] == "FAIL"
    assert verdicts_of("gru", {**gru, "fit_seconds": 10.5})["fit <= 10 s"] == "FAIL"
    assert verdicts_of("gru", gru, seconds=20.0)["whole run <= 20 s"] == "PASS"
    assert verdicts_of("gru", gru, seconds=20.1)["whole run <= 20 s"] == "FAIL"
    adding = full_metrics()["gradients"]
    label = "goal: the GRU solves the adding problem at T = 100 (test MSE < 0.01)"
    assert verdicts_of("gradients", adding)[label] == "PASS"
    adding["adding_test_mse"]["GRU"]["100"] = 0.01
    assert verdicts_of("gradients", adding)[label] == "FAIL"
    judged = targets.judge("gradients", [{"metrics": adding, "seconds": 1}])
    required = {label: req for label, _, req in judged}
    assert required == {"whole run <= 180 s": True, label: False}


# ----- the test suite's timing --------------------------------------------------------------------

def test_suite_timing_is_judged_against_150_s_required_and_120_s_goal_on_2_cores():
    def verdicts(seconds, cores=2, returncode=0):
        suite = {"seconds": seconds, "cores": cores, "returncode": returncode}
        return [(label, verdict, required) for label, verdict, required in targets.judge_suite(suite)]

    assert verdicts(110.0) == [("python -m pytest -q <= 150 s on 2 cores", "PASS", True),
                               ("goal: python -m pytest -q <= 120 s on 2 cores", "PASS", False)]
    assert [v for _, v, _ in verdicts(130.0)] == ["PASS", "FAIL"]
    assert [v for _, v, _ in verdicts(151.0)] == ["FAIL", "FAIL"]
    # a time from another machine size, or from a suite that failed, says nothing about the target
    assert [v for _, v, _ in verdicts(60.0, cores=16)] == ["n/a (timed on 16 cores)"] * 2
    assert [v for _, v, _ in verdicts(60.0, returncode=1)] == ["n/a (pytest exit code 1)"] * 2
    # stopped at the benchmark's limit: judged on the time it had run, longer than either target
    stopped = {"seconds": 600.2, "cores": 2, "returncode": None, "timed_out": True}
    assert [v for _, v, _ in targets.judge_suite(stopped)] == ["FAIL", "FAIL"]


def test_suite_row_is_rendered_and_counts_among_the_required_targets():
    results = fake_results()
    assert "## Test suite" not in render_results(results)  # no --suite: the page as before
    suite = {"command": "python -m pytest -q", "cores": 2, "seconds": 151.2, "returncode": 0,
             "last_line": "212 passed in 150.80s (0:02:30)"}
    results["suite"] = {**suite, "targets": targets.judge_suite(suite)}
    markdown = render_results(results)
    assert "| suite | python -m pytest -q <= 150 s on 2 cores | required | FAIL |" in markdown
    assert "| suite | python -m pytest -q <= 120 s on 2 cores | goal | FAIL |" in markdown
    assert "Required targets: 1 not met" in markdown  # every case target passes; the suite does not
    section = markdown.split("## Test suite", 1)[1].split("\n## ", 1)[0]
    assert "on 2 cores: 151.2 s, exit code 0" in section and "212 passed in 150.80s" in section
    results["suite"].update(seconds=600.3, returncode=None, timed_out=True, last_line="stopped after 600 s")
    section = render_results(results).split("## Test suite", 1)[1].split("\n## ", 1)[0]
    assert "still running after 600.3 s, when the benchmark stopped it" in section
    assert "exit code" not in section


def test_run_suite_times_one_process_and_keeps_its_last_line_and_exit_code():
    done = run_cases.run_suite("python -c \"print('noise'); print('3 passed in 0.01s')\"")
    assert done["last_line"] == "3 passed in 0.01s" and done["returncode"] == 0
    assert 0 < done["seconds"] < 60 and done["cores"] >= 1
    assert run_cases.run_suite("python -c 'raise SystemExit(3)'")["returncode"] == 3
    stopped = run_cases.run_suite("python -c 'import time; time.sleep(30)'", timeout=1)
    assert stopped["timed_out"] and stopped["returncode"] is None and 1 <= stopped["seconds"] < 30


# ----- running: the command lines, the extra scripts ----------------------------------------------

def test_case_command_passes_the_seeds_as_each_case_uses_them(tmp_path):
    each = run_cases.case_command("lstm", 1, [42, 1, 2], tmp_path)
    assert each[2:] == ["--no-show", "--seed", "1", "--output-dir", str(tmp_path)]
    inside = run_cases.case_command("compare", 42, [42, 1, 2], tmp_path)
    assert inside[2:] == ["--no-show", "--seeds", "42", "1", "2", "--output-dir", str(tmp_path)]
    # --quick chooses its own seeds
    quick = run_cases.case_command("compare-quick", 42, [42, 1, 2], tmp_path)
    assert quick[2:] == ["--no-show", "--output-dir", str(tmp_path), "--quick"]


def test_the_benchmarks_own_modules_never_run_as_extra_scripts():
    default = [path.stem for path, _ in run_cases.present_extras([])]
    everything = [path.stem for path, _ in run_cases.present_extras(["all"])]
    own = {"benchmark", "run_cases", "targets", "render_results"}
    assert "speed_regimes" in default and not any(name.startswith("choose_") for name in default)
    assert "choose_gru" in everything and "memory_seeds" not in everything  # rebuilt from the case's own runs
    assert not own & set(everything)


# ----- the prose comes from the template ----------------------------------------------------------

def test_the_words_come_from_the_template(tmp_path):
    template = tmp_path / "RESULTS.template.md"
    original = TEMPLATE.read_text(encoding="utf-8")
    changed = original.replace("Goals are reported as they are; a goal not met is not hidden.",
                               "Goals are listed too.")
    assert changed != original
    template.write_text(changed, encoding="utf-8")
    markdown = render_results(fake_results(), template=template)
    assert "Goals are listed too." in markdown and "a goal not met is not hidden" not in markdown
    restored = markdown.replace("Goals are listed too.",
                                "Goals are reported as they are; a goal not met is not hidden.")
    assert restored == render_results(fake_results())


def test_template_blocks_are_read_by_name_and_a_missing_or_doubled_block_is_an_error(tmp_path):
    prose = Prose()
    assert prose.lines("plot", caption="A plot", path="a.png") == ["![A plot](a.png)", "", "*A plot.*"]
    with pytest.raises(KeyError, match="no block 'nonexistent'"):
        prose.text("nonexistent")
    doubled = tmp_path / "doubled.md"
    doubled.write_text("<!-- block: a -->\none\n<!-- block: a -->\ntwo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="appears twice"):
        Prose(doubled)


# ----- the command line ---------------------------------------------------------------------------

def test_render_only_rewrites_the_markdown_from_the_saved_results(tmp_path, monkeypatch, capsys):
    results = fake_results()
    (tmp_path / "results.json").write_text(json.dumps({**results, "full_run": False}), encoding="utf-8")
    monkeypatch.setattr(benchmark, "RESULTS", tmp_path)
    out = tmp_path / "RESULTS.md"
    monkeypatch.setattr(sys, "argv", ["benchmark.py", "--render-only", "--results", str(out)])
    with pytest.raises(SystemExit, match="written: "):
        benchmark.main()
    assert out.read_text(encoding="utf-8") == render_results(json.loads(json.dumps(results)))
    # the saved run measured only some cases: docs/RESULTS.md is not rewritten from it
    monkeypatch.setattr(sys, "argv", ["benchmark.py", "--render-only"])
    with pytest.raises(SystemExit) as stopped:
        benchmark.main()
    assert stopped.value.code == 2 and "give --results PATH" in capsys.readouterr().err
    (tmp_path / "results.json").unlink()
    with pytest.raises(SystemExit) as stopped:
        benchmark.main()
    assert stopped.value.code == 2
    assert "run the benchmark once before --render-only" in capsys.readouterr().err


def test_suite_only_with_case_names_is_refused_before_anything_runs():
    done = subprocess.run([sys.executable, "benchmarks/benchmark.py", "--suite-only", "lstm"],
                          capture_output=True, text=True, cwd=benchmark.REPO_ROOT)
    assert done.returncode == 2 and "--suite-only runs no case" in done.stderr
    assert "Traceback" not in done.stderr
