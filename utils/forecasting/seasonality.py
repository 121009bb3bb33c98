"""Which cycles a series has, measured on its training period.

The season from the data, not only from the calendar.

The calendar says what a daily series COULD repeat (a week, a year); the autocorrelation says whether
it does. For each candidate cycle of L steps (7 and 365 for daily data):

1. the cycles shorter than L are averaged out first (a centred moving average of each shorter
   length), since a weekly pattern would otherwise echo at lag 365 = 52·7 + 1;
2. everything slower than L is removed by subtracting a centred moving average of length L: a
   trend, a level shift or a slow wander would otherwise make every lag look correlated;
3. the autocorrelation of what is left, at lag L, is the evidence. For a cycle plus unrelated
   noise it is about the cycle's share of that variance; for noise alone it is near 0 (the
   moving-average windows at t and t + L do not overlap).

A cycle counts as present when that autocorrelation is at least `THRESHOLD` and clearly above
what noise of that length gives (3/sqrt(n), three standard errors of an autocorrelation of white
noise). Why THRESHOLD = 0.2: offering one more seasonal-naive baseline costs nothing (validation
chooses among the baselines), so the threshold only has to tell a cycle from its absence. Noise
(independent or, like temperatures, correlated from one day to the next), trends and level shifts
stay below half of it, and the cycles a plot shows (the shipped temperatures' year, a generated
weekly pattern) lie far above it: tests/test_seasonality.py checks both sides on generated series.
Only the steps passed in are used: pass the training period, never the test.
"""

from typing import NamedTuple

import numpy as np

from utils.forecasting import baselines

THRESHOLD = 0.2
DAILY_CYCLES = (7, 365)
CYCLE_NAMES = {7: "weekly", 365: "yearly", 12: "yearly", 52: "yearly", 4: "yearly", 24: "daily"}


class CycleEvidence(NamedTuple):
    lag: int
    autocorrelation: float  # nan when the training period is too short to measure it
    threshold: float  # what it had to reach
    present: bool

    @property
    def name(self):
        return CYCLE_NAMES.get(self.lag, f"{self.lag}-step")


def centred_moving_average(values, length):
    """Mean of `length` values centred on each step (for an even length, a 2×length average, as in
    classical decomposition); NaN where the window does not fit."""
    values = np.asarray(values, dtype="float64")
    if length % 2 == 1:
        weights = np.full(length, 1.0 / length)
    else:  # length + 1 weights, the two ends halved, so the window stays centred
        weights = np.full(length + 1, 1.0 / length)
        weights[[0, -1]] = 0.5 / length
    out = np.full(len(values), np.nan)
    half = len(weights) // 2
    if len(values) >= len(weights):
        out[half : len(values) - half] = np.convolve(values, weights, mode="valid")
    return out


def autocorrelation(values, lag):
    """The sample autocorrelation at `lag` (mean removed, over n times the variance), NaN ends dropped."""
    values = np.asarray(values, dtype="float64")
    values = values[~np.isnan(values)]
    n = len(values)
    if lag >= n:
        return float("nan")
    centred = values - values.mean()
    denominator = centred @ centred
    if denominator == 0:
        return 0.0
    return float(centred[lag:] @ centred[: n - lag] / denominator)


def cycle_evidence(train_values, lags=DAILY_CYCLES, threshold=THRESHOLD):
    """The evidence for each cycle in `lags` (shortest first), from the training values only.

    Returns a list of `CycleEvidence`. A lag needs at least 3·lag training steps to be measured
    (the moving average takes one lag, and the autocorrelation needs a lag's worth of pairs and more);
    a shorter training period gives autocorrelation nan and present False.
    """
    values = np.asarray(train_values, dtype="float64")
    evidence = []
    smoothed = values
    for lag in sorted(lags):
        if len(values) < 3 * lag:
            evidence.append(CycleEvidence(lag, float("nan"), threshold, False))
        else:
            left = smoothed - centred_moving_average(smoothed, lag)
            n_pairs = int(np.sum(~np.isnan(left))) - lag
            needed = max(threshold, 3 / np.sqrt(max(n_pairs, 1)))
            acf = autocorrelation(left, lag)
            evidence.append(CycleEvidence(lag, acf, float(needed), bool(acf >= needed)))
        smoothed = centred_moving_average(
            smoothed, lag
        )  # the next, longer cycle is measured without this one
    return evidence


def present_cycles(evidence):
    """The lags of the cycles found, shortest first."""
    return [item.lag for item in evidence if item.present]


def describe(evidence):
    """One line per cycle: the autocorrelation measured, what it had to reach, and the verdict."""
    lines = []
    for item in evidence:
        if np.isnan(item.autocorrelation):
            lines.append(
                f"  {item.name} cycle ({item.lag} steps): not measurable, "
                f"the training period is shorter than {3 * item.lag} steps"
            )
        else:
            verdict = "present" if item.present else "absent"
            lines.append(
                f"  {item.name} cycle ({item.lag} steps): autocorrelation {item.autocorrelation:+.3f} "
                f"(needs {item.threshold:.3f}) -> {verdict}"
            )
    return "\n".join(lines)


def seasonal_naive_baselines(values, positions, lags, step_words=None):
    """The seasonal-naive forecast of every cycle in `lags`: {name: forecasts at `positions`}.

    `step_words`, optional: names such as {7: "the same weekday last week"};
    otherwise "seasonal naive (L steps ago)".
    """
    names = step_words or {}
    return {
        names.get(lag, f"seasonal naive ({lag} steps ago)"): baselines.seasonal_naive(values, positions, lag)
        for lag in lags
    }
