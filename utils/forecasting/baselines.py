"""Common-sense forecasts every model must beat. Each takes the series `values` and the
time steps `positions` to forecast, and uses only values before each step."""

import numpy as np


def _check(positions, lookback):
    positions = np.asarray(positions)
    if len(positions) and positions.min() - lookback < 0:
        raise ValueError(f"a forecast at step {positions.min()} needs {lookback} earlier values")
    return positions


def naive(values, positions):
    """Tomorrow equals today: the last value seen."""
    positions = _check(positions, 1)
    return np.asarray(values, dtype="float64")[positions - 1]


def seasonal_naive(values, positions, season):
    """The value one season earlier (12 months, 365 days, ...)."""
    positions = _check(positions, season)
    return np.asarray(values, dtype="float64")[positions - season]


def seasonal_naive_plus_last_change(values, positions, season):
    """y[t-season] + y[t-1] - y[t-season-1]: last season's value, moved by how much the level
    has changed since then. It is the "seasonal-diff" transform with a prediction of 0."""
    positions = _check(positions, season + 1)
    values = np.asarray(values, dtype="float64")
    return values[positions - season] + values[positions - 1] - values[positions - season - 1]


def moving_average(values, positions, k):
    """The mean of the last `k` values."""
    positions = _check(positions, k)
    values = np.asarray(values, dtype="float64")
    return np.array([values[t - k:t].mean() for t in positions])
