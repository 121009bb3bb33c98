"""utils.forecasting.seasonality: the cycles of a daily series, found on series whose answer is known."""

import numpy as np
import pytest

from utils.forecasting import seasonality
from utils.loading.series import load_series
from utils.plumbing import paths


def daily(n=2000, weekly=0.0, yearly=0.0, seed=0, trend=0.004, shift=0.0, phi=0.7):
    """A daily series: a trend, AR(1) noise (tomorrow resembles today, as with temperatures), an
    optional level shift halfway, and weekly / yearly cycles of the given amplitudes."""
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    shocks = rng.normal(0, 1, n)
    for t in range(1, n):
        noise[t] = phi * noise[t - 1] + shocks[t]
    days = np.arange(n)
    week_pattern = np.array([0.0, 0.2, 0.4, 0.3, 0.5, -0.6, -0.8])  # e.g. quiet weekends
    return (
        10
        + trend * days
        + shift * (days >= n // 2)
        + noise
        + weekly * week_pattern[days % 7] / week_pattern.std()
        + yearly * np.sin(2 * np.pi * days / 365.25)
    )


@pytest.mark.parametrize(
    ("weekly", "yearly", "expected"),
    [(1.5, 0.0, [7]), (0.0, 3.0, [365]), (1.5, 3.0, [7, 365]), (0.0, 0.0, [])],
    ids=["weekly-only", "yearly-only", "both", "none"],
)
def test_the_cycles_found_are_the_cycles_generated(weekly, yearly, expected):
    for seed in range(3):
        values = daily(weekly=weekly, yearly=yearly, seed=seed)
        evidence = seasonality.cycle_evidence(values)
        assert seasonality.present_cycles(evidence) == expected, seasonality.describe(evidence)


def test_a_trend_and_a_level_shift_alone_are_no_cycle():
    values = daily(trend=0.02, shift=8.0, seed=5)
    evidence = seasonality.cycle_evidence(values)
    assert seasonality.present_cycles(evidence) == [], seasonality.describe(evidence)
    assert all(abs(item.autocorrelation) < 0.1 for item in evidence)


def test_a_weekly_pattern_does_not_pass_for_a_yearly_cycle():
    # 365 = 52 weeks + 1 day: without smoothing the week out first, a strong weekly pattern echoes at lag 365.
    values = daily(weekly=3.0, yearly=0.0, phi=0.0, seed=2)
    assert seasonality.present_cycles(seasonality.cycle_evidence(values)) == [7]


def test_too_short_a_training_period_is_not_measured_and_says_so():
    evidence = seasonality.cycle_evidence(daily(n=600, yearly=3.0))
    yearly = evidence[1]
    assert yearly.lag == 365 and np.isnan(yearly.autocorrelation) and not yearly.present
    assert "not measurable" in seasonality.describe(evidence)


def test_the_shipped_temperatures_have_a_yearly_cycle_and_no_weekly_one():
    series = load_series(paths.data_file("daily_min_temperatures.csv"), "Date", "Temp")
    train = series.to_numpy()[:2190]  # the first six years: before Case 17-3's validation and test periods
    evidence = seasonality.cycle_evidence(train)
    assert seasonality.present_cycles(evidence) == [365], seasonality.describe(evidence)


def test_the_seasonal_naive_of_every_cycle_found():
    values = np.arange(800, dtype="float64")
    forecasts = seasonality.seasonal_naive_baselines(
        values, np.array([400, 500]), [7, 365], {7: "same weekday last week"}
    )
    np.testing.assert_array_equal(forecasts["same weekday last week"], [393, 493])
    np.testing.assert_array_equal(forecasts["seasonal naive (365 steps ago)"], [35, 135])


def test_the_centred_moving_average_is_centred_and_exact_on_a_line():
    line = np.arange(20, dtype="float64")
    for length in (7, 12):
        smoothed = seasonality.centred_moving_average(line, length)
        inside = ~np.isnan(smoothed)
        np.testing.assert_allclose(smoothed[inside], line[inside])
        assert np.isnan(smoothed[: length // 2]).all() and np.isnan(smoothed[-(length // 2) :]).all()
