"""Case 17-5 (compare SimpleRNN, LSTM, GRU) with --quick, and the shared task pipelines in utils.datasets."""

import numpy as np
import pandas as pd
import pytest

from conftest import assert_clean_failure, read_metrics
from utils import cells, metrics
from utils.datasets import milk_task, temperature_task

SCRIPT = "Case17-5-TF-Compare-RNN-LSTM-GRU.py"


def test_milk_task_matches_case_17_2():
    task = milk_task()
    assert task.X_train.shape == (123, 12, 1) and task.X_test.shape == (32, 12, 1)
    assert task.test_dates[0] == pd.Timestamp("1973-05-01") and len(task.actual) == 32
    assert metrics.rmse(task.actual, task.baselines["seasonal naive + last change"]) == pytest.approx(6.5)
    forecasts = task.to_real_units(np.zeros(32))  # a scaled prediction of 0, back in pounds
    assert forecasts.shape == (32,) and 700 < forecasts.mean() < 1000


def test_temperature_task_matches_case_17_3():
    task = temperature_task()
    assert task.X_train.shape == (2907, 14, 3) and task.X_test.shape == (731, 14, 3)
    assert metrics.rmse(task.actual, task.baselines["persistence"]) == pytest.approx(2.479, abs=1e-3)
    # the scaler saw only training days: training temperatures span exactly -1..1
    assert task.X_train[:, :, 0].min() == pytest.approx(-1) and task.X_train[:, :, 0].max() == pytest.approx(1)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    from conftest import run_script

    out = tmp_path_factory.mktemp("compare")
    return out, run_script(SCRIPT, "--quick", "--no-show", "--output-dir", out)


def test_quick_run_writes_the_table_csv_chart_and_metrics(quick_run):
    out, result = quick_run
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("comparison.csv", "comparison.md", "comparison.png", "metrics.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 6 and set(table.cell) == {"SimpleRNN", "LSTM", "GRU"}
    assert (table.seconds_per_epoch > 0).all() and (table.rmse_mean > 0).all()
    assert "| milk | baseline: seasonal naive + last change |" in result.stdout


def test_parameter_counts_follow_the_formulas(quick_run):
    out, _ = quick_run
    table = pd.read_csv(out / "comparison.csv").set_index(["task", "cell"])
    for task, units, features in (("milk", 16, 1), ("temperatures", 32, 3)):
        for cell in ("SimpleRNN", "LSTM", "GRU"):
            dense = units + 1
            assert table.loc[(task, cell), "params"] == cells.recurrent_param_count(cell, units, features) + dense
    # the lecture's claim, in numbers: a GRU has fewer parameters than an LSTM of the same size
    assert table.loc[("milk", "GRU"), "params"] < table.loc[("milk", "LSTM"), "params"]


def test_metrics_json_holds_every_cell_and_the_baselines(quick_run):
    out, _ = quick_run
    m = read_metrics(out)
    assert m["quick"] is True and m["seeds"] == [42]
    assert set(m["results"]["milk"]) == {"SimpleRNN", "LSTM", "GRU", "baselines"}
    assert m["results"]["temperatures"]["baselines"]["persistence"]["rmse"] == pytest.approx(2.479, abs=1e-3)


def test_bad_seeds_flag_is_one_clear_line(run_case):
    assert_clean_failure(run_case(SCRIPT, "--seeds", "one"), "--seeds")
