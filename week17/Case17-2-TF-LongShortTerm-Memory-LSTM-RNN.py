"""Case 17-2: Long Short-Term Memory (LSTM): forecast monthly milk production.

The data: pounds of milk per cow, every month from 1962 to 1975 (168 months). It has a
trend (cows give more milk every year) and a yearly cycle (most milk in May).
The question: given the last months, how much milk next month?

Two models answer it: the course's plain LSTM, and the LSTM as a learnt correction to the
classical SARIMA model. Validation (several forecast origins before the test) picks one.

What this case teaches, step by step:
  1. load the data and look at it (the dates tell the step and the season);
  2. split time into training, validation and test periods, and cut the validation period into
     forecast origins (rolling-origin validation); list the candidates: the plain LSTM with each
     target transform, and SARIMA + an LSTM correction;
  3. cut the series into windows, each labelled with the step it predicts;
  4. build a small LSTM and count its parameters;
  5. train every candidate at every origin, choose the candidate and its epoch count by the mean
     validation score over the origins, decide whether to refit; then score the test period once:
     the pick, the plain LSTM, common-sense baselines and SARIMA;
  6. plot the validation score per epoch and the test forecasts;
  7. forecast the 12 steps after the data ends, with the pick;
  8. look inside the LSTM cell: its gates at every step of one window, before and after training.
The run ends with one sentence: is the pick better than the best reference chosen on validation
(a simple baseline or SARIMA), by a Diebold-Mariano test on the test period's one-step errors?

Run it:   python week17/Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py
Flags:    --help lists them all; try --target raw for the course's own target, or
          --csv your_file.csv --date-col Date --value-col Sales for your own series.
Debug it: set a breakpoint on any line below, or run it cell by cell (# %% markers).
"""

# %% Step 0: set-up (find the project folder, read the flags)
import sys
from pathlib import Path

# Find the project folder (the one holding utils/) whether this runs as a script, under a
# debugger, or cell by cell in an interactive window (where __file__ does not exist).
_here = Path(globals().get("__file__", Path.cwd())).resolve()
REPO_ROOT = next((p for p in (_here, *_here.parents) if (p / "utils" / "__init__.py").is_file()), None)
if REPO_ROOT is None:
    sys.exit("error: cannot find the project folder (the one holding utils/); "
             "run this from inside the project")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import time

import numpy as np

from utils.forecasting import (
    baselines,
    case_metrics,
    diebold_mariano,
    metrics,
    rolling_choice,
    rolling_origin,
    sarima,
    scoring,
    timeline,
    training,
    transforms,
    windows,
)
from utils.forecasting import candidates as prep
from utils.forecasting.epoch_snapshots import forecast
from utils.forecasting.settings import MILK
from utils.loading import step_words
from utils.loading.calendar import dates_after, fill_gaps
from utils.loading.series import load_series
from utils.plumbing import cli, paths
from utils.plumbing.errors import exit_cleanly_on_bad_input
from utils.plumbing.runtime import (
    backend_name,
    hide_tensorflow_startup_messages,
    set_seed,
)
from utils.recurrent import parameters
from utils.showing import cell_views, plotting, series_views, tables
from utils.showing.trace import say

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-2-lstm"
run_started = time.perf_counter()
MILK_CSV = paths.data_file(MILK.csv)
# The protocol's settings (utils/forecasting/rolling_choice.py): the plain LSTM's are the milk's
# (chosen on validation by benchmarks/choose_milk.py), the hybrid's were chosen on the milk's
# rolling origins only. Every choice below is made on the origins, before the test period.
PLAIN_DEFAULTS, HYBRID_DEFAULTS = (next(c for c in rolling_choice.default_candidates() if c.kind == kind)
                                   for kind in ("plain", "hybrid"))
# The correction starts at zero and moves slowly: it trains this many times the plain LSTM's epochs.
HYBRID_EPOCH_FACTOR = HYBRID_DEFAULTS.max_epochs // PLAIN_DEFAULTS.max_epochs
N_ORIGINS = 2  # forecast origins before the test, each validated on the next season
AUTO_TARGETS = ("seasonal", "seasonal-diff")  # the plain LSTM's targets when --target is auto
HYBRID = "SARIMA + LSTM correction"
SARIMA = "SARIMA(0,1,1)(0,1,1)"

parser = cli.new_parser("Case 17-2: an LSTM forecasts a monthly series "
                        "(by default, milk production per cow), alone and as a correction to SARIMA. "
                        "No early stopping: the epoch count is chosen on the rolling origins, "
                        "so this case has no --patience.")
cli.add_series_flags(parser, csv=MILK_CSV, date_col=MILK.date_col, value_col=MILK.value_col,
                     window=PLAIN_DEFAULTS.window)
cli.add_training_flags(parser, epochs=PLAIN_DEFAULTS.max_epochs, units=PLAIN_DEFAULTS.units,
                       epochs_help="epochs the plain LSTM trains at each forecast origin (the correction, "
                                   f"which starts at zero, trains {HYBRID_EPOCH_FACTOR} times as many); "
                                   "the epoch count with the best mean validation score over the "
                                   "origins is kept")
parser.add_argument("--target", choices=(*transforms.TARGETS, "auto"), default="auto",
                    help="what the plain LSTM predicts; 'auto' lets the rolling origins choose between "
                         f"{' and '.join(AUTO_TARGETS)} (default: %(default)s)")
parser.add_argument("--season", type=cli.positive_int, default=None,
                    help="length of the cycle in time steps "
                         "(default: read from the dates: 12 for months, 52 for weeks, ...)")
cli.add_fitting_flags(parser, learning_rate=PLAIN_DEFAULTS.learning_rate,
                      batch_size=PLAIN_DEFAULTS.batch_size, patience=None,
                      learning_rate_help="the plain LSTM's Adam learning rate "
                                         f"(the SARIMA correction uses {HYBRID_DEFAULTS.learning_rate})")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
shipped_data = Path(args.csv).resolve() == MILK_CSV

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-2 (LSTM): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
series, filled_dates = fill_gaps(series)  # a missing step would silently break every window
if filled_dates:
    say(f"Note: filled {len(filled_dates)} missing date(s) with the value before each: "
        f"{', '.join(str(d.date()) for d in filled_dates[:10])}")
values = series.to_numpy()  # float64, in real units (pounds per cow)
unit = MILK.unit if shipped_data else args.value_col  # a student's column name is the best unit we know
# The dates say what one step is (a month, a week, a day...) and how long a season is.
words = step_words.describe_steps(series.index, args.season)
season = words.season

print(f"\n[1] {series_views.first_look(series, words, args.value_col, '10.1f')}")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f} ({unit})")
say(f"Note: {words.note}")

# %% [markdown]
# **Step 2: three periods in time order, and several forecast origins.**
# - *training*: the steps before the first origin;
# - *validation*: the stretch just before the test, cut into blocks of one season. At each
#   forecast origin a candidate is prepared and trained on the steps before it only, then scored on
#   the next block (rolling-origin validation, as in Hyndman & Athanasopoulos, *Forecasting:
#   Principles and Practice*). EVERY choice uses the MEAN score over the origins: the target, the
#   model family, the epoch count, whether to refit, and the simple baseline to beat. One block
#   alone rewards whatever suits that stretch (a growth rate that then stops, say);
# - *test*: scored once, at the very end. Nothing above looks at it.
#
# The test period is the course's: the last 20 % of the windows it cut with its 12-step window.
# It is fixed by the data, so any --window forecasts the same test steps.
#
# **Two models.** First the course's question, a plain LSTM. What it predicts is a target
# transform (utils/forecasting/transforms.py), for which predicting 0 gives a simple baseline:
# - *seasonal*: change from one season ago; 0 is the seasonal naive forecast;
# - *seasonal-diff*: this step's change minus the same step's change a season ago;
#   0 is seasonal naive + last change.
# ('raw', the course's own target, and 'diff' can be asked for with --target.)
# Then the LSTM as a *correction to SARIMA*, in the spirit of Smyl's ES-RNN (the M4 competition's
# winner, 2018, an LSTM on top of exponential smoothing): SARIMA(0,1,1)(0,1,1,season) makes its
# one-step forecast, and the LSTM predicts SARIMA's error from windows of its past errors and of
# past seasonal changes. Its Dense head starts at zero, so before training it predicts exactly
# 0: "epoch 0" of this candidate IS SARIMA, and it only moves away from SARIMA when training helps
# at the origins. (Where a simple baseline beats SARIMA at the origins, or SARIMA cannot run, the
# correction starts from that baseline instead: its base is the best reference at the origins.)
# Scaling: every candidate scales its inputs and target on the steps before each
# origin only (utils/forecasting/candidates.py, in NumPy).

# %% Step 2: three periods, the forecast origins, and the candidates
n_test = timeline.fixed_test_size(len(values), course_window=12)
periods = timeline.three_periods(len(values), n_test, N_ORIGINS * season)
dates = series.index
print("\n[2] three periods, in time order:")
print(tables.describe_periods(periods, dates, words,
                              training_use="the first origin trains here, later ones on more"))
origins = rolling_origin.rolling_origins(periods.first_test, season, N_ORIGINS, min_train=2 * season + 2,
                                         steps=words.steps)
print(f"rolling origins: {len(origins)}, each validated on the next {words.count(season)}:")
for origin in origins:
    block = origin.validation
    print(f"  origin {origin.origin}: trains on {words.date(dates[0])} .. "
          f"{words.date(dates[origin.origin - 1])} ({words.count(origin.origin)}), "
          f"validated on {words.date(dates[block[0]])} .. "
          f"{words.date(dates[block[-1]])}")

plain_targets = AUTO_TARGETS if args.target == "auto" else (args.target,)
say("target candidates for the plain LSTM: "
    + ", ".join(f"{t} (0 = {transforms.ZERO_FORECAST.get(t, 'no forecast')})" for t in plain_targets)
    + (" (auto: the rolling origins choose)" if args.target == "auto" else " (--target)"))
candidates = [
    rolling_choice.Candidate(f"LSTM, target {t}", "plain", t, args.window, args.units, args.learning_rate,
                             args.batch_size, args.epochs)
    for t in plain_targets
]
# The correction needs two seasons of its base's errors after their start-up, and 12 training windows
# of them, before the first origin. Its base is the best reference at the origins: SARIMA where it can
# be fitted, or a simple baseline.
sarima_reason = sarima.skip_reason(origins[0].origin, season, before="the first origin")
residual_steps = origins[0].origin - prep.hybrid_burn_in(season)
hybrid_reason = None
if residual_steps < 2 * season or residual_steps - args.window < 12:
    hybrid_reason = (f"{origins[0].origin} steps before the first origin are too few for a reference's "
                     f"errors and 12 windows of {words.count(args.window)}")
if hybrid_reason is None:
    candidates.append(rolling_choice.Candidate(HYBRID, "hybrid", "", args.window, args.units,
                                               HYBRID_DEFAULTS.learning_rate, args.batch_size,
                                               args.epochs * HYBRID_EPOCH_FACTOR))
    say(f"and an LSTM correction to the best reference at the origins (SARIMA or a simple baseline; "
        f"its own learning rate {HYBRID_DEFAULTS.learning_rate}, chosen on the milk's rolling origins)")
    if sarima_reason:
        say(f"Note: SARIMA is no reference here: {sarima_reason}")
else:
    say(f"Note: the LSTM correction is no candidate here: {hybrid_reason}")
for plain_target in plain_targets:  # enough training windows before the first origin, for every target
    windows.check_window_fits(args.window, periods, *transforms.first_defined(plain_target, season),
                              steps=words.steps)

# One plain candidate prepared at the first origin, to see what its scalers do.
first_plain = prep.prepare_plain(values, origins[0].origin, plain_targets[0], season, args.window)
low, high = first_plain.info["input_range"]
say(f"input scaler:  {low:.2f} .. {high:.2f} {unit}  ->  -1 .. 1 "
    f"(target {plain_targets[0]!r}, fitted on the steps before origin {origins[0].origin} only)")
low, high = first_plain.info["target_range"]
say(f"target scaler: {low:.2f} .. {high:.2f} {unit}  ->  -1 .. 1")

# %% Step 3: cut windows
# Sample i is the `window` inputs before step t, and its label is the target at step t. The
# windows cover the whole series; at an origin, only the samples whose step lies before it train.
inputs, targets = transforms.inputs_and_targets(values, plain_targets[0], season)
X = first_plain.X
train_rows = first_plain.training_rows()
say(f"\n[3] X {X.shape} = (samples, window, features);  y {first_plain.y.shape}  "
    f"(target {plain_targets[0]!r}); {len(train_rows)} samples train at origin {origins[0].origin}, "
    "never shuffled across periods")
input_words = {
    "raw": f"the values ({unit})",
    "diff": f"changes from the {words.step} before ({unit})",
    "seasonal": f"changes from {words.season_ago} ({unit})",
    "seasonal-diff": f"changes from the {words.step} before ({unit})",
}[plain_targets[0]]
first = int(first_plain.positions[0])
print(f"one window, the {words.count(args.window)} before {words.date(dates[first])}:")
say(f"  inputs, {input_words}:" + " " + str(np.round(inputs[first - args.window:first], 1)))
say("  inputs, scaled:" + " " + str(np.round(X[0, :, 0], 3)))
print(f"  target: {targets[first]:.2f} {unit}, {first_plain.y[0]:.3f} scaled")
if any(c.kind == "hybrid" for c in candidates):
    say("the correction's windows have 2 features per step: its base's past errors and the past "
        f"changes from {words.season_ago}, each scaled on the steps before the origin")

# %% Step 4: build the LSTM
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the data above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# One small LSTM layer reads the window step by step; a Dense layer turns its last hidden
# state into one number.
model, lstm_layer = training.one_layer_forecaster("LSTM", args.window, 1, args.units)
model.summary()
say("LSTM parameters, by the formula 4 x (units x (units + features) + units): "
    "3 gates and a candidate, each with its own weights:")
print("  " + parameters.param_formula("LSTM", args.units, 1), f"(Keras counts {lstm_layer.count_params()})")
if any(c.kind == "hybrid" for c in candidates):
    print("  the LSTM correction: " + parameters.param_formula("LSTM", args.units, 2)
          + " (2 features), and its Dense head starts at 0")

# %% [markdown]
# **Step 5.** Mean squared error is the loss; the scores are RMSE and MAE in real units. A
# forecast has no "accuracy": it is never exactly right, only more or less wrong.
# At each origin every candidate trains for --epochs epochs (the correction twice as many), and its
# weights after every epoch are kept (utils/forecasting/epoch_snapshots.py): the validation RMSE
# after 1, 2, 3, ... epochs costs a NumPy forward pass, not a new fit. Each candidate's epoch count
# is the one with the lowest MEAN over the origins (a plain LSTM's epoch 0 is an untrained network,
# never a choice; the correction's epoch 0 is its base, the reference). The pick is the correction,
# which nests the reference, unless a plain LSTM is CLEARLY better at the origins: a lower mean AND
# a Diebold-Mariano p < 0.05 on the pooled origin errors (on benchmarks/student_series.py, two blocks
# of one season favoured plain networks that then lost on the test). Then the refit decision, also
# made at the origins: retrain on every step before the test, or keep the last origin's model
# (utils/forecasting/rolling_choice.py says how). Only then is the test period scored, once.

# %% Step 5: choose on the rolling origins, then score the test period once
print(f"\n[5] rolling-origin choice: {len(candidates)} candidates x {len(origins)} origins, "
      f"{args.epochs} epochs each ({args.epochs * HYBRID_EPOCH_FACTOR} for the correction; "
      f"batch size {args.batch_size})")
# The simple baselines' names in this run's words; their keys are metrics.json's.
baseline_keys = {f"naive ({words.last_step})": "naive",
                 f"seasonal naive ({words.season_ago})": "seasonal_naive",
                 "seasonal naive + last change": "seasonal_naive_plus_last_change"}
reference_keys = baseline_keys | {SARIMA: "sarima"}
filled_steps = np.flatnonzero(dates.isin(filled_dates))  # no measurement: never a target, never scored
protocol = rolling_choice.run(values, periods.first_test, season, args.seed, candidates=candidates,
                              n_origins=N_ORIGINS, block=season, forecast_all=True, unit=unit,
                              unscored_steps=filled_steps,
                              reference_labels={key: name for name, key in reference_keys.items()})
say("\n".join(protocol.trace))
candidates = protocol.candidates  # the correction is named after its base
HYBRID = next((c.name for c in candidates if c.kind == "hybrid"), HYBRID)
pick, chosen = protocol.pick, next(c for c in candidates if c.name == protocol.pick)
plain_scores = {c.name: protocol.scores[c.name].best_score for c in candidates if c.kind == "plain"}
plain_name = min(plain_scores, key=plain_scores.get)  # the course's LSTM: the best plain candidate
plain_target = next(c.target for c in candidates if c.name == plain_name)
print(f"the plain LSTM (the course's question): {plain_name}; fitting took {protocol.seconds:.1f} s "
      "(every origin and the final fit)")


def simple_baselines(steps):
    """Every simple baseline's forecasts of some steps (each from the values before that step)."""
    return {
        f"naive ({words.last_step})": baselines.naive(values, steps),
        f"seasonal naive ({words.season_ago})": baselines.seasonal_naive(values, steps, season),
        "seasonal naive + last change": baselines.seasonal_naive_plus_last_change(values, steps, season),
    }


# The references were scored on the same origins' blocks by the protocol (their filled dates left
# out); which one to beat is itself a choice, made there (the best of the simple baselines and SARIMA).
validation_rmse = {name: protocol.reference_scores[key].best_score
                   for name, key in reference_keys.items() if key in (protocol.reference_scores or {})}
best_baseline = min((name for name in validation_rmse if name in baseline_keys), key=validation_rmse.get)
reference = min(validation_rmse, key=validation_rmse.get)  # the best of the simple baselines and SARIMA
for candidate in candidates:
    validation_rmse[candidate.name] = protocol.scores[candidate.name].best_score
print(f"validation, mean RMSE over the origins ({unit}; used for choosing, "
      "so the networks' rows are optimistic):")
print(tables.ranked_scores(validation_rmse))
print(f"the best simple baseline on validation: {best_baseline}; the best reference: {reference}")

# SARIMA(0,1,1)(0,1,1,season) as a test row: fitted on every step before the test (two
# parameters need no early stopping), then one-step forecasts over the test period.
sarima_result = sarima.one_step_forecasts(values, periods.first_test, season)
if sarima_result["note"]:
    say(f"Note: {sarima_result['note']}")

# The test period, scored once.
test_steps = protocol.test_steps
actual = values[test_steps]
forecasts = {name: f for name, f in protocol.candidate_forecasts.items() if f is not None}
forecasts |= simple_baselines(test_steps)
if sarima_result["forecasts"] is not None:
    forecasts[SARIMA] = sarima_result["forecasts"]
measured = ~dates[test_steps].isin(filled_dates)  # a filled date is no measurement: it is not scored
if not measured.all():
    say(f"Note: {int((~measured).sum())} filled date(s) in the test period are left out of its scores")
    test_steps, actual = test_steps[measured], actual[measured]
    forecasts = {name: forecast[measured] for name, forecast in forecasts.items()}
scores = scoring.score_forecasts(actual, forecasts)
test_dates = [words.date(d) for d in dates[test_steps]]
print(f"test period ({words.count(len(actual))} from {test_dates[0]}), scored once:")
print(tables.results_table(scores, unit))
if reference not in forecasts:  # SARIMA chosen on validation but its test fit failed: the best baseline
    reference = best_baseline
sentence, dm = diebold_mariano.verdict(f"pick ({pick})", actual - forecasts[pick],
                                       f"best reference chosen on validation ({reference})",
                                       actual - forecasts[reference], unit)
verdict_word = ("no clear difference" if dm.p_value >= diebold_mariano.ALPHA
                else "better" if scores[pick]["rmse"] < scores[reference]["rmse"] else "worse")

# The pick as a Keras model: saved, and looked inside in Step 8.
pick_model, pick_layer = training.one_layer_forecaster("LSTM", chosen.window, chosen.features, chosen.units)
pick_model.set_weights(protocol.weights)
pick_model.save(out_dir / "model.keras")
scoring.save_predictions(out_dir / "predictions.csv", test_dates, actual, forecasts)
metrics.write_metrics(out_dir / "metrics.json", case_metrics.forecast_payload(
    model=pick, scores=scores, validation_scores={name: {"rmse": r} for name, r in validation_rmse.items()},
    best_baseline=best_baseline, baseline_keys=baseline_keys, other_keys={SARIMA: "sarima"},
    choices={"target": plain_target,
             "target_candidates_validation_rmse": {c.target: plain_scores[c.name]
                                                   for c in candidates if c.kind == "plain"},
             "best_epoch": protocol.epochs, "correction_base": protocol.reference,
             "pick_rule": protocol.rule_kind,
             "pick_rule_p_value": protocol.rule_p_value if np.isfinite(protocol.rule_p_value) else None},
    sarima=sarima_result, weights_sha256=protocol.weights_sha256, unit=unit, step=words.step,
    season=season, target=plain_target, periods=periods, test_points=len(actual),
    test_first_date=test_dates[0], fit_seconds=protocol.seconds, params=pick_model.count_params(),
    seed=args.seed, window=args.window, epochs=args.epochs, units=args.units,
    learning_rate=args.learning_rate, batch_size=args.batch_size, backend=backend_name(),
    pick=pick, refit=protocol.refit,
    candidates={c.name: {"validation_rmse": protocol.scores[c.name].best_score,
                         "test_rmse": scores[c.name]["rmse"] if c.name in scores else None,
                         "epochs": protocol.scores[c.name].best} for c in candidates},
    reference={"name": reference, "key": reference_keys[reference], "rmse": scores[reference]["rmse"],
               "dm_statistic": dm.statistic, "dm_p_value": dm.p_value, "verdict": verdict_word},
))

# %% Step 6: visualize (in real units, not in scaled units)
show = not args.no_show
curves = {name: result.mean for name, result in protocol.scores.items()}
references = [(f"{name} (validation)", validation_rmse[name])
              for name in dict.fromkeys((best_baseline, reference)) if name in validation_rmse]
plotting.save_figure(
    plotting.plot_validation_per_epoch(curves, {name: r.best for name, r in protocol.scores.items()}, unit,
                                       "Validation RMSE per epoch, mean over the rolling origins",
                                       references, epoch0_labels={HYBRID: f"= {reference}"}),
    out_dir / "validation.png", show,
)
plotted = {f"pick: {pick} (RMSE {scores[pick]['rmse']:.2f})": forecasts[pick]}
if plain_name != pick and plain_name in forecasts:
    plotted[f"plain {plain_name} (RMSE {scores[plain_name]['rmse']:.2f})"] = forecasts[plain_name]
plotted[f"{reference}, the best reference on validation (RMSE {scores[reference]['rmse']:.2f})"] = \
    forecasts[reference]
plotting.save_figure(
    plotting.plot_forecast(series.iloc[: test_steps[0]], dates[test_steps], actual, plotted, unit,
                           f"Test period ({words.count(len(actual))}): actual vs forecast",
                           first_validation=dates[periods.first_validation]),
    out_dir / "forecast.png", show,
)
say(f"\n[6] saved validation.png (each candidate's validation RMSE after every epoch, mean over the "
    f"origins; the chosen epochs marked) and forecast.png (the test period in {unit}, the actual "
    f"values against: {'; '.join(plotted)})")

# %% Step 7: forecast the 12 steps after the data ends, with the pick
# There is no true value to compare with yet, so each forecast is appended to the series and
# becomes part of the window for the next one: errors can add up the further we look ahead.
# The pick is the model that forecast the test period (fitted on the steps before
# `protocol.prepared.end`); the steps after that only feed its windows.
horizon = 12
fitted_before = protocol.prepared.end
extended = values.copy()
for _ in range(horizon):
    # A placeholder for the step to forecast: its own window reads only the steps before it.
    extended = np.append(extended, extended[-1])
    if chosen.kind == "hybrid":  # its base with the parameters fitted before `fitted_before`
        base = prep.reference_one_step(extended, fitted_before, season, protocol.reference,
                                       protocol.fitted["sarima_params"])
        data, _ = prep.prepare_hybrid(extended, fitted_before, season, chosen.window, base)
    else:
        data = prep.prepare_plain(extended, fitted_before, chosen.target, season, chosen.window)
    row = data.rows([len(extended) - 1])
    extended[-1] = data.levels(forecast(protocol.weights, data.X[row]), row)[0]
future_values = extended[len(values):]
future_dates = dates_after(series.index, horizon)
print(f"\n[7] forecast by the pick ({pick}) for the {words.count(horizon)} "
      f"after {words.date(series.index[-1])}:")
for date, value in zip(future_dates, future_values):
    print(f"  {words.date(date)}  {value:8.1f}")
plotting.save_figure(plotting.plot_future(series, future_dates, future_values, unit,
                                          f"Forecast by the pick: the next {words.count(horizon)}"),
                     out_dir / "future.png", show)

# %% [markdown]
# **Step 8: look inside the cell.** `fit` and `predict` run a compiled TensorFlow graph, so a
# breakpoint never stops inside a gate. (On a CPU Keras 3 runs the LSTM as a generic loop over
# time steps inside that graph; the fused cuDNN kernel is used only on a GPU: see `cudnn_ok` in
# keras/src/backend/tensorflow/rnn.py.) utils/recurrent/cells.py replays the layer in NumPy with
# the layer's own weights, one step at a time.
#
# Whose gates: the pick's LSTM, on its last test window. When the pick is SARIMA itself (the
# hybrid at epoch 0), its LSTM was never trained, so the plain LSTM's gates are shown instead.
#
# To watch it: put a breakpoint in utils/recurrent/cells.py inside `lstm_step`, on the
# `cell_state = ...` line (all gates exist there), and step through this cell: each stop is one
# step of the window below.
# - forget_gate near 1: keep the cell's memory;
# - input_gate: how much of the new candidate to write;
# - output_gate: how much of the memory to show as the hidden state.

# %% Step 8: look inside the cell, before and after training
shown = pick if protocol.epochs > 0 else plain_name
shown_candidate = next(c for c in candidates if c.name == shown)
untrained, trained = protocol.candidate_weights[shown]
if shown == pick:
    gate_data, gate_layer = protocol.prepared, pick_layer
else:
    gate_data = prep.prepare_plain(values, fitted_before, shown_candidate.target, season,
                                   shown_candidate.window)
    gate_layer = training.one_layer_forecaster("LSTM", shown_candidate.window, 1, shown_candidate.units)[1]
gate_position = int(test_steps[-1])
gate_window = gate_data.X[gate_data.rows([gate_position])[0]]
# the same window through the cell with its weights before training, then after (and Keras's answer)
trace_before, trace, keras_gap = cell_views.replay_before_and_after(gate_layer, gate_window, untrained[:3],
                                                                    trained[:3])
window_dates = [words.date(d) for d in dates[gate_position - shown_candidate.window:gate_position]]
whose = " (the pick)" if shown == pick else f" (the pick is {reference} itself)"
say(f"\n[8] the LSTM cell of {shown}{whose} "
    f"on the {words.count(shown_candidate.window)} before {words.date(dates[gate_position])} "
    f"(NumPy replay; last hidden state differs from Keras by {keras_gap:.1e})")
print(cell_views.gate_tables(trace, ("forget_gate", "input_gate", "output_gate"), window_dates, words, 12))
# What training changed: each gate, averaged over the window and every unit, before and after.
changes = {}
for name in ("forget_gate", "input_gate", "output_gate", "candidate"):
    changes[name] = float(np.abs(trace[name] - trace_before[name]).mean())
    print(f"{name}: mean {trace_before[name].mean():+.3f} before training, {trace[name].mean():+.3f} after "
          f"(mean change per unit and step {changes[name]:.3f})")
largest_gate = max(changes[gate] for gate in ("forget_gate", "input_gate", "output_gate"))
if largest_gate < 0.1:  # on the gates' 0..1 scale, a tenth is a visible change in gates.png
    caption = (f"The gates moved little in training (by {largest_gate:.3f} at most, on average, "
               f"on a 0..1 scale; the candidate moved by {changes['candidate']:.3f}): "
               f"the forget gate averages {trace['forget_gate'].mean():.2f}, close to where it started "
               f"({trace_before['forget_gate'].mean():.2f}; Keras starts the forget bias at 1, "
               f"and sigmoid(1) = 0.73). A few epochs on at most "
               f"{int((first_plain.positions < periods.first_test).sum())} windows "
               "whose target is a difference "
               "(or SARIMA's error) leave little for the gates to learn; "
               "Case 17-4 trains the gated cells on a task that needs a long memory.")
else:
    caption = (f"Training moved the gates by up to {largest_gate:.3f} on average (on a 0..1 scale): "
               "the after - before panels of gates.png show which units learnt to keep or to write.")
say(caption)
cell_views.save_gates_before_after("LSTM", trace, trace_before, window_dates, words,
                                   out_dir / "gates.png", show)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
say(f"\nOn the test period ({words.count(len(actual))}, one-step forecasts): {sentence}.")
