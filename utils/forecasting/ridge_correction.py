"""Case 17-3's rolling-origin protocol: a plain GRU, and a GRU that corrects a ridge regression.

NumPy only (Keras is imported by the trainer when a network trains).

The ridge regression (utils/forecasting/ridge.py explains the model) reads the same windows as the
GRU: the scaled input of the target transform and the day of the year as sin and cos. Here it is
solved in NumPy (the closed form, intercept unpenalised as in scikit-learn's Ridge), so the many
small fits of the rolling origins cost milliseconds and no scikit-learn import.

Two candidates, each prepared from the steps before an origin `end` only:

- plain GRU (`prepare_daily`): the course's network on its target transform;
- ridge + GRU correction (`prepare_correction`): the ridge, fitted on the steps before `end` with
  its alpha chosen on the last block before `end` (`ridge_one_step`), makes a one-step forecast of
  every step; the GRU predicts its residual r_t = y_t - ridge_t from windows of past residuals and
  the plain inputs. The residual is divided by its root mean square before `end` (not centred),
  and the GRU's Dense head starts at zero, so epoch 0 of this candidate IS the ridge.

`run` is the protocol of utils/forecasting/rolling_choice.py for these candidates: validation
curves after every epoch at every origin, the epoch count and candidate on the MEAN over the
origins, the refit decision at the origins, then the test forecasts. The candidate rule is fixed
in advance: the correction (which can fall back to the ridge itself) is kept unless the plain GRU
is clearly better, with a lower mean RMSE AND a Diebold-Mariano p-value below 0.05 on the errors
of all origins pooled.
"""

import time
from typing import NamedTuple

import numpy as np

from utils.forecasting import diebold_mariano, metrics, rolling_origin, transforms, windows
from utils.forecasting.candidates import Prepared
from utils.forecasting.epoch_snapshots import SnapshotTrainer, network_forecast
from utils.forecasting.ridge import ALPHAS, flatten_windows
from utils.forecasting.settings import TEMPERATURE

PLAIN, CORRECTION = "plain", "correction"


class RidgeFit(NamedTuple):
    alpha: float
    validation_mse: dict  # alpha -> mean squared error on the block before `end` (scaled units)
    weights: np.ndarray  # (window x features,)
    intercept: float

    def predict(self, X):
        return flatten_windows(X) @ self.weights + self.intercept


def solve_ridge(A, y, alpha):
    """Ridge regression with an unpenalised intercept: (weights, intercept), as sklearn's Ridge."""
    A, y = np.asarray(A, dtype="float64"), np.asarray(y, dtype="float64")
    a_mean, y_mean = A.mean(axis=0), y.mean()
    centred = A - a_mean
    weights = np.linalg.solve(centred.T @ centred + alpha * np.eye(A.shape[1]), centred.T @ (y - y_mean))
    return weights, float(y_mean - a_mean @ weights)


def fit_ridge(X_fit, y_fit, X_check, y_check, X_all, y_all, alphas=ALPHAS):
    """Choose alpha on (X_check, y_check) with ridges fitted on (X_fit, y_fit); refit that alpha on
    (X_all, y_all), every window that `X_fit` and `X_check` hold. Ties keep the larger alpha."""
    A_fit, A_check = flatten_windows(X_fit), flatten_windows(X_check)
    mse = {}
    for alpha in sorted(alphas, reverse=True):
        weights, intercept = solve_ridge(A_fit, y_fit, alpha)
        mse[alpha] = float(np.mean((A_check @ weights + intercept - y_check) ** 2))
    best = min(sorted(mse, reverse=True), key=lambda a: (round(mse[a], 12), -a))
    weights, intercept = solve_ridge(flatten_windows(X_all), y_all, best)
    return RidgeFit(best, dict(sorted(mse.items())), weights, intercept)


def _scaled(series, end):
    """series scaled to -1..1 by its min and max on steps < end: (scaled, low, range)."""
    known = series[:end][~np.isnan(series[:end])]
    low, span = float(known.min()), float(known.max() - known.min()) or 1.0
    return (series - low) / span * 2 - 1, low, span


def _without(prepared, skip):
    """`prepared` without the samples that predict a step in `skip` (filled dates: no measurement)."""
    if not len(skip):
        return prepared
    keep = ~np.isin(prepared.positions, np.asarray(list(skip)))
    return prepared._replace(X=prepared.X[keep], y=prepared.y[keep], positions=prepared.positions[keep],
                             base=prepared.base[keep])


def prepare_daily(values, day_features, end, target, season, window, skip=()):
    """The plain GRU's windows: (scaled target input, sin, cos) per step, the scaled target, fitted
    before `end`.

    The scalers map the steps before `end` to -1..1 (the case's MinMaxScaler, in NumPy).
    """
    values = np.asarray(values, dtype="float64")
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    scaled_inputs, in_low, in_span = _scaled(inputs, end)
    scaled_targets, out_low, out_span = _scaled(targets, end)
    features = np.column_stack([scaled_inputs, np.asarray(day_features, dtype="float64")])
    X, y, positions = windows.make_windows(features, scaled_targets, window)
    base = transforms.to_levels(np.zeros(len(positions)), values, positions, target, season)
    prepared = Prepared(X, y, positions, base, out_low + out_span / 2, out_span / 2, end,
                        {"target": target, "input_range": (in_low, in_low + in_span),
                         "target_range": (out_low, out_low + out_span), "features": features})
    return _without(prepared, skip)


def ridge_one_step(daily, end, block, alphas=ALPHAS):
    """The ridge on `daily`'s windows (a `prepare_daily` result fitted before `end`): alpha chosen on the
    `block` steps before `end` with a ridge fitted on the steps before them, then refitted on every step
    before `end`. Returns (forecasts of every sample of `daily` in real units, RidgeFit)."""
    fit_rows = np.flatnonzero(daily.positions < end - block)
    check_rows = np.flatnonzero((daily.positions >= end - block) & (daily.positions < end))
    all_rows = np.flatnonzero(daily.positions < end)
    if len(fit_rows) < 2 or len(check_rows) < 1:
        raise ValueError(f"too few windows before step {end} to choose the ridge's alpha")
    ridge = fit_ridge(daily.X[fit_rows], daily.y[fit_rows], daily.X[check_rows], daily.y[check_rows],
                      daily.X[all_rows], daily.y[all_rows], alphas)
    return daily.levels(ridge.predict(daily.X)), ridge


def prepare_correction(values, end, window, base_forecasts, extra_inputs=None, skip=()):
    """Windows for a network that corrects a classical one-step forecast, fitted before `end`.

    `base_forecasts`: the classical forecast of every step of `values` (NaN where it has none), each
    made from values before its step only. Inputs per step: the residual values - base, divided by its
    root mean square on the steps before `end`, and `extra_inputs` (steps, k) if given; the target is
    that scaled residual. A prediction p means base + residual_scale * p, so 0 is the base itself.
    """
    values = np.asarray(values, dtype="float64")
    base_forecasts = np.asarray(base_forecasts, dtype="float64")
    residuals = values - base_forecasts
    known = residuals[:end][~np.isnan(residuals[:end])]
    scale = float(np.sqrt(np.mean(known**2))) or 1.0
    columns = [residuals / scale] + ([] if extra_inputs is None else [np.asarray(extra_inputs, "float64")])
    X, y, positions = windows.make_windows(np.column_stack(columns), residuals / scale, window)
    prepared = Prepared(X, y, positions, base_forecasts[positions], 0.0, scale, end,
                        {"residual_scale": scale})
    return _without(prepared, skip)


class Candidate(NamedTuple):
    name: str
    kind: str  # PLAIN or CORRECTION
    window: int
    units: int
    learning_rate: float
    batch_size: int
    max_epochs: int
    cell: str = "GRU"  # the recurrent layer (Case 17-5 runs the plain candidate with each cell)


class Origins(NamedTuple):
    """Everything prepared at one origin (or before the test): plain windows, ridge, correction windows."""

    daily: Prepared
    ridge_forecasts: np.ndarray  # per sample of `daily`, real units
    ridge: RidgeFit
    correction: Prepared


def prepare_at(values, day_features, end, target, season, window, block, skip=()):
    """The plain windows, the ridge and the correction's windows, all fitted before `end`."""
    daily = prepare_daily(values, day_features, end, target, season, window)  # filled steps dropped below
    ridge_forecasts, ridge = ridge_one_step(_without(daily, skip), end, block)
    base = np.full(len(values), np.nan)
    base[daily.positions] = daily.levels(ridge.predict(daily.X))  # every step the ridge has a window for
    correction = prepare_correction(values, end, window, base, daily.info["features"], skip)
    daily = _without(daily, skip)
    return Origins(daily, ridge_forecasts, ridge, correction)


def ridge_validation(values, day_features, origins, target, season, window, skip=()):
    """The ridge's mean validation RMSE over the origins (each fitted before its origin)."""
    rmses = []
    for origin in origins:
        daily = prepare_daily(values, day_features, origin.origin, target, season, window, skip)
        forecasts, _ = ridge_one_step(daily, origin.origin, len(origin.validation))
        steps = scored_steps(origin.validation, skip)
        rows = daily.rows(steps)
        rmses.append(metrics.rmse(values[steps], forecasts[rows]))
    return float(np.mean(rmses)), rmses


def scored_steps(steps, skip):
    return np.array([s for s in steps if s not in set(skip)], dtype=int)


def _marked(table, pick):
    """rolling_origin.table marks the lowest mean; here the pick follows the rule, so mark the pick."""
    lines = [line.removesuffix("  <-") for line in table.splitlines()]
    return "\n".join(line + "  <-" if line.startswith(f"  {pick} ") else line for line in lines)


class Result(NamedTuple):
    origins: list
    scores: dict  # name -> rolling_origin.CandidateScores (columns: epochs 0..max_epochs)
    ridge_rmse: list  # the ridge's validation RMSE at each origin (= the correction's epoch 0)
    ridge_alphas: list  # its alpha at each origin
    pick: str
    pick_rule: str  # the sentence saying why
    pick_p_value: float  # DM p-value, plain vs correction, on the pooled origin errors
    epochs: int
    refit: bool
    refit_rmse: float
    no_refit_rmse: float
    refit_p_value: float
    test_steps: np.ndarray
    forecasts: dict  # name -> test forecasts (both candidates, and "ridge"), real units
    finals: dict  # name -> (Prepared, initial weights, final weights, epochs) of the test forecaster
    test_ridge: RidgeFit  # the ridge fitted before the test (alpha on the last block)
    test_prepared: Origins
    trace: list
    seconds: float
    epoch_seconds: list = None  # per network built, the seconds of each epoch it trained (the first traces)


def run(values, day_features, first_test, origins, target, season, seed, candidates, skip=(), unit="",
        validation_only=False):
    """The protocol (module docstring). `origins`: rolling_origin.Origin list, all before `first_test`.

    `validation_only=True`: stop after the choices (candidate, epochs, refit decision): nothing is
    prepared or fitted before the test and no test-period forecast is made (`forecasts`, `finals`,
    `test_ridge` and `test_prepared` are None), for offline searches such as benchmarks/choose_gru.py.
    """
    started = time.perf_counter()
    values = np.asarray(values, dtype="float64")
    block = len(origins[-1].validation)
    window = candidates[0].window
    prepared_cache, trainers, runs = {}, {}, {}

    def prepared(end):
        if end not in prepared_cache:
            prepared_cache[end] = prepare_at(values, day_features, end, target, season, window, block, skip)
        return prepared_cache[end]

    def data_of(candidate, end):
        at = prepared(end)
        return at.daily if candidate.kind == PLAIN else at.correction

    def trainer(candidate):
        data = data_of(candidate, origins[0].origin)
        key = (candidate.kind, candidate.window, data.X.shape[2], candidate.units, candidate.learning_rate,
               candidate.batch_size, candidate.cell)
        if key not in trainers:
            # the short windows unrolled (straight-line steps, faster on a CPU), each epoch one compiled graph
            trainers[key] = SnapshotTrainer(candidate.window, data.X.shape[2], candidate.units,
                                            candidate.learning_rate, candidate.batch_size, seed,
                                            zero_head=candidate.kind == CORRECTION, layer=candidate.cell,
                                            unroll=True)
        return trainers[key]

    cell_of = {c.name: c.cell for c in candidates}

    def errors(data, weights, steps, name):
        rows = data.rows(steps)
        return values[steps] - data.levels(network_forecast(cell_of[name], weights, data.X[rows]), rows)

    def curve(candidate):
        def at(origin):
            data = data_of(candidate, origin.origin)
            rows = data.training_rows()
            snapshots = trainer(candidate).fit(data.X[rows], data.y[rows], candidate.max_epochs)
            runs[candidate.name, origin.origin] = (data, snapshots)
            steps = scored_steps(origin.validation, skip)
            scores = np.array([metrics.rmse(errors(data, w, steps, candidate.name), 0) for w in snapshots])
            if candidate.kind == PLAIN:
                scores[0] = np.inf  # an untrained plain network is no forecast
            return scores

        return at

    scores = rolling_origin.evaluate({c.name: curve(c) for c in candidates}, origins)
    ridge_rmse, ridge_alphas = [], []
    for origin in origins:
        at, steps = prepared(origin.origin), scored_steps(origin.validation, skip)
        ridge_rmse.append(metrics.rmse(values[steps], at.ridge_forecasts[at.daily.rows(steps)]))
        ridge_alphas.append(at.ridge.alpha)

    # The candidate rule, fixed before looking: the correction unless the plain GRU is clearly better.
    by_kind = {c.kind: c for c in candidates}
    pick_p = float("nan")
    if PLAIN in by_kind and CORRECTION in by_kind:
        plain, correction = by_kind[PLAIN], by_kind[CORRECTION]
        pooled = {}
        for candidate in (plain, correction):
            best = scores[candidate.name].best
            pooled[candidate.name] = np.concatenate([
                errors(runs[candidate.name, o.origin][0], runs[candidate.name, o.origin][1][best],
                       scored_steps(o.validation, skip), candidate.name) for o in origins])
        pick_p = diebold_mariano.dm_test(pooled[plain.name], pooled[correction.name]).p_value
        lower = scores[plain.name].best_score < scores[correction.name].best_score
        clearly = lower and pick_p < diebold_mariano.ALPHA
        pick = plain.name if clearly else correction.name
        rule = (f"the rule, fixed in advance: keep the {correction.name} (it can fall back to the ridge "
                f"itself) unless the {plain.name} is clearly better, with a lower mean RMSE and a "
                f"Diebold-Mariano p < 0.05 on the errors of all origins pooled. Here its mean is "
                f"{'lower' if lower else 'not lower'}, p = {pick_p:.3f}: "
                + (f"the {plain.name} is clearly better" if clearly else "no clear case for the plain GRU"))
    else:
        pick = rolling_origin.choose(scores)
        rule = "only one candidate"
    chosen = next(c for c in candidates if c.name == pick)
    epochs = scores[pick].best

    # Refit or not, judged at the origins as in utils/forecasting/rolling_choice.py.
    refit_rmses, kept_rmses, refit_errors, kept_errors = [], [], [], []
    for earlier, later in zip(origins, origins[1:]):
        steps = scored_steps(later.validation, skip)
        pairs = ((runs[pick, later.origin], refit_rmses, refit_errors),
                 (runs[pick, earlier.origin], kept_rmses, kept_errors))
        for (data, snapshots), rmses, pooled_errors in pairs:
            error = errors(data, snapshots[epochs], steps, pick)
            rmses.append(metrics.rmse(error, 0))
            pooled_errors.extend(error)
    refit_rmse, no_refit_rmse = float(np.mean(refit_rmses)), float(np.mean(kept_rmses))
    refit_p = diebold_mariano.dm_test(refit_errors, kept_errors).p_value
    refit = not (no_refit_rmse < refit_rmse and refit_p < diebold_mariano.ALPHA)

    test_steps = scored_steps(np.arange(first_test, len(values)), skip)
    if validation_only:
        seconds = time.perf_counter() - started
        forecasts = finals = at_test = None
        candidates_to_forecast = []
    else:
        at_test = prepared(first_test)
        forecasts = {"ridge": at_test.ridge_forecasts[at_test.daily.rows(test_steps)]}
        finals = {}
        candidates_to_forecast = candidates
    # the pick first, so that `seconds` is its cost alone
    for candidate in sorted(candidates_to_forecast, key=lambda c: c.name != pick):
        n_epochs = scores[candidate.name].best
        if refit:
            data = data_of(candidate, first_test)
            rows = data.training_rows()
            snapshots = trainer(candidate).fit(data.X[rows], data.y[rows], n_epochs)
            weights = snapshots[-1]
        else:
            data, snapshots = runs[candidate.name, origins[-1].origin]
            weights = snapshots[n_epochs]
        finals[candidate.name] = (data, snapshots[0], weights, n_epochs)
        forecasts[candidate.name] = values[test_steps] - errors(data, weights, test_steps, candidate.name)
        if candidate.name == pick:
            seconds = time.perf_counter() - started  # the protocol's cost up to the pick's test forecasts

    unit_text = f" {unit}" if unit else ""
    what = ("the ridge itself (no epoch beat epoch 0, the zero-start head)"
            if chosen.kind == CORRECTION and epochs == 0 else f"{epochs} epochs")
    ridge_cells = "  ".join(f"{r:10.3f}" for r in ridge_rmse)
    trace = [
        f"rolling-origin validation: {len(origins)} origins, each validated on the next {block} steps:",
        _marked(rolling_origin.table(scores, origins, setting="epochs", unit=unit), pick),
        f"  (the ridge alone, = the correction's epoch 0: {ridge_cells}, mean {np.mean(ridge_rmse):.3f})",
        f"pick: {pick}, {what}; {rule}",
    ]
    decision = ("refit on every step before the test" if refit
                else "no refit: the last origin's models forecast the test, they were clearly better there")
    trace.append(f"{decision}: at the origins, the refitted pick scored {refit_rmse:.3f}{unit_text}, "
                 f"the pick from the origin before {no_refit_rmse:.3f}{unit_text} "
                 f"(Diebold-Mariano p = {refit_p:.3f}; "
                 "the older model is kept only when it is better with p < 0.05)")
    if validation_only:
        trace.append("validation only: the test period was not forecast")
    return Result(origins, scores, ridge_rmse, ridge_alphas, pick, rule, pick_p, epochs, refit,
                  refit_rmse, no_refit_rmse, refit_p, test_steps, forecasts, finals,
                  None if at_test is None else at_test.ridge, at_test, trace, seconds,
                  [list(t.epoch_seconds) for t in trainers.values()])


# Case 17-3's defaults: utils/forecasting/settings.py (TEMPERATURE) says how they were chosen.
WINDOW, UNITS, LEARNING_RATE, BATCH_SIZE, MAX_EPOCHS = (TEMPERATURE.window, TEMPERATURE.units,
                                                         TEMPERATURE.learning_rate, TEMPERATURE.batch_size,
                                                         TEMPERATURE.max_epochs)


def weights_sha256(weights):
    """A SHA-256 of the weights' float32 bytes: the same data before the test gives the same value."""
    import hashlib

    return hashlib.sha256(b"".join(np.asarray(w, dtype="float32").tobytes() for w in weights)).hexdigest()
