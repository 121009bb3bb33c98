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
    sys.exit("error: cannot find the project folder (the one holding utils/); run this from inside the project")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import hashlib
import time

import numpy as np
import pandas as pd

from utils.forecasting import (
    baselines,
    metrics,
    sarima,
    scaling,
    timeline,
    transforms,
    windows,
)
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
from utils.showing import gate_views, plotting, tables

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-2-lstm"
run_started = time.perf_counter()
MILK_CSV = paths.data_file("monthly_milk_production.csv")
# The defaults below were chosen on the validation period only, by benchmarks/choose_milk.py.
DEFAULT_TARGET_SHIPPED_DATA = "seasonal"

parser = cli.new_parser("Case 17-2: an LSTM forecasts a monthly series (by default, milk production per cow).")
cli.add_series_flags(parser, csv=MILK_CSV, date_col="Date", value_col="Production", window=24)
cli.add_training_flags(parser, epochs=40, units=16)
parser.add_argument("--target", choices=(*transforms.TARGETS, "auto"), default=None,
                    help="what the network predicts; 'auto' picks it on the validation period "
                         f"(default: {DEFAULT_TARGET_SHIPPED_DATA} on the shipped data, auto with --csv)")
parser.add_argument("--season", type=cli.positive_int, default=None,
                    help="length of the cycle in time steps (default: read from the dates: 12 for months, 52 for weeks, ...)")
cli.add_fitting_flags(parser, learning_rate=1e-2, batch_size=16, patience=10)
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
shipped_data = Path(args.csv).resolve() == MILK_CSV

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-2 (LSTM): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
series, filled_dates = fill_gaps(series)  # a missing step would silently break every window
if filled_dates:
    print(f"Note: filled {len(filled_dates)} missing date(s) by interpolation: {', '.join(str(d.date()) for d in filled_dates[:10])}")
values = series.to_numpy()  # float64, in real units (pounds per cow)
unit = "pounds per cow" if shipped_data else args.value_col  # a student's column name is the best unit we know
# The dates say what one step is (a month, a week, a day...) and how long a season is.
words = step_words.describe_steps(series.index, args.season)
season = words.season

print(f"\n[1] {len(series)} values of {args.value_col!r} from {words.date(series.index[0])} to {words.date(series.index[-1])}, one per {words.step}")
for date, value in series.head(3).items():
    print(f"  {words.date(date)}  {value:10.1f}")
print("  ...")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f} ({unit})")
print(f"Note: {words.note}")

# %% Step 2: three periods in time order, what the network predicts, and scaling
# Time is split into three periods, in this order:
#   training:   the network's weights are fitted here;
#   validation: the stretch just before the test; EVERY choice is made here (the target, when
#               to stop training, and, in benchmarks/choose_milk.py, the window, units and
#               learning rate);
#   test:       scored once, at the very end. Nothing above looks at it.
# The test period is the course's: the last 20 % of the windows it cut with its 12-step
# window (32 of 168 months for the milk). It is fixed by the data, so --window 6 or 24
# forecasts exactly the same test steps and the scores stay comparable.
n_test = timeline.fixed_test_size(len(values), course_window=12)
n_validation = timeline.validation_size(len(values) - n_test, season)  # whole seasons: each month counts equally
periods = timeline.three_periods(len(values), n_test, n_validation)
dates = series.index
print("\n[2] three periods, in time order:")
print(tables.describe_periods(periods, dates, words))

# The question the network answers. The course scales the raw values and asks for the next
# value: the network must then learn the trend and the cycle from ~100 examples. Instead it
# can predict a difference (utils/forecasting/transforms.py); predicting 0 then gives a simple baseline:
#   diff:          change from the step before       0 -> naive (the last value);
#   seasonal:      change from one season ago        0 -> seasonal naive;
#   seasonal-diff: this step's change minus the same step's change a season ago
#                                                   0 -> seasonal naive + last change.
# The network's forecast is that baseline plus a correction it learns. 'auto' (the default
# with --csv) takes the target whose zero forecast scores the lowest RMSE on the validation
# period: a cheap rule, made without the test period, that starts the network from the best
# baseline. ('raw' is no candidate: its zero forecast is 0 pounds.)
# The cheap rule is not the last word. On the milk data, benchmarks/choose_milk.py trained the
# LSTM with every target (3 seeds, at most 40 epochs, scored on the validation period only) and
# 'seasonal' won: the network improves on the seasonal-naive forecast more than it improves on
# "seasonal naive + last change", although the zero forecasts rank the other way. That search
# takes minutes, so the shipped data's default is its result, and a student's series gets the
# cheap rule.
validation_steps = np.arange(periods.first_validation, periods.first_test)
candidate_scores = {}
for candidate, baseline_name in transforms.ZERO_FORECAST.items():
    zero = transforms.to_levels(np.zeros(len(validation_steps)), values, validation_steps, candidate, season)
    candidate_scores[candidate] = metrics.rmse(values[validation_steps], zero)
target = args.target or ("auto" if not shipped_data else DEFAULT_TARGET_SHIPPED_DATA)
print(f"target candidates: each one's zero forecast on the validation period (RMSE, {unit}):")
for candidate, rmse in candidate_scores.items():
    print(f"  {candidate:<14} 0 = {transforms.ZERO_FORECAST[candidate]:<30} {rmse:10.3f}")
if target == "auto":
    target = min(candidate_scores, key=candidate_scores.get)
    print(f"target {target!r} (auto): its zero forecast is the best on validation, so the network starts from the best baseline")
elif args.target is None:
    print(f"target {target!r}: the shipped data's default, chosen on the validation period by benchmarks/choose_milk.py")
else:
    print(f"target {target!r} (--target)")
inputs, targets = transforms.inputs_and_targets(values, target, season)

# Scalers are fitted on the training steps only: a scaler fitted on all data has seen the test.
first_input, first_target = transforms.first_defined(target, season)
train_steps = periods.training()
input_scaler = scaling.fit_scaler(inputs[train_steps], feature_range=(-1, 1))
target_scaler = scaling.fit_scaler(targets[train_steps], feature_range=(-1, 1))
scaled_inputs = scaling.scale(input_scaler, inputs)
scaled_targets = scaling.scale(target_scaler, targets)
print(f"input scaler:  {input_scaler.data_min_[0]:.2f} .. {input_scaler.data_max_[0]:.2f} {unit}  ->  -1 .. 1 (fitted on the training period only)")
print(f"target scaler: {target_scaler.data_min_[0]:.2f} .. {target_scaler.data_max_[0]:.2f} {unit}  ->  -1 .. 1")

# %% Step 3: cut windows and split them by period
# Sample i is the `window` inputs before step t, and its label is the target at step t. A
# sample belongs to the period of the step it predicts; its window may reach back into the
# period before, as a real forecast would.
windows.check_window_fits(args.window, periods, first_input, first_target, steps=words.steps)
X, y, positions = windows.make_windows(scaled_inputs, scaled_targets, args.window)
split = windows.split_three(X, y, positions, periods)
X_train, y_train, X_val, y_val, X_test = split.X_train, split.y_train, split.X_val, split.y_val, split.X_test

print(f"\n[3] X {X.shape} = (samples, window, features);  y {y.shape}")
print(f"training X {X_train.shape};  validation X {X_val.shape};  test X {X_test.shape}  (no shuffling across periods)")
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
# state into one number. Its size, the window and the learning rate were chosen on the
# validation period (benchmarks/choose_milk.py).
model = keras.Sequential(
    [
        keras.Input(shape=(args.window, X.shape[2])),
        keras.layers.LSTM(args.units),
        keras.layers.Dense(1),
    ],
    name="lstm_forecaster",
)
model.summary()
lstm_layer = model.layers[0]
print("LSTM parameters, by the formula 4 x (units x (units + features) + units): 3 gates and a candidate, each with its own weights:")
print("  " + parameters.param_formula("LSTM", args.units, X.shape[2]), f"(Keras counts {lstm_layer.count_params()})")
# The gates of the untrained cell on the window Step 8 looks at: what training changes is
# the difference between these and the trained gates.
gate_window, gate_position = X_test[-1], split.test_positions[-1]
trace_before = cells.run_cell(lstm_layer, gate_window)

# %% Step 5: train (early stopping on validation), then score the test period once
# Mean squared error is the loss; the scores are RMSE and MAE in real units. A forecast has
# no "accuracy": it is never exactly right, only more or less wrong.
# Early stopping watches the loss on the validation period after each epoch and keeps the
# weights of the best epoch; --epochs is only an upper limit. Fewer epochs is also what makes
# this run fast: on ~100 short windows each epoch costs little arithmetic but a fixed overhead
# (the epoch's set-up, the validation pass, the callbacks).
model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate), loss="mse")
stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=args.patience, restore_best_weights=True)
print(f"\n[5] training on {len(X_train)} windows, at most {args.epochs} epochs, stopping after {args.patience} without a better validation loss")
fit_started = time.perf_counter()
history = model.fit(
    X_train, y_train,
    validation_data=(X_val, y_val),
    epochs=args.epochs,
    batch_size=args.batch_size,
    callbacks=[stopper],
    verbose=2,
)
fit_seconds = time.perf_counter() - fit_started
epochs_run = len(history.history["loss"])
best_epoch = int(np.argmin(history.history["val_loss"])) + 1
print(f"fit: {fit_seconds:.1f} s, {epochs_run} epochs; the best validation loss was at epoch {best_epoch}, whose weights are kept")
# A fingerprint of the trained weights: the same data before the test period must give the same one.
weights_sha256 = hashlib.sha256(b"".join(np.asarray(w, dtype="float32").tobytes() for w in model.get_weights())).hexdigest()


def lstm_forecast(X_period, period_positions):
    """The LSTM's forecasts of some windows, in real units."""
    predicted_targets = scaling.unscale(target_scaler, model.predict(X_period, verbose=0)[:, 0])
    return transforms.to_levels(predicted_targets, values, period_positions, target, season)


def simple_baselines(period_positions):
    """Every simple baseline's forecasts of some steps: the candidates' zero forecasts."""
    return {
        f"naive ({words.last_step})": baselines.naive(values, period_positions),
        f"seasonal naive ({words.season_ago})": baselines.seasonal_naive(values, period_positions, season),
        "seasonal naive + last change": baselines.seasonal_naive_plus_last_change(values, period_positions, season),
    }


# Which simple baseline is the one to beat is itself a choice: it is made on validation.
val_positions = split.val_positions
validation_scores = {name: metrics.score(values[val_positions], f) for name, f in simple_baselines(val_positions).items()}
best_baseline = metrics.best_by_rmse(validation_scores)
validation_scores["LSTM"] = metrics.score(values[val_positions], lstm_forecast(X_val, val_positions))
print(f"validation period ({words.count(len(val_positions))}; used for choosing, so the LSTM's score here is optimistic):")
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
scores = {name: metrics.score(actual, forecast) for name, forecast in forecasts.items()}
print(f"test period ({words.count(len(actual))} from {words.date(dates[test_positions[0]])}), scored once:")
print(tables.results_table(scores, unit))
verdict = metrics.verdict("LSTM", scores["LSTM"]["rmse"], best_baseline, scores[best_baseline]["rmse"], unit)

model.save(out_dir / "model.keras")
predictions = pd.DataFrame({"actual": actual, **forecasts}, index=pd.Index([words.date(d) for d in dates[test_positions]], name="date"))
predictions.to_csv(out_dir / "predictions.csv", float_format="%.4f")
baseline_keys = dict(zip(simple_baselines(test_positions[:0]), ("naive", "seasonal_naive", "seasonal_naive_plus_last_change")))
metrics.write_metrics(
    out_dir / "metrics.json",
    {
        "model_rmse": scores["LSTM"]["rmse"],
        "model_mae": scores["LSTM"]["mae"],
        "baselines": {key: scores[name] for name, key in baseline_keys.items()}
        | ({"sarima": scores["SARIMA(0,1,1)(0,1,1)"]} if "SARIMA(0,1,1)(0,1,1)" in scores else {}),
        "best_baseline_on_validation": baseline_keys[best_baseline],
        "validation": {"model_rmse": validation_scores["LSTM"]["rmse"]}
        | {key: validation_scores[name]["rmse"] for name, key in baseline_keys.items()},
        "choices": {"target": target, "target_candidates_validation_rmse": candidate_scores,
                    "best_epoch": best_epoch, "epochs_run": epochs_run},
        "sarima": {"params": sarima_result["params"], "converged": sarima_result["converged"], "note": sarima_result["note"]},
        "weights_sha256": weights_sha256,
        "unit": unit,
        "step": words.step,
        "season": season,
        "target": target,
        "periods": {"train": periods.n_train, "validation": periods.n_validation, "test": periods.n_test},
        "test_points": int(len(actual)),
        "test_first_date": words.date(dates[test_positions[0]]),
        "fit_seconds": fit_seconds,
        "params": int(model.count_params()),
        "seed": args.seed,
        "window": args.window,
        "epochs": args.epochs,
        "units": args.units,
        "learning_rate": args.learning_rate,
        "patience": args.patience,
        "backend": backend_name(),
    },
)

# %% Step 6: visualize (in real units, not in scaled units)
show = not args.no_show
loss_figure = plotting.plot_loss(history, "LSTM: loss per epoch (scaled units)")
loss_figure.axes[0].axvline(best_epoch, color="0.5", linestyle=":", label=f"best validation epoch ({best_epoch})")
loss_figure.axes[0].legend()
plotting.save_figure(loss_figure, out_dir / "loss.png", show)
plotted = {f"LSTM (RMSE {scores['LSTM']['rmse']:.2f})": predicted,
           f"{best_baseline}, best on validation (RMSE {scores[best_baseline]['rmse']:.2f})": forecasts[best_baseline]}
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
plotting.save_figure(plotting.plot_future(series, future_dates, future_values, unit, f"Forecast: the next {words.count(horizon)}"),
                     out_dir / "future.png", show)

# %% Step 8: look inside the cell, before and after training
# `fit` and `predict` run a compiled TensorFlow graph, so a breakpoint never stops inside a
# gate. (On a CPU Keras 3 runs the LSTM as a generic loop over time steps inside that graph;
# the fused cuDNN kernel is used only on a GPU: see `cudnn_ok` in keras/src/backend/tensorflow/rnn.py.)
# utils/recurrent/cells.py replays the layer in NumPy with the layer's own weights, one step at a time.
# To watch it: put a breakpoint in utils/recurrent/cells.py inside `lstm_step`, on the `cell_state = ...`
# line (all gates exist there), and step through this cell: each stop is one step of the window below.
#   forget_gate near 1: keep the cell's memory;  input_gate: how much of the new candidate to write;
#   output_gate: how much of the memory to show as the hidden state.
trace = cells.run_cell(lstm_layer, gate_window)
keras_hidden = keras.ops.convert_to_numpy(lstm_layer(gate_window[None]))[0]  # Keras's own answer, to compare
window_dates = [words.date(d) for d in dates[gate_position - args.window:gate_position]]
print(f"\n[8] the LSTM cell on the {words.count(args.window)} before {words.date(dates[gate_position])} (NumPy replay; "
      f"last hidden state differs from Keras by {np.abs(trace['hidden_state'][-1] - keras_hidden).max():.1e})")
for gate in ("forget_gate", "input_gate", "output_gate"):
    print(gate_views.format_gate_table(trace, gate, units=3, step_labels=window_dates, step_header=words.step,
                                  max_rows=12, more_text=f"... {{n}} more {words.steps} in gates.png"))
# What training changed: each gate, averaged over the window and every unit, before and after.
changes = {}
for name in ("forget_gate", "input_gate", "output_gate", "candidate"):
    changes[name] = float(np.abs(trace[name] - trace_before[name]).mean())
    print(f"{name}: mean {trace_before[name].mean():+.3f} before training, {trace[name].mean():+.3f} after "
          f"(mean change per unit and step {changes[name]:.3f})")
largest_gate = max(changes[gate] for gate in ("forget_gate", "input_gate", "output_gate"))
if largest_gate < 0.1:  # on the gates' 0..1 scale, a tenth is a visible change in gates.png
    caption = (f"The gates moved little in training (by {largest_gate:.3f} at most, on average, on a 0..1 scale; "
               f"the candidate moved by {changes['candidate']:.3f}): the forget gate averages {trace['forget_gate'].mean():.2f}, "
               f"close to where it started ({trace_before['forget_gate'].mean():.2f}; Keras starts the forget bias at 1, "
               "and sigmoid(1) = 0.73). Once the target is a difference the simple baselines already make, little is left "
               "for the gates to learn from ~100 windows; Case 17-4 trains the gated cells on a task that needs a long memory.")
else:
    caption = (f"Training moved the gates by up to {largest_gate:.3f} on average (on a 0..1 scale): compare the two "
               "columns of gates.png to see which units learnt to keep or to write.")
print(caption)
plotting.save_figure(
    gate_views.gates_figure(trace, units=8, trace_before=trace_before, step_labels=window_dates, xlabel=words.step,
                       title=f"LSTM gates on one test window, before and after training (rows: units, columns: {words.steps})"),
    out_dir / "gates.png", show,
)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
print(verdict)
