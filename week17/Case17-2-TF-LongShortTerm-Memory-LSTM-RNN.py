"""Case 17-2: Long Short-Term Memory (LSTM): forecast monthly milk production.

The data: pounds of milk per cow, every month from 1962 to 1975 (168 months). It has a
trend (cows give more milk every year) and a yearly cycle (most milk in May).
The question: given the last months, how much milk next month?

What this case teaches, step by step:
  1. load the data and look at it (the dates tell the step and the season);
  2. split time into training, validation and test periods; choose on validation what the
     network predicts (the target transform), and scale it on training data only;
  3. cut the series into windows, each labelled with the period of the step it predicts;
  4. build a small LSTM and count its parameters;
  5. train it, stopping when the validation period stops improving; then score the test
     period once, beside common-sense baselines and the classical SARIMA model;
  6. plot the losses and the forecasts;
  7. forecast the 12 steps after the data ends;
  8. look inside the LSTM cell: its gates at every step of one window, before and after training.
The run ends with one sentence: did the LSTM beat the best simple baseline on the test period?

Run it:   python week17/Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py
Flags:    --help lists them all; try --target raw to see why the question matters, or
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
    metrics,
    sarima,
    scaling,
    scoring,
    timeline,
    training,
    transforms,
    windows,
)
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
from utils.recurrent import cells, parameters
from utils.showing import cell_views, plotting, series_views, tables, window_shapes

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-2-lstm"
run_started = time.perf_counter()
MILK_CSV = paths.data_file(MILK.csv)
# The defaults (utils/forecasting/settings.py) were chosen on the validation period only,
# by benchmarks/choose_milk.py.
DEFAULT_TARGET_SHIPPED_DATA = MILK.target

parser = cli.new_parser("Case 17-2: an LSTM forecasts a monthly series "
                        "(by default, milk production per cow).")
cli.add_series_flags(parser, csv=MILK_CSV, date_col=MILK.date_col, value_col=MILK.value_col,
                     window=MILK.window)
cli.add_training_flags(parser, epochs=MILK.max_epochs, units=MILK.units)
parser.add_argument("--target", choices=(*transforms.TARGETS, "auto"), default=None,
                    help="what the network predicts; 'auto' picks it on the validation period "
                         f"(default: {DEFAULT_TARGET_SHIPPED_DATA} on the shipped data, auto with --csv)")
parser.add_argument("--season", type=cli.positive_int, default=None,
                    help="length of the cycle in time steps "
                         "(default: read from the dates: 12 for months, 52 for weeks, ...)")
cli.add_fitting_flags(parser, learning_rate=MILK.learning_rate, batch_size=MILK.batch_size,
                      patience=MILK.patience)
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
shipped_data = Path(args.csv).resolve() == MILK_CSV

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-2 (LSTM): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
series, filled_dates = fill_gaps(series)  # a missing step would silently break every window
if filled_dates:
    print(f"Note: filled {len(filled_dates)} missing date(s) by interpolation: "
          f"{', '.join(str(d.date()) for d in filled_dates[:10])}")
values = series.to_numpy()  # float64, in real units (pounds per cow)
unit = MILK.unit if shipped_data else args.value_col  # a student's column name is the best unit we know
# The dates say what one step is (a month, a week, a day...) and how long a season is.
words = step_words.describe_steps(series.index, args.season)
season = words.season

print(f"\n[1] {series_views.first_look(series, words, args.value_col, '10.1f')}")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f} ({unit})")
print(f"Note: {words.note}")

# %% [markdown]
# **Step 2: three periods in time order.**
# - *training*: the network's weights are fitted here;
# - *validation*: the stretch just before the test; EVERY choice is made here (the target,
#   when to stop training, and, in benchmarks/choose_milk.py, the window, units and learning rate);
# - *test*: scored once, at the very end. Nothing above looks at it.
#
# The test period is the course's: the last 20 % of the windows it cut with its 12-step window.
# It is fixed by the data, so any --window forecasts the same test steps and the scores stay
# comparable.
#
# **What the network predicts.** The course scales the raw values and asks for the next value:
# the network must then learn the trend and the cycle from about a hundred examples. Instead it
# can predict a difference (utils/forecasting/transforms.py); predicting 0 then gives a simple
# baseline:
# - *diff*: change from the step before; 0 is the naive forecast (the last value);
# - *seasonal*: change from one season ago; 0 is the seasonal naive forecast;
# - *seasonal-diff*: this step's change minus the same step's change a season ago;
#   0 is seasonal naive + last change.
#
# The network's forecast is that baseline plus a correction it learns. 'auto' (the default with
# --csv) takes the target whose zero forecast scores the lowest RMSE on the validation period: a
# cheap rule, made without the test period, that starts the network from the best baseline
# ('raw' is no candidate: its zero forecast is 0). On the shipped data the default is what
# benchmarks/choose_milk.py chose by training the LSTM with every target; docs/CASES.md shows
# why the cheap rule and the trained network rank the targets differently there.

# %% Step 2: three periods in time order, what the network predicts, and scaling
n_test = timeline.fixed_test_size(len(values), course_window=12)
# whole seasons: each month counts equally
n_validation = timeline.validation_size(len(values) - n_test, season)
periods = timeline.three_periods(len(values), n_test, n_validation)
dates = series.index
print("\n[2] three periods, in time order:")
print(tables.describe_periods(periods, dates, words))

# The target: each candidate's zero forecast, scored on the validation period (see above).
validation_steps = np.arange(periods.first_validation, periods.first_test)
candidate_scores = {}
for candidate in transforms.ZERO_FORECAST:
    zero = transforms.to_levels(np.zeros(len(validation_steps)), values, validation_steps, candidate, season)
    candidate_scores[candidate] = metrics.rmse(values[validation_steps], zero)
target = args.target or ("auto" if not shipped_data else DEFAULT_TARGET_SHIPPED_DATA)
print(f"target candidates: each one's zero forecast on the validation period (RMSE, {unit}):")
for candidate, rmse in candidate_scores.items():
    print(f"  {candidate:<14} 0 = {transforms.ZERO_FORECAST[candidate]:<30} {rmse:10.3f}")
if target == "auto":
    target = min(candidate_scores, key=candidate_scores.get)
    print(f"target {target!r} (auto): its zero forecast is the best on validation, "
          "so the network starts from the best baseline")
elif args.target is None:
    print(f"target {target!r}: the shipped data's default, "
          "chosen on the validation period by benchmarks/choose_milk.py")
else:
    print(f"target {target!r} (--target)")
inputs, targets = transforms.inputs_and_targets(values, target, season)

# Scalers are fitted on the training steps only: a scaler fitted on all data has seen the test.
first_input, first_target = transforms.first_defined(target, season)
train_steps = periods.training()
input_scaler = scaling.fit_scaler(inputs[train_steps], feature_range=MILK.feature_range)
target_scaler = scaling.fit_scaler(targets[train_steps], feature_range=MILK.feature_range)
scaled_inputs = scaling.scale(input_scaler, inputs)
scaled_targets = scaling.scale(target_scaler, targets)
low, high = MILK.feature_range
print(f"input scaler:  {input_scaler.data_min_[0]:.2f} .. {input_scaler.data_max_[0]:.2f} {unit}  ->  "
      f"{low} .. {high} (fitted on the training period only)")
print(f"target scaler: {target_scaler.data_min_[0]:.2f} .. {target_scaler.data_max_[0]:.2f} {unit}  ->  "
      f"{low} .. {high}")

# %% Step 3: cut windows and split them by period
# Sample i is the `window` inputs before step t, and its label is the target at step t. A
# sample belongs to the period of the step it predicts; its window may reach back into the
# period before, as a real forecast would.
windows.check_window_fits(args.window, periods, first_input, first_target, steps=words.steps)
X, y, positions = windows.make_windows(scaled_inputs, scaled_targets, args.window)
split = windows.split_three(X, y, positions, periods)
X_train, y_train, X_val, y_val, X_test = split.X_train, split.y_train, split.X_val, split.y_val, split.X_test

print(f"\n[3] {window_shapes.describe_windows(X, y, split)}")
input_words = {
    "raw": f"the values ({unit})",
    "diff": f"changes from the {words.step} before ({unit})",
    "seasonal": f"changes from {words.season_ago} ({unit})",
    "seasonal-diff": f"changes from the {words.step} before ({unit})",
}[target]
first = split.train_positions[0]
print(f"one window, the {words.count(args.window)} before {words.date(dates[first])}:")
print(f"  inputs, {input_words}:", np.round(inputs[first - args.window:first], 1))
print("  inputs, scaled:", np.round(X_train[0, :, 0], 3))
print(f"  target: {targets[first]:.2f} {unit}, {y_train[0]:.3f} scaled")

# %% Step 4: build the LSTM
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the data above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# One small LSTM layer reads the window step by step; a Dense layer turns its last hidden
# state into one number. Size, window and learning rate were chosen on validation.
model, lstm_layer = training.one_layer_forecaster("LSTM", args.window, X.shape[2], args.units)
model.summary()
print("LSTM parameters, by the formula 4 x (units x (units + features) + units): "
      "3 gates and a candidate, each with its own weights:")
print("  " + parameters.param_formula("LSTM", args.units, X.shape[2]),
      f"(Keras counts {lstm_layer.count_params()})")
# The untrained cell's gates on the window Step 8 looks at: training changes them.
gate_window, gate_position = X_test[-1], split.test_positions[-1]
trace_before = cells.run_cell(lstm_layer, gate_window)

# %% [markdown]
# **Step 5.** Mean squared error is the loss; the scores are RMSE and MAE in real units. A
# forecast has no "accuracy": it is never exactly right, only more or less wrong.
# Early stopping watches the loss on the validation period after each epoch and keeps the
# weights of the best epoch; --epochs is only an upper limit. Fewer epochs is also what makes
# this run fast: on about a hundred short windows each epoch costs little arithmetic but a
# fixed overhead (the epoch's set-up, the validation pass, the callbacks).

# %% Step 5: train (early stopping on validation), then score the test period once
model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate), loss="mse")
print(f"\n[5] training on {len(X_train)} windows, at most {args.epochs} epochs, "
      f"stopping after {args.patience} without a better validation loss")
fit = training.fit_with_early_stopping(model, split, args.epochs, args.batch_size, args.patience)
history, best_epoch = fit.history, fit.best_epoch
print(fit.summary())


def lstm_forecast(X_period, period_positions):
    """The LSTM's forecasts of some windows, in real units."""
    predicted_targets = scaling.unscale(target_scaler, model.predict(X_period, verbose=0)[:, 0])
    return transforms.to_levels(predicted_targets, values, period_positions, target, season)


def simple_baselines(period_positions):
    """Every simple baseline's forecasts of some steps: the candidates' zero forecasts."""
    return {
        f"naive ({words.last_step})": baselines.naive(values, period_positions),
        f"seasonal naive ({words.season_ago})": baselines.seasonal_naive(values, period_positions, season),
        "seasonal naive + last change":
            baselines.seasonal_naive_plus_last_change(values, period_positions, season),
    }


# Which simple baseline is the one to beat is itself a choice: it is made on validation.
val_positions = split.val_positions
validation_scores, best_baseline = scoring.baseline_to_beat(values[val_positions],
                                                            simple_baselines(val_positions))
validation_scores["LSTM"] = metrics.score(values[val_positions], lstm_forecast(X_val, val_positions))
print(f"validation period ({words.count(len(val_positions))}; "
      "used for choosing, so the LSTM's score here is optimistic):")
print(tables.results_table(validation_scores, unit))
print(f"the best simple baseline on validation: {best_baseline}")

# SARIMA(0,1,1)(0,1,1,season): the classical model, fitted on training + validation (two
# parameters need no early stopping), then one-step forecasts over the test period.
sarima_result = sarima.one_step_forecasts(values, periods.first_test, season)
if sarima_result["note"]:
    print(f"Note: {sarima_result['note']}")

# The test period, scored once.
test_positions = split.test_positions
actual = values[test_positions]
predicted = lstm_forecast(X_test, test_positions)
forecasts = {"LSTM": predicted, **simple_baselines(test_positions)}
if sarima_result["forecasts"] is not None:
    forecasts["SARIMA(0,1,1)(0,1,1)"] = sarima_result["forecasts"]
scores = scoring.score_forecasts(actual, forecasts)
test_dates = [words.date(d) for d in dates[test_positions]]
print(f"test period ({words.count(len(actual))} from {test_dates[0]}), scored once:")
print(tables.results_table(scores, unit))
verdict = metrics.verdict("LSTM", scores["LSTM"]["rmse"], best_baseline, scores[best_baseline]["rmse"], unit)

model.save(out_dir / "model.keras")
scoring.save_predictions(out_dir / "predictions.csv", test_dates, actual, forecasts)
metrics.write_metrics(out_dir / "metrics.json", case_metrics.forecast_payload(
    model="LSTM", scores=scores, validation_scores=validation_scores, best_baseline=best_baseline,
    baseline_keys=dict(zip(simple_baselines(test_positions[:0]),
                           ("naive", "seasonal_naive", "seasonal_naive_plus_last_change"))),
    other_keys={"SARIMA(0,1,1)(0,1,1)": "sarima"},
    choices={"target": target, "target_candidates_validation_rmse": candidate_scores,
             "best_epoch": best_epoch, "epochs_run": fit.epochs_run},
    sarima=sarima_result, weights_sha256=training.weights_fingerprint(model), unit=unit, step=words.step,
    season=season, target=target, periods=periods, test_points=len(actual), test_first_date=test_dates[0],
    fit_seconds=fit.seconds, params=model.count_params(), seed=args.seed, window=args.window,
    epochs=args.epochs, units=args.units, learning_rate=args.learning_rate, patience=args.patience,
    backend=backend_name(),
))

# %% Step 6: visualize (in real units, not in scaled units)
show = not args.no_show
loss_figure = plotting.plot_loss(history, "LSTM: loss per epoch (scaled units)")
loss_figure.axes[0].axvline(best_epoch, color="0.5", linestyle=":",
                            label=f"best validation epoch ({best_epoch})")
loss_figure.axes[0].legend()
plotting.save_figure(loss_figure, out_dir / "loss.png", show)
plotted = {f"LSTM (RMSE {scores['LSTM']['rmse']:.2f})": predicted,
           f"{best_baseline}, best on validation (RMSE {scores[best_baseline]['rmse']:.2f})":
               forecasts[best_baseline]}
if "SARIMA(0,1,1)(0,1,1)" in forecasts:
    plotted[f"SARIMA (RMSE {scores['SARIMA(0,1,1)(0,1,1)']['rmse']:.2f})"] = forecasts["SARIMA(0,1,1)(0,1,1)"]
plotting.save_figure(
    plotting.plot_forecast(series.iloc[: test_positions[0]], dates[test_positions], actual, plotted, unit,
                           f"Test period ({words.count(len(actual))}): actual vs forecast"),
    out_dir / "forecast.png", show,
)
print(f"\n[6] saved loss.png (training and validation loss per epoch, best epoch marked) and forecast.png "
      f"(the test period in {unit}, the actual values against: {'; '.join(plotted)})")

# %% Step 7: forecast the 12 steps after the data ends
# There is no true value to compare with yet, so each forecast is appended to the series and
# becomes part of the window for the next one: errors can add up the further we look ahead.
horizon = 12
extended = list(values)
for _ in range(horizon):
    step = len(extended)
    known = np.array(extended + [np.nan])  # the value at `step` is what we want
    step_inputs, _ = transforms.inputs_and_targets(known, target, season)
    window_in = scaling.scale(input_scaler, step_inputs[step - args.window:step]).reshape(1, args.window, 1)
    step_target = scaling.unscale(target_scaler, model.predict(window_in, verbose=0)[:, 0])
    extended.append(float(transforms.to_levels(step_target, known, [step], target, season)[0]))
future_values = np.array(extended[len(values):])
future_dates = dates_after(series.index, horizon)
print(f"\n[7] forecast for the {words.count(horizon)} after {words.date(series.index[-1])}:")
for date, value in zip(future_dates, future_values):
    print(f"  {words.date(date)}  {value:8.1f}")
plotting.save_figure(plotting.plot_future(series, future_dates, future_values, unit,
                                          f"Forecast: the next {words.count(horizon)}"),
                     out_dir / "future.png", show)

# %% [markdown]
# **Step 8: look inside the cell.** `fit` and `predict` run a compiled TensorFlow graph, so a
# breakpoint never stops inside a gate. (On a CPU Keras 3 runs the LSTM as a generic loop over
# time steps inside that graph; the fused cuDNN kernel is used only on a GPU: see `cudnn_ok` in
# keras/src/backend/tensorflow/rnn.py.) utils/recurrent/cells.py replays the layer in NumPy with
# the layer's own weights, one step at a time.
#
# To watch it: put a breakpoint in utils/recurrent/cells.py inside `lstm_step`, on the
# `cell_state = ...` line (all gates exist there), and step through this cell: each stop is one
# step of the window below.
# - forget_gate near 1: keep the cell's memory;
# - input_gate: how much of the new candidate to write;
# - output_gate: how much of the memory to show as the hidden state.

# %% Step 8: look inside the cell, before and after training
trace, keras_gap = cell_views.replay_beside_keras(lstm_layer, gate_window)  # Keras's own answer, to compare
window_dates = [words.date(d) for d in dates[gate_position - args.window:gate_position]]
print(f"\n[8] the LSTM cell on the {words.count(args.window)} before {words.date(dates[gate_position])} "
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
               "and sigmoid(1) = 0.73). Once the target is a difference the simple baselines already make, "
               "little is left for the gates to learn from ~100 windows; "
               "Case 17-4 trains the gated cells on a task that needs a long memory.")
else:
    caption = (f"Training moved the gates by up to {largest_gate:.3f} on average (on a 0..1 scale): "
               "compare the two columns of gates.png to see which units learnt to keep or to write.")
print(caption)
cell_views.save_gates_before_after("LSTM", trace, trace_before, window_dates, words,
                                     out_dir / "gates.png", show)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
print(verdict)
