"""utils.forecasting.baselines and utils.forecasting.metrics, on series whose answers can be worked out
by hand."""

import json

import numpy as np
import pytest

from utils.forecasting import baselines, metrics, transforms
from utils.showing import tables


def test_baselines_on_a_hand_made_series():
    values = np.array([1.0, 2.0, 4.0, 7.0, 11.0, 16.0])
    positions = np.array([4, 5])
    assert list(baselines.naive(values, positions)) == [7.0, 11.0]
    assert list(baselines.seasonal_naive(values, positions, season=2)) == [4.0, 7.0]
    # y[t-2] + y[t-1] - y[t-3]: 4 + 7 - 2 = 9 and 7 + 11 - 4 = 14
    assert list(baselines.seasonal_naive_plus_last_change(values, positions, season=2)) == [9.0, 14.0]
    assert list(baselines.moving_average(values, positions, k=2)) == [5.5, 9.0]


def test_seasonal_naive_plus_last_change_is_the_seasonal_diff_forecast_of_zero():
    values = np.random.default_rng(1).normal(size=40).cumsum()
    positions = np.arange(20, 40)
    zero = transforms.to_levels(np.zeros(20), values, positions, "seasonal-diff", season=12)
    assert np.allclose(zero, baselines.seasonal_naive_plus_last_change(values, positions, 12))


def test_a_baseline_refuses_to_look_before_the_start():
    with pytest.raises(ValueError, match="needs 12 earlier values"):
        baselines.seasonal_naive(np.arange(20.0), [5], season=12)


def test_rmse_and_mae():
    actual, predicted = [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 8.0]
    assert metrics.rmse(actual, predicted) == pytest.approx(2.0)  # sqrt(16 / 4)
    assert metrics.mae(actual, predicted) == pytest.approx(1.0)
    assert metrics.score(actual, actual) == {"rmse": 0.0, "mae": 0.0}


def test_results_table_sorts_by_rmse():
    table = tables.results_table({"bad": {"rmse": 9.0, "mae": 8.0}, "good": {"rmse": 1.0, "mae": 0.5}}, "kg")
    lines = table.splitlines()
    assert "kg" in lines[0] and lines[2].startswith("good") and lines[3].startswith("bad")


def test_write_metrics_makes_plain_json(tmp_path):
    path = metrics.write_metrics(
        tmp_path / "m.json", {"a": np.float32(1.23456789), "b": np.int64(3), "c": {"d": [np.float64(0.5)]}}
    )
    assert json.loads(path.read_text()) == {"a": 1.234568, "b": 3, "c": {"d": [0.5]}}


def test_best_by_rmse_and_the_verdict_sentence():
    scores = {"a": {"rmse": 3.0, "mae": 1.0}, "b": {"rmse": 2.0, "mae": 5.0}}
    assert metrics.best_by_rmse(scores) == "b"
    won = metrics.verdict("LSTM", 1.5, "b", 2.0, "kg")
    assert won.startswith(
        "On the test period the LSTM beat the best simple baseline chosen on validation (b, RMSE 2.000 kg)"
    )
    assert "by 25.0 %" in won
    lost = metrics.verdict("LSTM", 2.5, "b", 2.0)
    assert "did not beat" in lost and "25.0 % higher" in lost


def test_ranked_scores_lists_the_lowest_first():
    from utils.showing.tables import ranked_scores

    lines = ranked_scores({"naive": 47.339, "SARIMA": 6.26, "pick": 6.338}, width=8).splitlines()
    assert [line.split()[0] for line in lines] == ["SARIMA", "pick", "naive"]
    assert lines[0] == "  SARIMA       6.260"
