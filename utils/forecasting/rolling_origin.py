"""Rolling-origin validation: several forecast origins before the test period, one score per origin.

One validation period judges a choice on one stretch of time; a choice that happens to suit that
stretch (a growth rate, a level) wins there and may fail later. Time-series cross-validation
(Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, "time series cross-validation")
moves the forecast origin instead: at each origin the model is fitted on the steps before it only,
and forecasts the next block of steps. Every choice then uses the MEAN score over the origins.

All origins lie before the test period, so the test period never takes part in a choice.
For the milk (136 months before the test, blocks of 12, 2 origins):

    origin 112: trains on months 0..111, validated on months 112..123
    origin 124: trains on months 0..123, validated on months 124..135

Together the blocks cover the same 24 months as the single validation period of Case 17-2.
"""

from typing import NamedTuple

import numpy as np

from utils.plumbing.errors import BadInputError


class Origin(NamedTuple):
    """One forecast origin: the model trains on steps [0, origin) and is scored on `validation`."""

    origin: int
    validation: np.ndarray  # the time steps scored at this origin, in order

    @property
    def n_train(self):
        return self.origin


def rolling_origins(n_before_test, validation_length, n_origins=2, min_train=1, steps="steps"):
    """`n_origins` origins whose validation blocks of `validation_length` steps end where the test begins.

    The blocks follow each other without overlap, the last one ending at step `n_before_test - 1`.
    Returns a list of `Origin`, earliest first. Raises `BadInputError` (one clear sentence) when the
    first origin would leave fewer than `min_train` training steps.
    """
    if n_origins < 2:
        raise ValueError(f"rolling-origin validation needs at least 2 origins, got {n_origins}")
    if validation_length < 1:
        raise ValueError(f"each origin needs at least one validation step, got {validation_length}")
    first = n_before_test - n_origins * validation_length
    if first < min_train:
        raise BadInputError(
            f"{n_origins} origins of {validation_length} validation {steps} each need at least "
            f"{n_origins * validation_length + min_train} {steps} before the test period, "
            f"there are {n_before_test}; "
            "use a longer series or fewer origins"
        )
    return [
        Origin(origin, np.arange(origin, origin + validation_length))
        for origin in range(first, n_before_test, validation_length)
    ]


class CandidateScores(NamedTuple):
    """One candidate's scores: a row per origin, a column per setting (e.g. per epoch count)."""

    name: str
    per_origin: np.ndarray  # (origins, settings); inf where a setting is not allowed
    mean: np.ndarray  # (settings,), the mean over the origins
    best: int  # the column with the lowest mean
    best_score: float  # that lowest mean


def evaluate(candidates, origins):
    """Run every candidate at every origin and average its scores over the origins.

    `candidates` maps a name to a callable `score(origin) -> float or 1-D array`: one score (lower is
    better, e.g. RMSE) or one per setting (the validation RMSE after 0, 1, 2, ... epochs, say; inf marks
    a setting that is not allowed). The callable must train only on the steps before `origin.origin`.
    Returns {name: CandidateScores}, in the order of `candidates`.
    """
    results = {}
    for name, score in candidates.items():
        rows = [np.atleast_1d(np.asarray(score(origin), dtype="float64")) for origin in origins]
        if len({len(row) for row in rows}) != 1:
            raise ValueError(f"candidate {name!r} returned a different number of scores at different origins")
        per_origin = np.vstack(rows)
        results[name] = summarise(name, per_origin)
    return results


def summarise(name, per_origin):
    """`CandidateScores` from an (origins, settings) array of scores: the column with the lowest mean."""
    per_origin = np.atleast_2d(np.asarray(per_origin, dtype="float64"))
    mean = per_origin.mean(axis=0)
    best = int(np.argmin(mean))  # the first of equal means: the fewest epochs
    return CandidateScores(name, per_origin, mean, best, float(mean[best]))


def choose(results):
    """The name of the candidate with the lowest mean score (the first one on a tie)."""
    return min(results, key=lambda name: results[name].best_score)


def table(results, origins, setting="epochs", unit=""):
    """A small text table: one row per candidate, its score at each origin (at its best setting), the mean,
    and the setting chosen; the chosen candidate is marked with '<-'."""
    unit = f" ({unit})" if unit else ""
    heads = [f"origin {origin.origin}" for origin in origins]
    width = max(len("candidate"), *(len(name) for name in results))
    lines = [
        f"  {'candidate':<{width}}  "
        + "  ".join(f"{head:>10}" for head in heads)
        + f"  {'mean':>10}  {setting}"
    ]
    pick = choose(results)
    for name, scores in results.items():
        cells = "  ".join(f"{value:10.3f}" for value in scores.per_origin[:, scores.best])
        mark = "  <-" if name == pick else ""
        lines.append(f"  {name:<{width}}  {cells}  {scores.best_score:10.3f}  {scores.best}{mark}")
    lines.append(
        f"  (validation RMSE{unit} at each origin for the {setting} with the lowest mean; '<-' = the pick)"
    )
    return "\n".join(lines)
