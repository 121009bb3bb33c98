"""utils.forecasting.sarima: the classical reference, fitted before the test period, and never a crash."""

import numpy as np

from utils.forecasting import baselines, metrics, sarima


def airline_like(n=120, seed=0):
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    return 500 + 2.0 * months + 40 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 3, n)


def test_one_step_forecasts_beat_the_seasonal_naive_and_ignore_the_test_values():
    values = airline_like()
    result = sarima.one_step_forecasts(values, first_test=96, season=12)
    assert result["note"] is None and result["converged"]
    assert result["forecasts"].shape == (24,)
    assert set(result["params"]) == {"ma.L1", "ma.S.L12", "sigma2"}
    positions = np.arange(96, 120)
    assert metrics.rmse(values[96:], result["forecasts"]) < metrics.rmse(
        values[96:], baselines.seasonal_naive(values, positions, 12)
    )
    changed = values.copy()
    changed[96:] += 100.0  # new test values: the parameters, fitted before the test period, must not move
    assert sarima.one_step_forecasts(changed, 96, 12)["params"] == result["params"]


def test_a_bad_series_gives_a_note_not_an_error():
    assert sarima.one_step_forecasts(airline_like(30), first_test=20, season=12)["note"].startswith(
        "SARIMA skipped"
    )
    assert "season of 52" in sarima.one_step_forecasts(airline_like(300), first_test=250, season=52)["note"]
    flat = sarima.one_step_forecasts(np.ones(80), first_test=60, season=12)
    assert flat["note"] and (flat["forecasts"] is None or not flat["converged"])
