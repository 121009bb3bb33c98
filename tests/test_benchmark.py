"""benchmarks/benchmark.py: the writer of docs/RESULTS.md, on a tiny fake result (no training)."""

import statistics

from benchmarks import benchmark


def lstm_run(seed, rmse, seconds, fit):
    return {"seed": seed, "seconds": seconds, "files": {}, "metrics": {
        "model_rmse": rmse, "model_mae": rmse - 1, "unit": "pounds per cow", "fit_seconds": fit,
        "best_baseline_on_validation": "seasonal_naive_plus_last_change",
        "baselines": {"seasonal_naive": {"rmse": 15.694, "mae": 12.0},
                      "seasonal_naive_plus_last_change": {"rmse": 6.5, "mae": 5.4}},
    }}


def rnn_run(seed, bits):
    return {"seed": seed, "seconds": 30.0, "files": {}, "metrics": {
        "model_bits_per_char": bits, "fit_seconds": 20.0, "best_ngram": "fourgram",
        "generation": {"carried_vs_keras_max_abs_diff": 2e-6},
        "baselines": {"bigram": {"bits_per_char": 3.45, "k": 0.1}, "fourgram": {"bits_per_char": 2.48, "k": 0.01}},
    }}


def fake_results():
    lstm_runs = [lstm_run(42, 6.40, 12.0, 4.0), lstm_run(1, 6.49, 13.0, 5.0), lstm_run(2, 6.45, 14.0, 6.0)]
    rnn_runs = [rnn_run(42, 2.30), rnn_run(1, 2.40)]
    compare = [{"seed": 42, "seconds": 70.0, "metrics": {"seeds": [42, 1]},
                "files": {"comparison.md": "| task | model |\n| --- | --- |\n| milk | GRU |\n"}}]
    cases = {
        "rnn": {"script": "Case17-1-TF-Recurrent-Neural-Networks-RNN.py", "flags": [], "runs": rnn_runs,
                "targets": benchmark.judge("rnn", rnn_runs)},
        "lstm": {"script": "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py", "flags": [], "runs": lstm_runs,
                 "targets": benchmark.judge("lstm", lstm_runs)},
        "compare": {"script": "Case17-5-TF-Compare-RNN-LSTM-GRU.py", "flags": [], "runs": compare,
                    "targets": benchmark.judge("compare", compare)},
    }
    return {"machine": "Test CPU, 2 cores", "seeds": [42, 1, 2], "command": "python benchmarks/benchmark.py --seeds 42 1 2",
            "cases": cases, "extras": {"speed_regimes": {"title": "Seconds per epoch in two regimes",
                                                         "markdown": "| regime | LSTM |\n| --- | --- |\n| small | 0.1 |",
                                                         "seconds": 12.0, "ok": True},
                                       "bench_loading": {"title": "Load a 100,000-row CSV", "markdown": "```text\n0.5 s PASS\n```",
                                                         "seconds": 3.0, "ok": True}},
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
    verdicts = {d: v for d, v, _ in benchmark.judge("lstm", runs)}
    assert verdicts["test RMSE below seasonal naive"] == "PASS"
    assert verdicts["goal: below seasonal naive + last change"] == "1/2 seeds"  # 6.40 < 6.5, 6.60 is not
    assert verdicts["whole run <= 20 s"] == "1/2 seeds"
    assert verdicts["goal: below SARIMA"].startswith("n/a")  # no sarima in these metrics: not a crash, not a pass
    required = {d: req for d, _, req in benchmark.judge("lstm", runs)}
    assert required["fit <= 10 s"] and not required["goal: below SARIMA"]


def test_summary_table_has_mean_and_sd_over_the_seeds():
    markdown = benchmark.render_results(fake_results())
    header, rows = table_rows(markdown, "## Summary")
    assert header[:4] == ["case", "runs", "fit s", "whole run s"]
    lstm = next(row for row in rows if row[0].startswith("lstm"))
    rmse = [6.40, 6.49, 6.45]
    assert lstm[1] == "3"
    assert f"**{statistics.mean(rmse):.3f} ± {statistics.stdev(rmse):.3f}**" in lstm[4]
    assert "pounds per cow" in lstm[4]
    assert lstm[3] == "13.0 ± 1.0"  # whole run seconds 12, 13, 14
    # baselines best first, with their (zero) spread
    assert lstm[5].index("seasonal naive plus last change 6.500 ± 0.000") < lstm[5].index("seasonal naive 15.694")
    rnn = next(row for row in rows if row[0].startswith("rnn"))
    assert f"**{statistics.mean([2.30, 2.40]):.3f} ± {statistics.stdev([2.30, 2.40]):.3f}** bits/char" == rnn[4]


def test_targets_table_and_required_count():
    markdown = benchmark.render_results(fake_results())
    header, rows = table_rows(markdown, "## Targets")
    assert header == ["case", "target", "kind", "verdict"]
    verdict = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    assert verdict[("lstm", "below SARIMA")] == ("goal", "n/a (not in metrics.json)")
    assert verdict[("lstm", "whole run <= 20 s")] == ("required", "PASS")
    assert verdict[("rnn", "test bits/char below the best n-gram chosen on validation")] == ("required", "PASS")
    assert verdict[("rnn", "carried-state generation equals re-reading from a zero state (<= 1e-5)")] == ("required", "PASS")
    assert verdict[("compare", "whole run <= 180 s")] == ("required", "PASS")
    assert "Required targets: all met." in markdown


def test_a_missed_required_target_is_reported():
    results = fake_results()
    slow = [lstm_run(42, 6.4, 25.0, 4.0)]
    results["cases"]["lstm"].update(runs=slow, targets=benchmark.judge("lstm", slow))
    markdown = benchmark.render_results(results)
    assert "Required targets: 1 not met" in markdown
    assert "| lstm | whole run <= 20 s | required | FAIL |" in markdown


def test_machine_seeds_extras_claims_and_plots_are_written():
    markdown = benchmark.render_results(fake_results())
    assert "Machine: Test CPU, 2 cores" in markdown and "Seeds: 42, 1, 2" in markdown
    assert "`python benchmarks/benchmark.py --seeds 42 1 2`" in markdown
    claim4 = markdown.split("### 4.", 1)[1].split("\n## ", 1)[0]
    assert "| milk | GRU |" in claim4 and "| small | 0.1 |" in claim4  # Case 17-5's table and the speed regimes, under claim 4
    further = markdown.split("## Further measurements", 1)[1].split("\n## ", 1)[0]
    assert "### Load a 100,000-row CSV" in further and "0.5 s PASS" in further and "Seconds per epoch" not in further
    assert "![Case 17-2: the test months](lstm_forecast.png)" in markdown
    _, rows = table_rows(markdown, "### lstm:")
    rmse = [6.40, 6.49, 6.45]
    assert ["model RMSE", f"{statistics.mean(rmse):.3f} ± {statistics.stdev(rmse):.3f}"] in rows


def test_a_case_without_model_scores_gets_timings_only():
    runs = [{"seed": 42, "seconds": 25.0, "files": {}, "metrics": {"timesteps": 40}}]
    results = {"machine": "m", "seeds": [42], "command": "c",
               "cases": {"bptt": {"script": "Case17-6-TF-Backpropagation-Through-Time.py", "flags": [], "runs": runs,
                                  "targets": benchmark.judge("bptt", runs)}}}
    markdown = benchmark.render_results(results)
    assert "| bptt (Case17-6) | 1 | – | 25.0 | see below |  |" in markdown
    assert "| bptt | whole run <= 30 s | required | PASS |" in markdown
    assert "## What the lecture claims, measured" not in markdown  # nothing measured, nothing claimed


def test_jax_comparison_sits_beside_the_tensorflow_run_or_says_it_was_not_measured():
    results = fake_results()
    results["jax"] = {"lstm": lstm_run(42, 6.55, 9.0, 1.5)}
    markdown = benchmark.render_results(results)
    _, rows = table_rows(markdown, "## Optional: the JAX backend")
    assert rows == [["lstm", "4.0", "1.5", "12.0", "9.0", "6.400", "6.550"]]  # seed 42 on TensorFlow, then on JAX
    results["jax"] = {}
    assert "JAX was not installed when this ran, so nothing was measured" in benchmark.render_results(results)
    results.pop("jax")
    assert "JAX" not in benchmark.render_results(results)


def test_text_targets_read_the_best_ngram_chosen_on_validation():
    run = rnn_run(42, 2.50)  # above the 4-gram (2.48), the best on validation, but below the bigram
    verdicts = {d: v for d, v, _ in benchmark.judge("rnn", [run])}
    assert verdicts["test bits/char below the best n-gram chosen on validation"] == "FAIL"
    run["metrics"]["generation"]["carried_vs_keras_max_abs_diff"] = 1e-3
    assert {d: v for d, v, _ in benchmark.judge("rnn", [run])}[
        "carried-state generation equals re-reading from a zero state (<= 1e-5)"] == "FAIL"
