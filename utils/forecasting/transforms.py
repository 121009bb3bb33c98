"""Target transforms for forecasting: what the network is asked to predict, and the way back.

For the month t of a series y (all arrays below are aligned on t; NaN where undefined):
- "raw":           the network sees y and predicts y[t];
- "diff":          it sees the changes d[t] = y[t] - y[t-1] and predicts d[t];
                   the forecast is y[t-1] + d[t];
- "seasonal":      it sees the seasonal differences s[t] = y[t] - y[t-season] and predicts
                   s[t], how much this step differs from the same step a season ago;
                   the forecast is y[t-season] + s[t];
- "seasonal-diff": it sees the changes d and predicts d[t] - d[t-season], how much this
                   month's change differs from the same month's change a season ago;
                   the forecast is y[t-1] + d[t-season] + that difference.
For every transform but "raw", a predicted target of 0 is a common-sense baseline
(`ZERO_FORECAST`): diff -> naive (the last value), seasonal -> seasonal naive (the value a
season ago), seasonal-diff -> seasonal naive + last change. The network's forecast is that
baseline plus the correction it learnt.
A network is only as good as the question it is asked: a trend and a yearly cycle are
easy to remove exactly by differencing, so the network can spend itself on what is left.
"""

import numpy as np

TARGETS = ("raw", "diff", "seasonal", "seasonal-diff")

# The baseline each target gives when the network predicts 0 (utils/forecasting/baselines.py names them).
ZERO_FORECAST = {
    "diff": "naive",
    "seasonal": "seasonal naive",
    "seasonal-diff": "seasonal naive + last change",
}


def first_defined(target, season=12):
    """(first input step, first target step) that are defined (not NaN) for a transform."""
    firsts = {"raw": (0, 0), "diff": (1, 1), "seasonal": (season, season), "seasonal-diff": (1, season + 1)}
    return firsts[target]


def difference(values, lag=1):
    """values[t] - values[t - lag], with NaN for the first `lag` steps."""
    values = np.asarray(values, dtype="float64")
    out = np.full_like(values, np.nan)
    out[lag:] = values[lag:] - values[:-lag]
    return out


def inputs_and_targets(values, target, season=12):
    """The input series the network sees and the target series it predicts, for a transform."""
    if target == "raw":
        return np.asarray(values, dtype="float64"), np.asarray(values, dtype="float64")
    if target == "seasonal":
        seasonal_changes = difference(values, season)
        return seasonal_changes, seasonal_changes
    changes = difference(values)
    if target == "diff":
        return changes, changes
    if target == "seasonal-diff":
        return changes, difference(changes, season)
    raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")


def to_levels(predicted_targets, values, positions, target, season=12):
    """Turn predicted targets at time steps `positions` back into values of the series (real units).

    Each forecast uses only values before its own time step.
    """
    predicted_targets = np.asarray(predicted_targets, dtype="float64")
    values = np.asarray(values, dtype="float64")
    positions = np.asarray(positions)
    if target == "raw":
        return predicted_targets
    if target == "seasonal":
        return values[positions - season] + predicted_targets
    last_value = values[positions - 1]
    if target == "diff":
        return last_value + predicted_targets
    if target == "seasonal-diff":
        change_a_season_ago = values[positions - season] - values[positions - season - 1]
        return last_value + change_a_season_ago + predicted_targets
    raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")
