"""The classical reference for a seasonal series: SARIMA(0,1,1)(0,1,1,season), the "airline model".

It differences the series once (the trend) and once by a season (the cycle), exactly like
the "seasonal-diff" target, and then models what is left with two moving-average terms: one
for last step's surprise, one for the surprise a season ago. Two parameters in all (plus the
noise variance), against 1,152 in an LSTM of 16 units on one input.

Protocol: the parameters are fitted on training + validation only (every step before the
test period). Those fixed parameters are then run over the whole series, which gives, for
every test step, the forecast made from the values before it: one step ahead, like the
network's forecasts. No test value changes a parameter.

statsmodels' maximum-likelihood fit can fail or stop before it converges on a student's
series; `one_step_forecasts` never raises for that: it returns a note to print instead.
"""

import warnings

import numpy as np

# The state-space fit grows with the season: about a second for 12 steps, about ten minutes for
# 52 (weekly data, measured on a busy 2-core CPU). Longer seasons are skipped with a note.
MAX_SEASON = 13


def skip_reason(n_before, season, before="the test period"):
    """Why SARIMA cannot be fitted on `n_before` steps with this season (one phrase), or None when it can."""
    if season > MAX_SEASON:
        return (f"with a season of {season} steps its fit takes minutes "
                f"(it runs for seasons of up to {MAX_SEASON} steps)")
    if n_before < 2 * season + 3:
        return f"{n_before} steps before {before} are too few for a season of {season}"
    return None


_FITS = {}  # (season, the training values' bytes) -> (model, fitted results, warnings caught)


def fit(train_values, season):
    """SARIMA(0,1,1)(0,1,1,season) fitted on `train_values`: (model, results, the warnings it raised).

    Remembered for the run (a few fits): the protocol's fit before the test and the test row's are the
    same fit on the same values, and a fit costs about a second. Raises what statsmodels raises."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    train_values = np.asarray(train_values, dtype="float64")
    key = (season, train_values.tobytes())
    if key not in _FITS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = SARIMAX(train_values, order=(0, 1, 1), seasonal_order=(0, 1, 1, season))
            fitted = model.fit(disp=False)
        if len(_FITS) >= 8:
            _FITS.clear()
        _FITS[key] = (model, fitted, list(caught))
    return _FITS[key]


def one_step_forecasts(values, first_test, season):
    """SARIMA(0,1,1)(0,1,1,season) fitted on values[:first_test]; one-step forecasts of values[first_test:].

    Returns a dict: "forecasts" (array of len(values) - first_test, or None when the fit
    failed), "params" (name -> fitted value), "converged" (bool) and "note" (None, or one
    sentence to print when the fit failed or did not converge).
    """
    values = np.asarray(values, dtype="float64")
    try:
        from statsmodels.tools.sm_exceptions import ConvergenceWarning
    except ImportError:
        return {"forecasts": None, "params": {}, "converged": False,
                "note": "SARIMA skipped: statsmodels is not installed (pip install -r requirements.txt)"}
    reason = skip_reason(first_test, season)
    if reason:
        return {"forecasts": None, "params": {}, "converged": False, "note": f"SARIMA skipped: {reason}"}
    try:
        model, fitted, caught = fit(values[:first_test], season)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The same fixed parameters, filtered over the whole series: the prediction at step t
            # uses only the values before t.
            prediction = fitted.apply(values).get_prediction(start=first_test, end=len(values) - 1)
            forecasts = prediction.predicted_mean
    except Exception as err:  # a numerical failure inside statsmodels on an odd series
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return {"forecasts": None, "params": {}, "converged": False,
                "note": f"SARIMA skipped: the fit failed ({first_line})"}
    converged = bool(fitted.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    forecasts = np.asarray(forecasts, dtype="float64")
    params = {name: float(value) for name, value in zip(model.param_names, fitted.params)}
    if not np.isfinite(forecasts).all():
        return {"forecasts": None, "params": params, "converged": False,
                "note": "SARIMA skipped: the fitted model gives non-finite forecasts on this series"}
    note = None if converged else (
        "SARIMA's fit did not fully converge on this series: its row is shown, but read it with care"
    )
    return {"forecasts": forecasts, "params": params, "converged": converged, "note": note}
