"""Case 17-5 (compare SimpleRNN, LSTM, GRU) with --quick: the table, the parameter formulas, and the
protocol."""

import pandas as pd
import pytest
from conftest import assert_clean_failure, read_metrics, start_script

from utils.forecasting import metrics
from utils.forecasting.tasks import milk_task, temperature_task
from utils.recurrent import parameters

SCRIPT = "Case17-5-TF-Compare-RNN-LSTM-GRU.py"


def start_runs(tmp_path_factory):
    """The bad-flag run, in the background (the --quick run is started with the session, in conftest)."""
    return {"bad seeds": start_script(SCRIPT, "--seeds", "one")}


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    """(output folder, CompletedProcess) of the --quick run the session started at its start (conftest)."""
    return quick_runs("Case17-5")


def test_quick_run_writes_the_table_csv_chart_and_metrics(quick_run):
    out, result = quick_run
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("comparison.csv", "comparison.md", "comparison.png", "metrics.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 6 and set(table.cell) == {"SimpleRNN", "LSTM", "GRU"}
    assert (table.seconds_per_epoch > 0).all() and (table.rmse_mean > 0).all() and (table.epochs >= 1).all()
    assert "(the one to beat, chosen on validation)" in result.stdout
    assert "early stopping on validation" in result.stdout


def test_each_task_trains_with_its_cases_settings(quick_run):
    """Early stopping on the validation period, at most a tenth of the case's epochs in --quick."""
    out, _ = quick_run
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    for task in (milk_task(), temperature_task()):
        assert task.X_val is not None and len(task.X_val) > 0  # three periods: a validation period exists
        most = max(1, task.choices["max_epochs"] // 10)
        assert (table.loc[task.name, "epochs"] <= most).all()


def test_parameter_counts_follow_the_formulas(quick_run):
    out, _ = quick_run
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    for task in (milk_task(), temperature_task()):
        units, features = task.choices["units"], task.X_train.shape[2]
        for cell in ("SimpleRNN", "LSTM", "GRU"):
            dense = units + 1
            expected = parameters.recurrent_param_count(cell, units, features) + dense
            assert table.loc[(task.name, cell), "params"] == expected
    # the lecture's claim, in numbers: a GRU has fewer parameters than an LSTM of the same size
    assert table.loc[("milk", "GRU"), "params"] < table.loc[("milk", "LSTM"), "params"]


def test_metrics_json_holds_every_cell_and_the_baselines(quick_run):
    out, _ = quick_run
    m = read_metrics(out)
    assert m["quick"] is True and m["seeds"] == [42]
    task = temperature_task()
    assert set(m["results"]["milk"]) == {"SimpleRNN", "LSTM", "GRU", "baselines", "best_baseline"}
    assert m["results"]["temperatures"]["best_baseline"] == task.choices["best_baseline"]
    persistence = metrics.rmse(task.actual, task.baselines["persistence"])
    temperatures = m["results"]["temperatures"]
    assert temperatures["baselines"]["persistence"]["rmse"] == pytest.approx(persistence, abs=1e-5)


def test_bad_seeds_flag_is_one_clear_line(started):
    assert_clean_failure(started[__name__]["bad seeds"].result(), "--seeds")
