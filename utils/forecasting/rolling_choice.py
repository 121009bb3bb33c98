"""Choose the network, its target and its epoch count by rolling-origin validation; refit; forecast the test.

The protocol, for a series `values` whose test period starts at step `first_test`:

1. origins (utils/forecasting/rolling_origin.py): e.g. for the milk, 112 and 124, each scored
   on the next 12 months; each candidate is prepared and trained on the steps before the origin
   only (scalers, SARIMA's parameters, the network's weights), for a fixed `max_epochs`, and its
   validation RMSE is taken after every epoch (utils/forecasting/epoch_snapshots.py);
2. the candidate and its epoch count are those with the lowest MEAN validation RMSE over the
   origins. The hybrid may pick epoch 0: its head starts at zero, so epoch 0 is SARIMA itself.
   A plain LSTM's epoch 0 is an untrained network, never a choice;
3. refit or not, decided at the origins too: at each origin after the first, the pick refitted
   there (trained on everything before it) is compared with the pick from the origin before
   (not refitted, a block older), both with the chosen epoch count. Refitting is the default
   (it uses the newest data); the older model is kept only when it is clearly better there: lower
   RMSE AND a Diebold-Mariano p-value below 0.05 on those blocks' one-step errors (a dozen errors
   rarely settle it, so this mostly refits). This costs no extra fit: both models were trained in step 1;
4. the test forecasts: the pick refitted on all steps before the test for the chosen epoch
   count, or the last origin's model. The test values are never read by steps 1 to 3, and the
   forecast of a test step uses only the values before it.

`unscored_steps` (e.g. the dates a case filled, utils/loading/calendar.fill_gaps) are no measurement:
no fit trains on them as targets and no validation score in steps 1 to 3 counts them; they still
serve as inputs to the windows after them (they were filled from the past only).

`run` returns a `ProtocolResult`; its `trace` lines say what was chosen and why.
"""

import time
from typing import NamedTuple

import numpy as np

from utils.forecasting import candidates as prep
from utils.forecasting import diebold_mariano, metrics, rolling_origin
from utils.forecasting.epoch_snapshots import SnapshotTrainer, forecast, weights_fingerprint
from utils.forecasting.settings import MILK
from utils.plumbing.errors import BadInputError


class Candidate(NamedTuple):
    name: str
    kind: str  # "plain" (the course's LSTM on a target transform) or "hybrid" (a correction to SARIMA)
    target: str  # the plain LSTM's target transform ("" for the hybrid)
    window: int
    units: int
    learning_rate: float
    batch_size: int
    max_epochs: int

    @property
    def features(self):
        return 2 if self.kind == "hybrid" else 1


def default_candidates(
    window=MILK.window,
    units=MILK.units,
    learning_rate=MILK.learning_rate,
    batch_size=MILK.batch_size,
    max_epochs=30,
    hybrid_window=24,
    hybrid_units=16,
    hybrid_learning_rate=3e-3,
    hybrid_max_epochs=30,
):
    """The three candidates: the plain LSTM with target "seasonal" and with "seasonal-diff"
    (the milk's settings, utils/forecasting/settings.py), and the hybrid. `max_epochs` is the
    epochs each candidate trains at each origin (no early stopping: the origins choose the count).

    The hybrid's learning rate, window and units were chosen on the milk's rolling-origin validation
    only (the mean over origins 112 and 124, seeds 42 and 1), among (0.01, 8 units, window 12),
    (0.003, 8, 12), (0.003, 16, 24) and (0.001, 16, 12); with 0.01 the correction overfits within a
    few epochs and the pick falls back to epoch 0 (SARIMA)."""
    return [
        Candidate(
            "LSTM, target seasonal", "plain", "seasonal", window, units, learning_rate, batch_size, max_epochs
        ),
        Candidate(
            "LSTM, target seasonal-diff",
            "plain",
            "seasonal-diff",
            window,
            units,
            learning_rate,
            batch_size,
            max_epochs,
        ),
        Candidate(
            "SARIMA + LSTM correction",
            "hybrid",
            "",
            hybrid_window,
            hybrid_units,
            hybrid_learning_rate,
            batch_size,
            hybrid_max_epochs,
        ),
    ]


class ProtocolResult(NamedTuple):
    origins: list  # rolling_origin.Origin
    scores: dict  # name -> rolling_origin.CandidateScores (columns: epochs 0..max_epochs)
    pick: str
    epochs: int
    refit: bool
    refit_rmse: float  # mean over origins 2..n of the refitted pick (nan with one origin)
    no_refit_rmse: float  # the same for the pick from the origin before
    refit_p_value: float  # Diebold-Mariano p-value of those two forecasts' errors
    test_steps: np.ndarray
    forecasts: np.ndarray  # the pick's forecasts of the test steps, in real units
    weights_sha256: str  # "" when the pick is SARIMA itself (epoch 0)
    fitted: dict  # what the final forecaster was fitted with (SARIMA parameters, scaler ranges)
    notes: list
    trace: list  # the lines a case prints
    seconds: float  # the protocol up to the pick's test forecasts (not forecast_all's extra refits)
    candidate_forecasts: dict  # name -> test forecasts of every candidate (only with forecast_all=True)
    # The pick's final forecaster, for a case that saves it, forecasts beyond the data or looks inside it:
    weights: list = None  # its weights (Keras's get_weights() order)
    initial_weights: list = None  # the same network's weights before training
    prepared: object = None  # its candidates.Prepared (windows over the whole series, fitted before .end)
    candidate_weights: dict = None  # name -> (initial, final) weights of every candidate (forecast_all=True)


def run(
    values, first_test, season, seed, candidates=None, n_origins=2, block=None, forecast_all=False, unit="",
    unscored_steps=(),
):
    """The whole protocol (module docstring). `block`: validation steps per origin (default: one season);
    `unscored_steps`: steps that are no measurement (filled dates): never a training target or a score."""
    started = time.perf_counter()
    values = np.asarray(values, dtype="float64")
    unscored = np.unique(np.asarray(unscored_steps, dtype="int64"))

    def measured(steps):
        """`steps` without the unscored ones; a block left with none cannot be scored."""
        kept = steps[~np.isin(steps, unscored)]
        if len(kept) == 0:
            raise BadInputError(f"every step from {steps[0]} to {steps[-1]} was filled: no measurement "
                                "to validate on there; fill the gaps in the file or use a complete series")
        return kept
    candidates = candidates or default_candidates()
    block = block or season
    origins = rolling_origin.rolling_origins(first_test, block, n_origins, min_train=2 * season + 2)
    notes, sarima_cache, trainers, runs = [], {}, {}, {}

    def prepared(candidate, end):
        if candidate.kind == "plain":
            return prep.prepare_plain(values, end, candidate.target, season, candidate.window), None
        if end not in sarima_cache:
            sarima_cache[end] = prep.sarima_one_step(values, end, season)
        return prep.prepare_hybrid(values, end, season, candidate.window, sarima_cache[end])

    def trainer(candidate):
        key = (
            candidate.kind,
            candidate.window,
            candidate.features,
            candidate.units,
            candidate.learning_rate,
            candidate.batch_size,
        )
        if key not in trainers:
            trainers[key] = SnapshotTrainer(
                candidate.window,
                candidate.features,
                candidate.units,
                candidate.learning_rate,
                candidate.batch_size,
                seed,
                zero_head=candidate.kind == "hybrid",
            )
        return trainers[key]

    def fit(candidate, data, epochs):
        rows = data.training_rows()
        rows = rows[~np.isin(data.positions[rows], unscored)]  # a filled step is no target
        return trainer(candidate).fit(data.X[rows], data.y[rows], epochs)

    def validation_curve(candidate):
        def at(origin):
            data, reason = prepared(candidate, origin.origin)
            if data is None:
                notes.append(f"{candidate.name} skipped at origin {origin.origin}: {reason}")
                return np.full(candidate.max_epochs + 1, np.inf)
            snapshots = fit(candidate, data, candidate.max_epochs)
            runs[candidate.name, origin.origin] = (data, snapshots)
            scored = measured(origin.validation)
            rows = data.rows(scored)
            actual = values[scored]
            curve = np.array(
                [metrics.rmse(actual, data.levels(forecast(w, data.X[rows]), rows)) for w in snapshots]
            )
            if candidate.kind == "plain":
                curve[0] = np.inf  # an untrained plain network is no forecast
            return curve

        return at

    scores = rolling_origin.evaluate({c.name: validation_curve(c) for c in candidates}, origins)
    pick = rolling_origin.choose(scores)
    chosen = next(c for c in candidates if c.name == pick)
    epochs = scores[pick].best

    # Refit or not, judged where both can be scored before the test.
    refit_rmses, kept_rmses, refit_errors, kept_errors = [], [], [], []
    for earlier, later in zip(origins, origins[1:]):
        if (pick, earlier.origin) not in runs or (pick, later.origin) not in runs:
            continue
        scored = measured(later.validation)
        actual = values[scored]
        for (data, snapshots), rmses, errors in (
            (runs[pick, later.origin], refit_rmses, refit_errors),
            (runs[pick, earlier.origin], kept_rmses, kept_errors),
        ):
            rows = data.rows(scored)
            error = actual - data.levels(forecast(snapshots[epochs], data.X[rows]), rows)
            rmses.append(metrics.rmse(error, 0))
            errors.extend(error)
    refit_rmse = float(np.mean(refit_rmses)) if refit_rmses else float("nan")
    no_refit_rmse = float(np.mean(kept_rmses)) if kept_rmses else float("nan")
    refit_p = (
        diebold_mariano.dm_test(refit_errors, kept_errors).p_value if len(refit_errors) > 1 else float("nan")
    )
    refit = not (no_refit_rmse < refit_rmse and refit_p < diebold_mariano.ALPHA)

    test_steps = np.arange(first_test, len(values))

    class Final(NamedTuple):
        forecasts: np.ndarray
        sha: str
        data: object
        weights: list
        initial_weights: list
        reason: str

    def final_forecast(candidate, n_epochs, do_refit):
        if do_refit:
            data, reason = prepared(candidate, first_test)
            if data is None:
                return Final(None, "", None, None, None, reason)
            snapshots = fit(candidate, data, n_epochs)
            weights = snapshots[-1]
        else:
            data, snapshots = runs[candidate.name, origins[-1].origin]
            weights = snapshots[n_epochs]
        rows = data.rows(test_steps)
        sha = weights_fingerprint(weights) if n_epochs > 0 else ""
        levels = data.levels(forecast(weights, data.X[rows]), rows)
        return Final(levels, sha, data, weights, snapshots[0], None)

    final = final_forecast(chosen, epochs, refit)
    if final.forecasts is None:
        raise RuntimeError(f"the pick {pick!r} cannot be refitted before the test: {final.reason}")
    forecasts, sha, fitted = final.forecasts, final.sha, final.data.info
    seconds = time.perf_counter() - started  # the protocol's own cost, without the extra candidates below
    candidate_forecasts, candidate_weights = {}, {}
    if forecast_all:
        for candidate in candidates:
            if candidate.name == pick:
                candidate_forecasts[pick] = forecasts
                candidate_weights[pick] = (final.initial_weights, final.weights)
            elif np.isfinite(scores[candidate.name].best_score):
                other = final_forecast(candidate, scores[candidate.name].best, refit)
                candidate_forecasts[candidate.name] = other.forecasts
                if other.forecasts is not None:
                    candidate_weights[candidate.name] = (other.initial_weights, other.weights)

    unit_text = f" {unit}" if unit else ""
    what = (
        "SARIMA itself (no epoch beat epoch 0, its zero-start head)"
        if chosen.kind == "hybrid" and epochs == 0
        else f"{epochs} epochs"
    )
    trace = [
        f"rolling-origin validation: {len(origins)} origins, each validated on the next {block} steps:",
        rolling_origin.table(scores, origins, setting="epochs", unit=unit),
        f"pick: {pick}, {what}, on the mean validation RMSE over the origins "
        f"({scores[pick].best_score:.3f}{unit_text})",
    ]
    if np.isnan(refit_rmse):
        trace.append("refit on every step before the test: there was nothing to compare it with")
    else:
        decision = (
            "refit on every step before the test"
            if refit
            else "no refit: the last origin's model forecasts the test, it was clearly better at the origins"
        )
        trace.append(
            f"{decision}: at the origins, the refitted pick scored {refit_rmse:.3f}{unit_text}, "
            f"the pick from the origin before {no_refit_rmse:.3f}{unit_text} "
            f"(Diebold-Mariano p = {refit_p:.3f}; "
            "the older model is kept only when it is better with p < 0.05)"
        )
    filled_before_test = int(np.sum(unscored < first_test))
    if filled_before_test:
        trace.append(f"{filled_before_test} filled step(s) before the test are no measurement: no training "
                     "target and no validation score above counts them")
    trace += [f"note: {note}" for note in notes]
    return ProtocolResult(
        origins,
        scores,
        pick,
        epochs,
        refit,
        refit_rmse,
        no_refit_rmse,
        refit_p,
        test_steps,
        forecasts,
        sha,
        fitted,
        notes,
        trace,
        seconds,
        candidate_forecasts,
        final.weights,
        final.initial_weights,
        final.data,
        candidate_weights,
    )
