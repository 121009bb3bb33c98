"""Choose the network, its target and its epoch count by rolling-origin validation; refit; forecast the test.

The protocol, for a series `values` whose test period starts at step `first_test`:

1. origins (utils/forecasting/rolling_origin.py): e.g. for the milk, 112 and 124, each scored
   on the next 12 months; each candidate is prepared and trained on the steps before the origin
   only (scalers, SARIMA's parameters, the network's weights), for a fixed `max_epochs`, and its
   validation RMSE is taken after every epoch (utils/forecasting/epoch_snapshots.py);
2. the references (SARIMA and the simple baselines) are scored at the same origins; the best (lowest
   mean) is the one to beat AND the base of the hybrid, whose head starts at zero: its epoch 0 IS that
   reference, so the hybrid nests it. Each candidate's epoch count is the one with the lowest MEAN
   validation RMSE over the origins (a plain LSTM's epoch 0 is an untrained network, never a choice).
   The pick is the hybrid, unless a plain LSTM is CLEARLY better: a lower mean AND a Diebold-Mariano
   p-value below 0.05 on the origins' pooled one-step errors (the same rule as the refit's below). Two
   validation blocks of a season each often favour a network that then loses to the reference it was
   compared with; keeping the nested model unless the evidence is clear guards against that.
   (`prefer_nested=False`: the lowest mean wins, as before.)
3. refit or not, decided at the origins too: at each origin after the first, the pick refitted
   there (trained on everything before it) is compared with the pick from the origin before
   (not refitted, a block older), both with the chosen epoch count. Refitting is the default
   (it uses the newest data); the older model is kept only when it is clearly better there: lower
   RMSE AND a Diebold-Mariano p-value below 0.05 on those blocks' one-step errors. This costs no
   extra fit: both models were trained in step 1;
4. the test forecasts: the pick refitted on all steps before the test for the chosen epoch
   count, or the last origin's model. The test values are never read by steps 1 to 3, and the
   forecast of a test step uses only the values before it.

`unscored_steps` (e.g. the dates a case filled, utils/loading/calendar.fill_gaps) are no measurement:
no fit trains on them as targets and no validation score in steps 1 to 3 counts them; they still
serve as inputs to the windows after them (they were filled from the past only).

`run` returns a `ProtocolResult`; its `trace` lines say what was chosen and why.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from utils.forecasting import candidates as prep
from utils.forecasting import diebold_mariano, metrics, rolling_origin
from utils.forecasting.epoch_snapshots import (
    SnapshotTrainer,
    keras_graph_epochs,
    network_forecast,
    weights_fingerprint,
)
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
    cell: str = "LSTM"  # the recurrent layer (Case 17-5 runs the plain candidates with each cell)

    @property
    def features(self):
        return 2 if self.kind == "hybrid" else 1


def default_candidates(
    window=MILK.window,
    units=MILK.units,
    learning_rate=MILK.learning_rate,
    batch_size=MILK.batch_size,
    max_epochs=MILK.max_epochs,
    hybrid_window=24,
    hybrid_units=16,
    hybrid_learning_rate=3e-3,
    hybrid_max_epochs=20,
):
    """The three candidates: the plain LSTM with target "seasonal" and with "seasonal-diff"
    (the milk's settings, utils/forecasting/settings.py), and the hybrid. `max_epochs` is the
    epochs each plain candidate trains at each origin (no early stopping: the origins choose the count),
    `hybrid_max_epochs` the correction's. All of them were chosen on the milk's rolling origins only
    by benchmarks/choose_milk.py (this protocol, validation only, seeds 42, 1 and 2; docs/CASES.md
    shows the search): 10 epochs tie with 15 and 30 for the plain LSTM, whose best epochs are 3 to 5,
    and 20 with 30 and 45 for the correction, so the cheaper counts are kept."""
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


def choose_pick(scores, nested, pooled_errors, prefer_nested=True):
    """The pick among the candidates' `scores` ({name: rolling_origin.CandidateScores}), and the rule that
    decided: (pick, rule_kind, rule, p_value).

    `nested`: the names of the corrections (they nest the reference: their epoch 0 is it);
    `pooled_errors(name)`: that candidate's validation errors at its chosen epoch count, every origin's
    block in turn. A correction is kept unless a plain candidate is CLEARLY better: a lower mean AND a
    Diebold-Mariano p-value below 0.05 on those errors. Without a (finite) correction, or with
    `prefer_nested=False`, the lowest mean wins. `p_value` is nan when no test was needed.
    """
    lowest = rolling_origin.choose(scores)
    nested = [name for name in nested if np.isfinite(scores[name].best_score)]
    if not (prefer_nested and nested):
        return lowest, "lowest_mean", "the lowest mean validation RMSE over the origins", float("nan")
    if lowest in nested:
        rule = "the correction has the lowest mean validation RMSE over the origins"
        return lowest, "correction_lowest", rule, float("nan")
    correction = min(nested, key=lambda name: scores[name].best_score)
    p_value = diebold_mariano.dm_test(pooled_errors(lowest), pooled_errors(correction)).p_value
    clearly = p_value < diebold_mariano.ALPHA
    rule = (
        f"{lowest} has the lowest mean ({scores[lowest].best_score:.3f} against "
        f"{scores[correction].best_score:.3f} for the correction), Diebold-Mariano p = {p_value:.3f} on "
        "the origins' pooled errors: "
        + (
            "clearly better, so the plain network is picked"
            if clearly
            else "not clearly better (p >= 0.05), so the correction, which nests the reference, is kept"
        )
    )
    if clearly:
        return lowest, "plain_clearly_better", rule, p_value
    return correction, "correction_kept", rule, p_value


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
    # The references at the origins and the rule that picked:
    reference: str = None  # the key (candidates.REFERENCES) of the best reference; None when none scored
    reference_scores: dict = None  # key -> rolling_origin.CandidateScores (one column)
    rule: str = ""  # which rule picked, and why (one phrase)
    # "lowest_mean" (prefer_nested=False, or no correction), "correction_lowest", "correction_kept" (a
    # plain network had the lowest mean but not clearly) or "plain_clearly_better":
    rule_kind: str = ""
    rule_p_value: float = float("nan")  # Diebold-Mariano p of the plain challenger against the correction
    candidates: list = None  # the candidates as run (a correction renamed after its base)
    correction_p_value: float = float("nan")  # Diebold-Mariano p: the correction's epochs against epoch 0
    epoch_seconds: list = None  # per network built, the seconds of each epoch it trained (the first traces)


REFERENCE_LABELS = {
    "sarima": "SARIMA",
    "naive": "naive",
    "seasonal_naive": "seasonal naive",
    "seasonal_naive_plus_last_change": "seasonal naive + last change",
}


def run(
    values,
    first_test,
    season,
    seed,
    candidates=None,
    n_origins=2,
    block=None,
    forecast_all=False,
    unit="",
    unscored_steps=(),
    references=None,
    reference_labels=None,
    prefer_nested=True,
    workers=None,
    guard_correction_epochs=False,
    validation_only=False,
):
    """The whole protocol (module docstring). `block`: validation steps per origin (default: one season);
    `unscored_steps`: steps that are no measurement (filled dates): never a training target or a score.

    `references`: the keys (utils/forecasting/candidates.REFERENCES) a correction may start from
    (default: all; SARIMA only where `sarima.skip_reason` allows it; `()`: none, for plain candidates);
    `reference_labels` names them in the trace and in the correction's name. `prefer_nested=False`
    restores the plain lowest-mean rule.
    `guard_correction_epochs=True`: a correction keeps its trained epochs only when they are clearly
    better than its epoch 0, the reference (Diebold-Mariano p < 0.05 on the pooled origin errors).
    `workers`: threads that fit at once (default 1: on a 2-core machine two threads were slower, each
    thread traces its own models and TensorFlow's own thread pools compete); the results do not depend
    on it.
    `validation_only=True`: stop after the choices (steps 1 to 3): no test-period forecast is made, and
    `forecasts`, `weights`, `prepared` and `fitted` are None (for offline searches such as
    benchmarks/choose_milk.py); the scores, the pick and the refit decision are a normal run's."""
    from utils.forecasting import sarima

    started = time.perf_counter()
    values = np.asarray(values, dtype="float64")
    unscored = np.unique(np.asarray(unscored_steps, dtype="int64"))

    def measured(steps):
        """`steps` without the unscored ones; a block left with none cannot be scored."""
        kept = steps[~np.isin(steps, unscored)]
        if len(kept) == 0:
            raise BadInputError(
                f"every step from {steps[0]} to {steps[-1]} was filled: no measurement "
                "to validate on there; fill the gaps in the file or use a complete series"
            )
        return kept

    candidates = list(candidates or default_candidates())
    block = block or season
    origins = rolling_origin.rolling_origins(first_test, block, n_origins, min_train=2 * season + 2)
    notes, base_cache, trainers, runs, build_lock = [], {}, {}, {}, threading.Lock()
    labels = REFERENCE_LABELS | (reference_labels or {})
    references = list(prep.REFERENCES if references is None else references)
    if "sarima" in references and sarima.skip_reason(origins[0].origin, season, "the first origin"):
        references.remove("sarima")

    def base(key, end):
        """A reference's one-step forecasts of every step, fitted before `end` (remembered)."""
        if (key, end) not in base_cache:
            base_cache[key, end] = prep.reference_one_step(values, end, season, key)
        return base_cache[key, end]

    # The references, scored at the same origins; the best (lowest mean) is the one to beat and the
    # base every correction starts from, so a correction's epoch 0 IS that reference.
    reference_rmse = {}
    for key in references:
        per_origin = []
        for origin in origins:
            forecasts, _ = base(key, origin.origin)
            scored = measured(origin.validation)
            block_forecasts = None if forecasts is None else forecasts[scored]
            if block_forecasts is None or not np.isfinite(block_forecasts).all():
                per_origin = None
                break
            per_origin.append(metrics.rmse(values[scored], block_forecasts))
        if per_origin is not None:
            reference_rmse[key] = rolling_origin.summarise(labels[key], np.array(per_origin)[:, None])
    reference = min(reference_rmse, key=lambda key: reference_rmse[key].best_score, default=None)
    if reference is not None and reference != "sarima":  # the correction is named after its base
        candidates = [
            c._replace(name=f"{labels[reference]} + LSTM correction") if c.kind == "hybrid" else c
            for c in candidates
        ]
    if reference is None and any(c.kind == "hybrid" for c in candidates):
        notes.append("no reference could be scored at every origin: the corrections are no candidates")
        candidates = [c for c in candidates if c.kind != "hybrid"]

    def prepared(candidate, end):
        if candidate.kind == "plain":
            return prep.prepare_plain(values, end, candidate.target, season, candidate.window), None
        return prep.prepare_hybrid(values, end, season, candidate.window, base(reference, end))

    def trainer(candidate):
        key = (
            candidate.kind,
            candidate.window,
            candidate.features,
            candidate.units,
            candidate.learning_rate,
            candidate.batch_size,
            candidate.cell,
        )
        key += (threading.get_ident(),)  # one model per shape and per worker thread
        with build_lock:  # building seeds Keras's global generators: one model at a time
            if key not in trainers:
                trainers[key] = SnapshotTrainer(
                    candidate.window,
                    candidate.features,
                    candidate.units,
                    candidate.learning_rate,
                    candidate.batch_size,
                    seed,
                    zero_head=candidate.kind == "hybrid",
                    layer=candidate.cell,
                )
        return trainers[key]

    def fit(candidate, data, epochs):
        rows = data.training_rows()
        rows = rows[~np.isin(data.positions[rows], unscored)]  # a filled step is no target
        return trainer(candidate).fit(data.X[rows], data.y[rows], epochs)

    def origin_fit(job):
        candidate, origin = job
        data, reason = prepared(candidate, origin.origin)
        return (data, reason) if data is None else (data, fit(candidate, data, candidate.max_epochs))

    # Every (candidate, origin) fit is independent of the others: they may run on `workers` threads,
    # each with models of its own (TensorFlow runs graphs outside Python's lock).
    # Each fit starts from the same seeded weights and sample order as it would alone, so the results
    # are the same as one fit after the other.
    # (Keras's own fit, on another backend, reseeds global generators: one fit at a time there.)
    workers = workers if workers and keras_graph_epochs() else 1
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    parallel_map = pool.map if pool else map  # one worker: every fit in this thread, on the same models
    jobs = [(candidate, origin) for candidate in candidates for origin in origins]
    fitted_at = dict(zip(((c.name, o.origin) for c, o in jobs), parallel_map(origin_fit, jobs)))

    def outputs(candidate, weights, X):
        return network_forecast(candidate.cell, weights, X)

    by_name = {c.name: c for c in candidates}

    def validation_curve(candidate):
        def at(origin):
            data, snapshots = fitted_at[candidate.name, origin.origin]
            if data is None:
                notes.append(f"{candidate.name} skipped at origin {origin.origin}: {snapshots}")
                return np.full(candidate.max_epochs + 1, np.inf)
            runs[candidate.name, origin.origin] = (data, snapshots)
            scored = measured(origin.validation)
            rows = data.rows(scored)
            actual = values[scored]
            curve = np.array(
                [metrics.rmse(actual, data.levels(outputs(candidate, w, data.X[rows]), rows))
                 for w in snapshots]
            )
            if candidate.kind == "plain":
                curve[0] = np.inf  # an untrained plain network is no forecast
            return curve

        return at

    scores = rolling_origin.evaluate({c.name: validation_curve(c) for c in candidates}, origins)

    def pooled_errors(name, epoch=None):
        """A candidate's validation errors after `epoch` epochs (default: its chosen count), every
        origin's block in turn."""
        epoch = scores[name].best if epoch is None else epoch
        errors = []
        for origin in origins:
            data, snapshots = runs[name, origin.origin]
            scored = measured(origin.validation)
            rows = data.rows(scored)
            forecasts = data.levels(outputs(by_name[name], snapshots[epoch], data.X[rows]), rows)
            errors.extend(values[scored] - forecasts)
        return np.array(errors)

    # With `guard_correction_epochs`, the same guard one level down: a correction's trained epochs are
    # kept only when they are CLEARLY better than its epoch 0, the reference itself (Diebold-Mariano
    # p < 0.05 on the pooled origin errors). The lowest of 30 noisy means is optimistic, and two blocks
    # of a season give few errors. Off by default: on the milk it would keep SARIMA itself.
    correction_p, correction_note = float("nan"), ""
    for candidate in candidates:
        result = scores[candidate.name]
        if (
            candidate.kind != "hybrid"
            or not guard_correction_epochs
            or not np.isfinite(result.best_score)
            or result.best == 0
        ):
            continue
        correction_p = diebold_mariano.dm_test(
            pooled_errors(candidate.name), pooled_errors(candidate.name, 0)
        ).p_value
        trained = f"{result.best} epochs (mean {result.best_score:.3f})"
        if correction_p < diebold_mariano.ALPHA:
            correction_note = (
                f"the correction's {trained} against its epoch 0, the reference itself (mean "
                f"{result.mean[0]:.3f}): Diebold-Mariano p = {correction_p:.3f}, clearly better, kept"
            )
        else:
            correction_note = (
                f"the correction's {trained} against its epoch 0, the reference itself (mean "
                f"{result.mean[0]:.3f}): Diebold-Mariano p = {correction_p:.3f}, not clearly better, so the "
                "correction stays at epoch 0"
            )
            scores[candidate.name] = result._replace(best=0, best_score=float(result.mean[0]))

    nested = [c.name for c in candidates if c.kind == "hybrid"]
    pick, rule_kind, rule, rule_p = choose_pick(scores, nested, pooled_errors, prefer_nested)
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
            error = actual - data.levels(outputs(chosen, snapshots[epochs], data.X[rows]), rows)
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
        levels = data.levels(outputs(candidate, weights, data.X[rows]), rows)
        return Final(levels, sha, data, weights, snapshots[0], None)

    if validation_only:  # the choices only: nothing below step 3 runs, the test period is not forecast
        final = Final(None, "", None, None, None, "validation only")
        forecasts, sha, fitted = None, "", None
    else:
        final = final_forecast(chosen, epochs, refit)
        if final.forecasts is None:
            raise RuntimeError(f"the pick {pick!r} cannot be refitted before the test: {final.reason}")
        forecasts, sha, fitted = final.forecasts, final.sha, final.data.info
    seconds = time.perf_counter() - started  # the protocol's own cost, without the extra candidates below
    candidate_forecasts, candidate_weights = {}, {}
    if forecast_all and not validation_only:
        others = [c for c in candidates if c.name != pick and np.isfinite(scores[c.name].best_score)]
        refits = parallel_map(lambda other: final_forecast(other, scores[other.name].best, refit), others)
        finals = dict(zip((c.name for c in others), refits))
        for candidate in candidates:
            if candidate.name == pick:
                candidate_forecasts[pick] = forecasts
                candidate_weights[pick] = (final.initial_weights, final.weights)
            elif candidate.name in finals:
                other = finals[candidate.name]
                candidate_forecasts[candidate.name] = other.forecasts
                if other.forecasts is not None:
                    candidate_weights[candidate.name] = (other.initial_weights, other.weights)
    if pool:
        pool.shutdown()

    unit_text = f" {unit}" if unit else ""
    what = (
        f"{labels[reference]} itself (no epoch beat epoch 0, its zero-start head)"
        if chosen.kind == "hybrid" and epochs == 0
        else f"{epochs} epochs"
    )
    trace = [
        f"rolling-origin validation: {len(origins)} origins, each validated on the next {block} steps:",
        rolling_origin.table(scores, origins, setting="epochs", unit=unit),
        f"pick: {pick}, {what} (mean validation RMSE over the origins {scores[pick].best_score:.3f}"
        f"{unit_text}); rule: {rule}",
    ]
    if correction_note:
        trace.insert(2, correction_note)
    if reference is not None:
        trace.insert(
            1,
            "references at the same origins (mean validation RMSE): "
            + ", ".join(f"{labels[key]} {reference_rmse[key].best_score:.3f}" for key in reference_rmse)
            + f"; the best, {labels[reference]}, is the base of the correction (its epoch 0)",
        )
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
    if validation_only:
        trace.append("validation only: the test period was not forecast")
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
        reference,
        reference_rmse,
        rule,
        rule_kind,
        rule_p,
        candidates,
        correction_p,
        [list(t.epoch_seconds) for t in trainers.values()],
    )
