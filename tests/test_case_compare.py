"""Case 17-5 (compare SimpleRNN, LSTM, GRU) with --quick: the table, the parameter formulas, the verdicts
against each task's reference, and the protocol."""

import re

import pandas as pd
import pytest
from conftest import WEEK17, assert_clean_failure, read_metrics, start_script

from utils.forecasting import metrics
from utils.forecasting.settings import MILK, TEMPERATURE
from utils.forecasting.tasks import milk_task, temperature_task
from utils.recurrent import parameters
from utils.showing import plotting

SCRIPT = "Case17-5-TF-Compare-RNN-LSTM-GRU.py"
CELLS = ("SimpleRNN", "LSTM", "GRU")
SETTINGS = {"milk": MILK, "temperatures": TEMPERATURE}


def start_runs(tmp_path_factory):
    """The bad-flag run, in the background (the --quick run is started with the session, in conftest)."""
    return {"bad seeds": start_script(SCRIPT, "--seeds", "one")}


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    """(output folder, CompletedProcess) of the --quick run the session started at its start (conftest)."""
    return quick_runs("Case17-5")


@pytest.fixture(scope="module")
def tasks():
    return {task.name: task for task in (milk_task(), temperature_task())}


def step_block(stdout, step):
    """The lines of step [step], from its numbered line up to the next numbered line (or the end)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"[{step}] "))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"\[\d+\] ", lines[i])), len(lines))
    return lines[start:end]


def test_quick_run_writes_the_table_csv_chart_and_metrics(quick_run):
    out, result = quick_run
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("comparison.csv", "comparison.md", "comparison.png", "metrics.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 6 and set(table.cell) == set(CELLS)
    assert (table.seconds_per_epoch > 0).all() and (table.rmse_mean > 0).all() and (table.epochs >= 1).all()
    assert "(to beat)" in result.stdout and "the reference with the lowest validation RMSE" in result.stdout


def test_the_trace_numbers_each_step_once_without_a_gap_in_lines_of_120_characters(quick_run):
    _, result = quick_run
    numbers = [int(m.group(1)) for m in re.finditer(r"^\[(\d+)\] ", result.stdout, flags=re.MULTILINE)]
    assert numbers == list(range(1, 7))
    too_long = [line for line in result.stdout.splitlines() if len(line) > 120]
    assert too_long == []
    assert "retracing" not in result.stderr  # forecasts do not compile a predict function per model


def test_each_task_runs_its_cases_protocol_with_its_cases_settings(quick_run, tasks):
    """The case's window, units, learning rate, batch size and epochs per origin (a third in --quick), as the
    run printed them, equal utils/forecasting/settings.py; the epoch count is chosen at the origins (no early
    stopping), so no network's chosen count exceeds the epochs per origin."""
    out, result = quick_run
    printed = "\n".join(step_block(result.stdout, 1))
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    for name, settings in SETTINGS.items():
        epochs = max(1, settings.max_epochs // 3)
        assert (f"window {settings.window}, {settings.units} units, Adam {settings.learning_rate:g}, "
                f"batch {settings.batch_size}, {epochs} epochs at each origin") in printed
        assert tasks[name].settings == {"window": settings.window, "units": settings.units,
                                        "learning_rate": settings.learning_rate,
                                        "batch_size": settings.batch_size, "epochs": settings.max_epochs}
        assert (table.loc[name, "epochs"] <= epochs).all() and (table.loc[name, "epochs"] >= 1).all()
        task = tasks[name]
        assert len(task.origins) == 2 and task.origins[-1].validation[-1] < task.first_test
    assert "the target (seasonal or seasonal-diff), the epoch count" in printed
    source = (WEEK17 / SCRIPT).read_text(encoding="utf-8")
    assert "EarlyStopping" not in source and "run_cell(" in source


def test_the_validation_column_sits_beside_the_test_column(quick_run, tasks):
    out, result = quick_run
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    assert (table.val_rmse_mean > 0).all()
    md = (out / "comparison.md").read_text(encoding="utf-8").splitlines()
    header = [cell.strip() for cell in md[0].strip("|").split("|")]
    assert header[-2:] == ["validation RMSE (seed 42)", "test RMSE (seed 42)"]
    rows = {tuple(c.strip() for c in line.strip("|").split("|")[:2]): line.strip("|").split("|")
            for line in md[2:] if line.startswith("|")}
    for name, task in tasks.items():
        for cell in CELLS:
            shown = rows[(name, cell)]
            # printed to 3 decimals (the CSV keeps 4, so a half can round either way)
            assert float(shown[-2]) == pytest.approx(table.loc[(name, cell), "val_rmse_mean"], abs=6e-4)
            assert float(shown[-1]) == pytest.approx(table.loc[(name, cell), "rmse_mean"], abs=6e-4)
        for baseline, forecast in task.baselines.items():
            key = next(k for k in rows if k[0] == name and k[1].startswith(f"baseline: {baseline}"))
            assert float(rows[key][-2]) == pytest.approx(task.baseline_validation_rmse[baseline], abs=5e-4)
            assert float(rows[key][-1]) == pytest.approx(metrics.rmse(task.actual, forecast), abs=5e-4)
    m = read_metrics(out)
    milk = m["results"]["milk"]
    written = milk["SimpleRNN"]["val_rmse_mean"]
    # the CSV keeps 4 decimals
    assert written == pytest.approx(table.loc[("milk", "SimpleRNN"), "val_rmse_mean"], abs=1e-4)


def test_the_references_are_scored_at_the_origins_before_the_test(tasks):
    """Every reference has a mean validation RMSE over the origins; the milk's include SARIMA, the
    temperatures' the ridge; the simple baseline to beat is the lowest of the simple ones."""
    milk, temperatures = tasks["milk"], tasks["temperatures"]
    assert set(milk.baseline_validation_rmse) == set(milk.baselines)
    assert "SARIMA(0,1,1)(0,1,1,12)" in milk.baselines and "ridge (same inputs)" in temperatures.baselines
    assert set(temperatures.baseline_validation_rmse) == set(temperatures.baselines)
    simple = {k: v for k, v in temperatures.baseline_validation_rmse.items() if k != "ridge (same inputs)"}
    assert min(simple, key=simple.get) == temperatures.choices["best_baseline"]
    for task in tasks.values():
        assert len(task.actual) == len(task.test_steps) == len(task.test_dates)
        assert task.test_steps[0] >= task.first_test


def test_one_seed_shows_single_values_and_says_so(quick_run):
    out, result = quick_run
    table_block = step_block(result.stdout, 4)
    assert not any("±" in line for line in table_block)
    assert "One seed (42): single values, no spread" in result.stdout
    assert "± 0.000" not in (out / "comparison.md").read_text(encoding="utf-8")


def test_every_network_is_judged_against_the_reference_chosen_on_validation(quick_run, tasks):
    """Each task's reference is its lowest validation RMSE among all baselines (the ridge included); each
    cell's verdict follows its test RMSE against the reference's; the closing line says what the verdicts
    say, plainly when every network loses."""
    out, result = quick_run
    m = read_metrics(out)
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    block = "\n".join(step_block(result.stdout, 5))
    for name, task in tasks.items():
        reference = min(task.baseline_validation_rmse, key=task.baseline_validation_rmse.get)
        reference_rmse = metrics.rmse(task.actual, task.baselines[reference])
        written = m["results"][name]["reference"]
        assert written["name"] == reference and written["rmse"] == pytest.approx(reference_rmse)
        verdicts = {cell: m["results"][name][cell]["verdicts"] for cell in CELLS}
        for cell, (word,) in verdicts.items():  # one seed: one verdict per cell, by the Diebold-Mariano test
            cell_rmse = table.loc[(name, cell), "rmse_mean"]
            if word == "better":
                assert cell_rmse < reference_rmse
                said = rf"the {cell} is more accurate than the {re.escape(reference)}, RMSE"
            elif word == "worse":
                assert cell_rmse > reference_rmse
                said = rf"the {re.escape(reference)} is more accurate than the {cell}, RMSE"
            else:
                assert word == "no clear difference"
                said = rf"no clear difference between the {cell} and the {re.escape(reference)}"
            assert re.search(said, " ".join(block.split())), (cell, word)
        closing = re.search(rf"^  => {name}: (.*)$", block, flags=re.MULTILINE).group(1)
        words = {word for (word,) in verdicts.values()}
        if words == {"worse"}:
            assert closing == f"every network loses to {reference}."
        elif words == {"better"}:
            assert closing == f"every network beats {reference}."
        elif words == {"no clear difference"}:
            assert closing.startswith(f"no network can be told apart from {reference}")
        else:
            said = {"better": "beats it", "worse": "loses to it",
                    "no clear difference": "cannot be told apart from it"}
            assert closing == "; ".join(f"{c} {said[w]}" for c, (w,) in verdicts.items()) + "."
    assert m["results"]["temperatures"]["reference"]["name"] == "ridge (same inputs)"  # better on validation


def test_the_timing_note_appears_when_start_up_dominates(quick_run):
    out, result = quick_run
    table = pd.read_csv(out / "comparison.csv")
    share = 100 * table.first_epoch_seconds.sum() / table.fit_seconds.sum()  # one seed: runs = rows
    note = " ".join(step_block(result.stdout, 4))
    assert ("Timing note:" in note) == (share > 50 or table.timed_epochs.min() < 5)
    if "Timing note:" in note:
        near = "|".join(str(round(share) + d) for d in (-1, 0, 1))
        assert re.search(rf"took ({near}) % of all fit time", note)
        assert f"as few as {int(table.timed_epochs.min())} later epoch(s)" in note


def test_parameter_counts_follow_the_formulas(quick_run, tasks):
    out, _ = quick_run
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    for task in tasks.values():
        units, features = task.settings["units"], task.n_features
        for cell in CELLS:
            dense = units + 1
            expected = parameters.recurrent_param_count(cell, units, features) + dense
            assert table.loc[(task.name, cell), "params"] == expected
    # the lecture's claim, in numbers: a GRU has fewer parameters than an LSTM of the same size
    assert table.loc[("milk", "GRU"), "params"] < table.loc[("milk", "LSTM"), "params"]


def test_metrics_json_holds_every_cell_and_the_baselines(quick_run, tasks):
    out, _ = quick_run
    m = read_metrics(out)
    assert m["quick"] is True and m["seeds"] == [42]
    task = tasks["temperatures"]
    assert set(m["results"]["milk"]) == {*CELLS, "baselines", "best_baseline", "reference"}
    assert m["results"]["temperatures"]["best_baseline"] == task.choices["best_baseline"]
    persistence = metrics.rmse(task.actual, task.baselines["persistence"])
    temperatures = m["results"]["temperatures"]
    assert temperatures["baselines"]["persistence"]["rmse"] == pytest.approx(persistence, abs=1e-5)
    assert temperatures["baselines"]["persistence"]["validation_rmse"] == pytest.approx(
        task.baseline_validation_rmse["persistence"])


def test_the_chart_draws_every_reference_in_its_own_style_and_dots_on_a_marked_zoomed_axis(tmp_path):
    table = pd.DataFrame({
        "task": ["temperatures"] * 3, "cell": list(CELLS), "params": [4417, 17473, 13313],
        "seconds_per_epoch": [0.1, 0.2, 0.2], "rmse_mean": [2.153, 2.231, 2.154], "rmse_sd": [0.0] * 3})
    references = {"persistence": 2.479, "mean of the last 7 days": 2.594, "same day last year": 3.738,
                  "ridge (same inputs)": 2.170}
    fig = plotting.plot_comparison(table, [("temperatures", "°C", references)],
                                   references={"temperatures": "ridge (same inputs)"})
    ax = fig.axes[0]
    styles = [(str(line.get_linestyle()), str(line.get_color())) for line in ax.get_lines()]
    assert len(ax.get_lines()) == len(references) and len(set(styles)) == len(references)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "ridge (same inputs) (2.17) (to beat)" in labels
    assert "same day last year (3.74), above the axis" in labels  # far above: named, not drawn
    assert not ax.patches  # dots, not bars, on an axis that does not start at 0
    assert ax.get_ylim()[0] > 0 and "does not start at 0" in ax.get_title()
    assert all(a.get_ylim()[0] == 0 for a in fig.axes[1:])  # time and parameters: bars from 0
    plotting.save_figure(fig, tmp_path / "comparison.png")


def test_bad_seeds_flag_is_one_clear_line(started):
    assert_clean_failure(started[__name__]["bad seeds"].result(), "--seeds")
