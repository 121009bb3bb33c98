"""What each case writes to metrics.json: one payload builder per kind of case.

Every key these functions return is documented in docs/METRICS.md, the one place that says what
the numbers mean; tests/test_metrics_schema.py fails when a payload and that page disagree. The
case writes the payload with `utils.forecasting.metrics.write_metrics`.

  forecast_payload    Cases 17-2 (LSTM, milk) and 17-3 (GRU, temperatures)
  text_payload        Case 17-1 (SimpleRNN on characters), with text_mixture; then text_test_scores and
                      generation_checks
  gradients_payload   Case 17-4 (vanishing and exploding gradients, the adding problem)
  comparison_payload  Case 17-5 (SimpleRNN vs LSTM vs GRU)
  bptt_payload        Case 17-6 (backpropagation through time by hand)
"""

import numpy as np


def forecast_payload(*, model, scores, validation_scores, baseline_keys, other_keys, best_baseline, choices,
                     weights_sha256, unit, step, season, target, periods, test_points, test_first_date,
                     fit_seconds, params, seed, window, epochs, units, learning_rate, backend, patience=None,
                     batch_size=None, sarima=None, pick=None, refit=None, candidates=None, reference=None):
    """The payload of a forecasting case (Cases 17-2 and 17-3).

    `scores` and `validation_scores` map a printed forecast name to `metrics.score()`; `model` is the
    network's printed name ("LSTM", "GRU"). `baseline_keys` maps each simple baseline's printed name
    to its key; `other_keys` does the same for the other references (the ridge regression, SARIMA):
    they follow the simple baselines under "baselines" and, where scored on validation, precede them
    under "validation". `sarima` is the SARIMA fit's details (Case 17-2); `batch_size` is written
    when given (Case 17-3). `periods` is a `utils.forecasting.timeline.Periods`. `patience` is
    written when given (Case 17-3, which stops early). Case 17-2's rolling-origin choice adds, when
    given, `pick` (the chosen candidate's name, also `model`), `refit`, `candidates` (name ->
    {"validation_rmse", "test_rmse", "epochs"}) and `reference` (the agreed verdict block: name, key,
    rmse, dm_statistic, dm_p_value, verdict; Case 17-3 too: see
    `reference_entry`).
    """
    references = {**baseline_keys, **other_keys}
    payload = {
        "model_rmse": scores[model]["rmse"],
        "model_mae": scores[model]["mae"],
        "baselines": {key: scores[name] for name, key in references.items() if name in scores},
        "best_baseline_on_validation": baseline_keys[best_baseline],
        **({"reference": reference} if reference is not None else {}),
        "validation": {"model_rmse": validation_scores[model]["rmse"]}
        | {key: validation_scores[name]["rmse"] for name, key in other_keys.items()
           if name in validation_scores}
        | {key: validation_scores[name]["rmse"] for name, key in baseline_keys.items()},
        "choices": choices,
    }
    if sarima is not None:
        payload["sarima"] = {key: sarima[key] for key in ("params", "converged", "note")}
    payload |= {
        "weights_sha256": weights_sha256,
        "unit": unit,
        "step": step,
        "season": season,
        "target": target,
        "periods": {"train": periods.n_train, "validation": periods.n_validation, "test": periods.n_test},
        "test_points": int(test_points),
        "test_first_date": test_first_date,
        "fit_seconds": fit_seconds,
        "params": int(params),
        "seed": seed,
        "window": window,
        "epochs": epochs,
        "units": units,
        "learning_rate": learning_rate,
    }
    if batch_size is not None:
        payload["batch_size"] = batch_size
    if patience is not None:
        payload["patience"] = patience
    payload["backend"] = backend
    extra = {"pick": pick, "refit": refit, "candidates": candidates}
    return payload | {key: value for key, value in extra.items() if value is not None}


def reference_entry(name, key, rmse, dm_result, verdict):
    """The "reference" entry: the RMSE on test of the best reference (the one validation chose), and
    the Diebold–Mariano test of the network against it (`dm_result` from
    `utils.forecasting.diebold_mariano.dm_test`, network first, one-step test errors, squared loss).
    `verdict`: "better", "worse" or "no clear difference"."""
    if verdict not in ("better", "worse", "no clear difference"):
        raise ValueError(f"unknown verdict {verdict!r}")
    return {"name": name, "key": key, "rmse": rmse, "dm_statistic": dm_result.statistic,
            "dm_p_value": dm_result.p_value, "verdict": verdict}


def text_payload(*, val_bits_per_char, baselines, best_ngram, uniform_bits_per_char, train_chars, val_chars,
                 test_chars, val_scored_chars, best_epoch, epochs_run, val_bits_per_epoch, weights_sha256,
                 fit_seconds, params, seed, seq_len, stride, epochs, units, batch_size, learning_rate,
                 vocabulary, backend, steps, batches_per_epoch, patience, step_size_cut,
                 best_epoch_is_last_allowed, mixture_payload):
    """Case 17-1's payload as far as validation: everything a run with --validation-only writes.

    `baselines` maps an n-gram key to {"k", "val_bits_per_char"} (and "bits_per_char" once the
    test part is scored); `vocabulary` is the list of symbols, index i being symbol i; `epochs` is
    the most epochs the budget of `steps` gradient steps allows; `mixture_payload` is `text_mixture`.
    """
    return {
        "val_bits_per_char": val_bits_per_char,
        "baselines": baselines,
        "best_ngram": best_ngram,
        "uniform_bits_per_char": uniform_bits_per_char,
        "train_chars": int(train_chars),
        "val_chars": int(val_chars),
        "test_chars": int(test_chars),
        "val_scored_chars": int(val_scored_chars),
        "best_epoch": best_epoch,
        "epochs_run": epochs_run,
        "val_bits_per_epoch": list(val_bits_per_epoch),
        "weights_sha256": weights_sha256,
        "fit_seconds": fit_seconds,
        "params": int(params),
        "seed": seed,
        "seq_len": seq_len,
        "stride": stride,
        "epochs": epochs,
        "steps": steps,
        "batches_per_epoch": int(batches_per_epoch),
        "best_epoch_is_last_allowed": bool(best_epoch_is_last_allowed),
        "patience": patience,
        "step_size_cut": step_size_cut,
        "units": units,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "mixture": mixture_payload,
        "vocab_size": len(vocabulary),
        "vocabulary": "".join(vocabulary),  # index i is vocabulary[i]: needed to use model.keras later
        "backend": backend,
    }


def text_mixture(*, ngram, weight, pick, val_bits_per_char, val_bits_per_weight):
    """Case 17-1's "mixture" entry: w * SimpleRNN + (1 - w) * the best n-gram, w chosen on validation.

    `val_bits_per_weight` maps each weight tried to its validation score (utils.language.mixture's
    `choose_weight`); `pick` is "SimpleRNN" (w = 1), "n-gram" (w = 0) or "mixture". The case adds
    "bits_per_char", the mixture's test score, once the test part is scored.
    """
    return {
        "ngram": ngram,
        "weight": float(weight),
        "pick": pick,
        "val_bits_per_char": val_bits_per_char,
        "weights_tried": [float(w) for w in val_bits_per_weight],
        "val_bits_per_weight": [float(bits) for bits in val_bits_per_weight.values()],
    }


def text_test_scores(model_bits_per_char, test_scored_chars, test_unknown_chars, pick_bits_per_char):
    """Case 17-1's test-part keys, added to `text_payload` once the test part is scored."""
    return {"model_bits_per_char": model_bits_per_char, "pick_bits_per_char": pick_bits_per_char,
            "test_scored_chars": int(test_scored_chars), "test_unknown_chars": test_unknown_chars}


def generation_checks(carried_ms, reread_ms, carried_vs_keras, within_seq_len, beyond_seq_len):
    """Case 17-1's "generation" entry: the two checks of Step 8 and the cost of each way of generating."""
    return {
        "carried_ms_per_char": carried_ms,
        "reread_ms_per_char": reread_ms,
        "carried_vs_keras_max_abs_diff": carried_vs_keras,
        "window_vs_carried_max_abs_diff_within_seq_len": within_seq_len,
        "window_vs_carried_max_abs_diff_beyond_seq_len": beyond_seq_len,
    }


def gradients_payload(*, gradient_norms, gate_paths, test_mse, epochs_used, fit_seconds, baseline_mse,
                      solved, learning_rate, clipnorm, exploding, lengths, timesteps, units, epochs, samples,
                      batch_size, trained_variants, gate_bias, quick, seed, backend, seconds):
    """Case 17-4's payload.

    `gradient_norms` and `gate_paths` map a variant to {"fresh": ..., "trained": ...} (the second only
    for a variant trained in Step 4); `test_mse`, `epochs_used` and `fit_seconds` map a trained
    variant to {T: value}; `baseline_mse` maps T to the predict-the-mean score; `exploding` is Step 7's
    dict (see docs/METRICS.md for its keys).
    """
    by_length = lambda per_variant: {variant: {str(T): values[T] for T in lengths}  # noqa: E731
                                     for variant, values in per_variant.items()}
    return {
        "gradient_norms": gradient_norms,
        "gate_paths": gate_paths,
        "adding_test_mse": by_length(test_mse),
        "adding_epochs": by_length(epochs_used),
        "adding_fit_seconds": by_length(fit_seconds),
        "mean_baseline_test_mse": {str(T): baseline_mse[T] for T in lengths},
        "solved_below_val_mse": solved,
        "learning_rate": learning_rate,
        "clipnorm": clipnorm,
        "exploding": exploding,
        "lengths": lengths,
        "timesteps": timesteps,
        "units": units,
        "epochs": epochs,
        "samples": samples,
        "batch_size": batch_size,
        "trained_variants": trained_variants,
        "gate_bias": gate_bias,
        "quick": quick,
        "seed": seed,
        "backend": backend,
        "seconds": seconds,
    }


def exploding_summary(*, losses_without_clipping, losses_with_clipnorm, first_nan_epoch, clipnorm,
                      start_gradient_norms, timesteps, recurrent_gain, learning_rate):
    """Case 17-4's "exploding" entry (Step 7); a NaN or infinite loss is written as null."""
    finite_or_none = lambda values: [float(v) if np.isfinite(v) else None for v in values]  # noqa: E731
    return {
        "losses_without_clipping": finite_or_none(losses_without_clipping),
        "losses_with_clipnorm": finite_or_none(losses_with_clipnorm),
        "first_nan_epoch_without_clipping": first_nan_epoch,
        "clipnorm": clipnorm,
        "start_gradient_norms": start_gradient_norms,
        "timesteps": timesteps, "recurrent_gain": recurrent_gain, "learning_rate": learning_rate,
    }


def comparison_payload(*, seeds, quick, backend, table, tasks, references=None, outcomes=None):
    """Case 17-5's payload: per task, every cell's row of `table` (the mean over seeds) and the baselines.

    `table` is the case's DataFrame (one row per task and cell); `tasks` the `ForecastTask`s;
    `references` {task name: the baseline chosen on validation as the one to beat}; `outcomes`
    {(task name, cell): each seed's verdict against that reference, "better" or "worse"}.
    A table without validation or first-epoch columns, or a task without validation scores,
    simply leaves those keys out (docs/METRICS.md marks them *Only*).
    """
    from utils.forecasting import metrics

    references, outcomes = references or {}, outcomes or {}
    optional = [column for column in ("val_rmse_mean", "val_rmse_sd", "first_epoch_seconds", "timed_epochs",
                                      "refits")
                if column in table.columns]

    def cell(row):
        numbers = {"params": row.params, "epochs_mean": row.epochs,
                   "seconds_per_epoch": row.seconds_per_epoch, "fit_seconds": row.fit_seconds,
                   "rmse_mean": row.rmse_mean, "rmse_sd": row.rmse_sd}
        numbers |= {column: getattr(row, column) for column in optional}
        if (row.task, row.cell) in outcomes:
            numbers["verdicts"] = list(outcomes[row.task, row.cell])
        return numbers

    def baselines(task):
        validation = getattr(task, "baseline_validation_rmse", None) or {}
        return {name: {"rmse": metrics.rmse(task.actual, f)}
                | ({"validation_rmse": validation[name]} if name in validation else {})
                for name, f in task.baselines.items()}

    def reference(task):
        name = references[task.name]
        return {"reference": {"name": name, "rmse": metrics.rmse(task.actual, task.baselines[name]),
                              "validation_rmse": task.baseline_validation_rmse[name]}}

    return {
        "seeds": seeds, "quick": quick, "backend": backend,
        "results": {
            task.name: {row.cell: cell(row) for row in table[table.task == task.name].itertuples()}
            | {"baselines": baselines(task), "best_baseline": task.choices["best_baseline"]}
            | (reference(task) if task.name in references else {})
            for task in tasks
        },
    }


def bptt_payload(*, backward_pass, simple_rnn_jacobian_norms, simple_rnn_tape_max_abs_difference, lstm,
                 timesteps, units, small_scale, large_scale, input_scale, seed, backend, run_seconds):
    """Case 17-6's payload; `backward_pass` and `lstm` are Step 2's and Step 4's dicts (docs/METRICS.md)."""
    return {
        "backward_pass": backward_pass,
        "simple_rnn_jacobian_norms": simple_rnn_jacobian_norms,
        "simple_rnn_tape_max_abs_difference": simple_rnn_tape_max_abs_difference,
        "lstm": lstm,
        "timesteps": timesteps, "units": units, "small_scale": small_scale, "large_scale": large_scale,
        "input_scale": input_scale, "seed": seed, "backend": backend, "run_seconds": run_seconds,
    }
