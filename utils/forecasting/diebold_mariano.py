"""Diebold–Mariano test of equal forecast accuracy, with the Harvey–Leybourne–Newbold correction.

Two forecasts of the same steps have errors e1 and e2. With squared loss, the loss differential
at each step is d_t = e1_t² − e2_t². If both forecasts are equally accurate, d has mean 0.
Diebold & Mariano (1995) divide the mean of d by its standard error:

    DM = mean(d) / sqrt(V / n),   V = γ_0 + 2 Σ_{k=1}^{h-1} γ_k

where γ_k is the autocovariance of d at lag k (divided by n) and h the forecast horizon (the
errors of h-step forecasts are correlated up to lag h−1; for one-step forecasts V = γ_0).
Harvey, Leybourne & Newbold (1997, Int. J. Forecasting 13, 281–291) found the test too eager
in small samples and proposed

    DM* = DM · sqrt((n + 1 − 2h + h(h − 1)/n) / n),   compared with Student's t, n − 1 degrees of freedom.

This is the form of R's forecast::dm.test and of statsmodels' `diebold_mariano_test` with
`harvey_adj=True` and `lags=h - 1` (its default takes more lags); tests/test_diebold_mariano.py
checks it against statsmodels where it exists.
"""

from typing import NamedTuple

import numpy as np

ALPHA = 0.05


class DMResult(NamedTuple):
    statistic: float  # > 0: the first forecast has the larger squared errors
    p_value: float  # two-sided
    n: int


def dm_test(errors_a, errors_b, horizon=1):
    """Diebold–Mariano test (squared loss, two-sided, HLN-corrected) of forecasts a and b.

    `errors_a`, `errors_b`: actual − forecast over the same steps. Returns a `DMResult`.
    Identical losses (d = 0 everywhere) give statistic 0 and p-value 1.
    """
    from scipy import stats  # imported here: a case that never tests pays nothing

    errors_a = np.asarray(errors_a, dtype="float64")
    errors_b = np.asarray(errors_b, dtype="float64")
    if errors_a.shape != errors_b.shape or errors_a.ndim != 1:
        raise ValueError(
            f"the two error series must be 1-D and of equal length, got {errors_a.shape} and {errors_b.shape}"
        )
    n = len(errors_a)
    if n < 2:
        raise ValueError("the Diebold–Mariano test needs at least 2 errors")
    if horizon < 1 or horizon >= n:
        raise ValueError(f"the horizon must be between 1 and {n - 1}, got {horizon}")
    d = errors_a**2 - errors_b**2
    centred = d - d.mean()
    autocovariances = [centred[k:] @ centred[: n - k] / n for k in range(horizon)]
    long_run_variance = autocovariances[0] + 2 * sum(autocovariances[1:])
    if long_run_variance <= 0 and horizon > 1:
        long_run_variance = autocovariances[0]  # the usual fallback: a negative estimate is treated as h = 1
    if long_run_variance <= 0:
        return (
            DMResult(0.0, 1.0, n)
            if np.allclose(d, 0)
            else DMResult(float(np.sign(d.mean()) * np.inf), 0.0, n)
        )
    statistic = d.mean() / np.sqrt(long_run_variance / n)
    statistic *= np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    p_value = 2 * stats.t.sf(abs(statistic), df=n - 1)
    return DMResult(float(statistic), float(p_value), n)


def verdict(name_a, errors_a, name_b, errors_b, unit="", alpha=ALPHA):
    """One sentence: does the test tell forecasts a and b apart (p < alpha), and which is better by how much?

    Returns (sentence, DMResult). The percentage is the RMSE gap relative to the worse forecast's RMSE.
    """
    result = dm_test(errors_a, errors_b)
    rmse_a = float(np.sqrt(np.mean(np.square(errors_a))))
    rmse_b = float(np.sqrt(np.mean(np.square(errors_b))))
    unit = f" {unit}" if unit else ""
    scores = (
        f"RMSE {rmse_a:.3f} against {rmse_b:.3f}{unit}; "
        f"Diebold–Mariano p = {result.p_value:.3f} on {result.n} one-step errors"
    )
    if result.p_value >= alpha:
        return f"no clear difference between the {name_a} and the {name_b} ({scores})", result
    better, worse, low, high = (
        (name_a, name_b, rmse_a, rmse_b) if rmse_a < rmse_b else (name_b, name_a, rmse_b, rmse_a)
    )
    gain = 100 * (high - low) / high
    return f"the {better} is more accurate than the {worse}, RMSE {gain:.1f} % lower ({scores})", result
