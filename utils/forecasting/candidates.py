"""What each network candidate reads and predicts, prepared for one forecast origin.

NumPy and statsmodels only (no Keras).

Two kinds of candidate, each prepared from the steps before an origin `end` only:

- plain LSTM (`prepare_plain`): the course's network with a target transform
  (utils/forecasting/transforms.py): "seasonal" or "seasonal-diff". Inputs and targets are
  scaled to -1..1 by their min and max on the steps before `end` (the case's MinMaxScaler,
  written out in NumPy so the rolling origins do not import scikit-learn).
- hybrid (`prepare_hybrid`): the LSTM as a correction to SARIMA, in the spirit of Smyl's ES-RNN
  (the M4 competition's winner, 2018, which put an LSTM on top of exponential smoothing).
  SARIMA(0,1,1)(0,1,1,season) is fitted on the steps before `end`; with those parameters fixed,
  its one-step forecasts run over the whole series, so the forecast of step t uses only values
  before t. The residual r_t = y_t - SARIMA_t is what the LSTM predicts, from windows of past
  residuals and past seasonal differences. The target is divided by the residuals' root mean
  square (not centred), so a prediction of 0 is exactly SARIMA's forecast.

Both give a `Prepared`: windows over the WHOLE series (so the same arrays serve training,
validation and test) and the way from a scaled prediction back to the series' units:

    forecast = base + offset + factor * prediction

(for the hybrid base = SARIMA's forecast and offset = 0). Because the forecast is the base plus
a multiple of the prediction, the error in real units is `factor` times the error in scaled units.
"""

import warnings
from typing import NamedTuple

import numpy as np

from utils.forecasting import baselines, transforms, windows


class Prepared(NamedTuple):
    X: np.ndarray  # (samples, window, features), float32, one window per step it predicts
    y: np.ndarray  # (samples,), the scaled target
    positions: np.ndarray  # the step each sample predicts
    base: np.ndarray  # (samples,), the forecast part that needs no network (real units)
    offset: float  # a scaled prediction p means base + offset + factor * p
    factor: float
    end: int  # everything was fitted on steps < end
    info: dict  # what was fitted (scaler ranges, SARIMA parameters), for the trace

    def levels(self, predictions, rows=None):
        """Scaled predictions of the samples `rows` (all by default) -> forecasts in real units."""
        rows = slice(None) if rows is None else rows
        return self.base[rows] + self.offset + self.factor * np.asarray(predictions, dtype="float64")

    def rows(self, steps):
        """The sample indices predicting the time steps `steps` (each must have a window)."""
        index = {int(p): i for i, p in enumerate(self.positions)}
        missing = [int(s) for s in steps if int(s) not in index]
        if missing:
            raise ValueError(f"no window predicts step(s) {missing[:5]}")
        return np.array([index[int(s)] for s in steps])

    def training_rows(self):
        """Samples whose step lies before `end`: the only ones a fit may use."""
        return np.flatnonzero(self.positions < self.end)


def _min_max(train_values):
    train_values = train_values[~np.isnan(train_values)]
    low, high = float(train_values.min()), float(train_values.max())
    return low, (high - low) or 1.0


def prepare_plain(values, end, target, season, window):
    """The plain LSTM's windows for `target` ("seasonal" or "seasonal-diff"), scaled before `end`."""
    values = np.asarray(values, dtype="float64")
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    in_low, in_range = _min_max(inputs[:end])
    out_low, out_range = _min_max(targets[:end])
    scaled_inputs = (inputs - in_low) / in_range * 2 - 1
    scaled_targets = (targets - out_low) / out_range * 2 - 1
    X, y, positions = windows.make_windows(scaled_inputs, scaled_targets, window)
    base = transforms.to_levels(np.zeros(len(positions)), values, positions, target, season)
    # target = (scaled + 1) / 2 * range + low, so forecast = base + (low + range / 2) + (range / 2) * scaled
    return Prepared(
        X,
        y,
        positions,
        base,
        out_low + out_range / 2,
        out_range / 2,
        end,
        {
            "target": target,
            "input_range": (in_low, in_low + in_range),
            "target_range": (out_low, out_low + out_range),
        },
    )


def sarima_one_step(values, end, season):
    """SARIMA(0,1,1)(0,1,1,season) fitted on values[:end]; its one-step forecast of EVERY step of `values`.

    Returns (forecasts, params) or (None, reason) when statsmodels fails on this series. The forecast
    of step t uses values before t only (a Kalman filter runs forward), so values at or after `end`
    change no parameter and no forecast before them.
    """
    from utils.forecasting import sarima

    values = np.asarray(values, dtype="float64")
    try:
        model, fitted, _ = sarima.fit(values[:end], season)  # convergence notes: judged on validation anyway
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecasts = np.asarray(fitted.apply(values).fittedvalues, dtype="float64")
    except Exception as err:  # a numerical failure inside statsmodels on an odd series
        return None, f"SARIMA failed ({(str(err).strip().splitlines() or [type(err).__name__])[0]})"
    if not np.isfinite(forecasts).all():
        return None, "SARIMA gives non-finite forecasts on this series"
    return forecasts, {name: float(value) for name, value in zip(model.param_names, fitted.params)}


def sarima_with_params(values, params, season):
    """SARIMA(0,1,1)(0,1,1,season)'s one-step forecast of every step of `values`, with `params` fixed
    (as `sarima_one_step` returns them): no fit, only the Kalman filter, so it is cheap enough to rerun
    after each appended step (a case's forecasts beyond the data)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(np.asarray(values, dtype="float64"), order=(0, 1, 1), seasonal_order=(0, 1, 1, season))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(model.filter(np.array(list(params.values()))).fittedvalues, dtype="float64")


# The references a correction can start from (keys as in metrics.json's "baselines"): SARIMA, and the
# simple baselines of utils/forecasting/baselines.py. `reference_one_step` gives each one's one-step
# forecast of every step; the protocol chooses among them on the rolling origins.
REFERENCES = ("sarima", "naive", "seasonal_naive", "seasonal_naive_plus_last_change")


def reference_one_step(values, end, season, key, params=None):
    """The reference `key`'s one-step forecast of EVERY step of `values` (nan where it has too little
    history), fitted on values[:end] where it fits anything (SARIMA; with `params` given, SARIMA runs with
    those fixed parameters and fits nothing). Returns (forecasts, params) or (None, reason)."""
    values = np.asarray(values, dtype="float64")
    if key == "sarima":
        if params is not None:
            return sarima_with_params(values, params, season), params
        return sarima_one_step(values, end, season)
    forecasts = np.full(len(values), np.nan)
    lookback = {"naive": 1, "seasonal_naive": season, "seasonal_naive_plus_last_change": season + 1}[key]
    steps = np.arange(lookback, len(values))
    forecasts[steps] = {
        "naive": lambda: baselines.naive(values, steps),
        "seasonal_naive": lambda: baselines.seasonal_naive(values, steps, season),
        "seasonal_naive_plus_last_change": lambda: baselines.seasonal_naive_plus_last_change(
            values, steps, season
        ),
    }[key]()
    return forecasts, {}


def hybrid_burn_in(season):
    """The first step whose SARIMA forecast is used: before it the filter is still starting
    (the model differences once and once by a season, so its first season + 1 forecasts have
    no history to stand on); one more season is left for the residuals to settle."""
    return 2 * season + 1


def prepare_hybrid(values, end, season, window, sarima=None):
    """The hybrid's windows: inputs (residual, seasonal difference), target the residual, fitted before `end`.

    `sarima`: (forecasts, params) from `sarima_one_step(values, end, season)`, when already computed, or
    the one-step forecasts of another reference (`reference_one_step`): the correction is then learnt on
    top of that reference, and a zero prediction is exactly its forecast.
    Returns a `Prepared`, or None with the reason in a second value when SARIMA cannot be fitted:
    (prepared, None) or (None, reason).
    """
    values = np.asarray(values, dtype="float64")
    forecasts, params = sarima if sarima is not None else sarima_one_step(values, end, season)
    if forecasts is None:
        return None, params
    start = hybrid_burn_in(season)
    if end - start < 2 * season:
        return None, f"too few steps before step {end} to fit SARIMA's residuals"
    residuals = values - forecasts
    residuals[:start] = np.nan
    train = slice(start, end)
    residual_scale = float(np.sqrt(np.mean(residuals[train] ** 2))) or 1.0
    seasonal_changes = transforms.difference(values, season)
    change_mean = float(np.mean(seasonal_changes[train]))
    change_scale = float(np.std(seasonal_changes[train])) or 1.0
    inputs = np.column_stack([residuals / residual_scale, (seasonal_changes - change_mean) / change_scale])
    X, y, positions = windows.make_windows(inputs, residuals / residual_scale, window)
    return Prepared(
        X,
        y,
        positions,
        forecasts[positions],
        0.0,
        residual_scale,
        end,
        {"sarima_params": params, "residual_scale": residual_scale},
    ), None
