"""Case 17-2: Long Short-Term Memory (LSTM): forecast monthly milk production.

The data: pounds of milk per cow, every month from 1962 to 1975 (168 months). It has a
trend (cows give more milk every year) and a yearly cycle (most milk in May).
The question: given the last months, how much milk next month?

What this case teaches, step by step:
  1. load the data and look at it;
  2. decide what the network predicts (the target transform) and scale it;
  3. cut the series into windows and split them in time order;
  4. build a small LSTM and count its parameters;
  5. train it and score it in pounds per cow, beside common-sense baselines;
  6. plot the losses and the forecasts;
  7. forecast the 12 months after the data ends;
  8. look inside the trained LSTM cell: its gates at every month of one window.

Run it:   python week17/Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py
Flags:    --help lists them all; try --target raw to see why the transform matters.
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

import time

import numpy as np
import pandas as pd

from utils import baselines, cells, cli, metrics, paths, plotting, transforms, windows
from utils.data import dates_after, fill_gaps, load_series
from utils.errors import exit_cleanly_on_bad_input
from utils.runtime import backend_name, hide_tensorflow_startup_messages, set_seed

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-2-lstm"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-2: an LSTM forecasts monthly milk production.")
cli.add_series_flags(parser, csv=paths.data_file("monthly_milk_production.csv"), date_col="Date", value_col="Production", window=12)
cli.add_training_flags(parser, epochs=50, units=16)
parser.add_argument("--target", choices=transforms.TARGETS, default="seasonal-diff", help="what the network predicts (default: %(default)s)")
parser.add_argument("--season", type=cli.positive_int, default=12, help="length of the cycle in time steps: 12 for monthly data (default: %(default)s)")
parser.add_argument("--batch-size", type=cli.positive_int, default=16, help="samples per gradient step (default: %(default)s)")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-2 (LSTM): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
series, filled_dates = fill_gaps(series)  # a missing month would silently break every window
if filled_dates:
    print(f"Note: filled {len(filled_dates)} missing date(s) by interpolation: {', '.join(str(d.date()) for d in filled_dates[:10])}")
values = series.to_numpy()  # float64, in real units (pounds per cow)
unit = "pounds per cow" if Path(args.csv).resolve() == paths.data_file("monthly_milk_production.csv") else args.value_col

print(f"\n[1] {len(series)} values of {args.value_col!r} from {series.index[0].date()} to {series.index[-1].date()}")
print(series.head(3).to_string(), "\n...")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f}")

# %% Step 2: what the network predicts, the test months, and scaling
# The course scales the raw values and asks the network for next month's value. That makes
# it learn the trend and the yearly cycle from ~120 examples, and it scores far worse than
# simply repeating last year's month. We ask a better question instead (utils/transforms.py):
#   raw:           next month's value;
#   diff:          next month's change  y[t] - y[t-1]  (removes the trend);
#   seasonal-diff: how much that change differs from the same month's change a year ago
#                  (removes the trend and the yearly cycle; the default).
# The network always sees the recent monthly changes (or the raw values for --target raw),
# and every forecast is turned back into pounds before it is scored.
inputs, targets = transforms.inputs_and_targets(values, args.target, args.season)

# The test months are the course's: the last 20 % of its windows (32 of 156 for the milk
# data). We fix them now, before scaling, so nothing about them leaks into training.
n_test = windows.test_size(len(values) - args.window)
first_test = len(values) - n_test
MIN_TRAIN_WINDOWS = 12
windows.check_length(
    len(values),
    needed=args.window + args.season + 1 + MIN_TRAIN_WINDOWS + n_test,
    what=f"--window {args.window} and --season {args.season}, plus {MIN_TRAIN_WINDOWS} training and {n_test} test windows,",
)
train_steps = np.arange(len(values)) < first_test

# Scalers are fitted on the training months only (a scaler fitted on all data has seen the test set).
input_scaler = windows.fit_scaler(inputs[train_steps], feature_range=(-1, 1))
target_scaler = windows.fit_scaler(targets[train_steps], feature_range=(-1, 1))
scaled_inputs = windows.scale(input_scaler, inputs)
scaled_targets = windows.scale(target_scaler, targets)

print(f"\n[2] target {args.target!r}; test = last {n_test} steps, from {series.index[first_test].date()}")
print(f"input scaler:  {input_scaler.data_min_[0]:.2f} .. {input_scaler.data_max_[0]:.2f}  ->  -1 .. 1 (fitted on training steps only)")
print(f"target scaler: {target_scaler.data_min_[0]:.2f} .. {target_scaler.data_max_[0]:.2f}  ->  -1 .. 1")

# %% Step 3: cut windows and split them in time order
# Sample i is the `window` inputs before step t, and its label is the target at step t.
X, y, positions = windows.make_windows(scaled_inputs, scaled_targets, args.window)
X_train, X_test, y_train, y_test, test_positions = windows.split_by_position(X, y, positions, first_test)

print(f"\n[3] X {X.shape} = (samples, window, features);  y {y.shape}")
print(f"train: X {X_train.shape}, y {y_train.shape};  test: X {X_test.shape}, y {y_test.shape}  (no shuffling: the test months come last)")
first = positions[0]
print(f"one window, the months before {series.index[first].date()}:")
print("  inputs (real units):", np.round(inputs[first - args.window:first], 1))
print("  inputs (scaled):    ", np.round(X[0, :, 0], 3))
print(f"  target: {targets[first]:.2f} real, {y[0]:.3f} scaled")

# %% Step 4: build the LSTM
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the data above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# One small LSTM layer reads the window month by month; a Dense layer turns its last hidden
# state into one number. 16 units are plenty for 120 training windows; more units overfit.
model = keras.Sequential(
    [
        keras.Input(shape=(args.window, X.shape[2])),
        keras.layers.LSTM(args.units),
        keras.layers.Dense(1),
    ],
    name="milk_lstm",
)
model.summary()
lstm_layer = model.layers[0]
print("LSTM parameters, by the formula 4 gates x (units x (units + features) + units):")
print("  " + cells.param_formula("LSTM", args.units, X.shape[2]), f"(Keras counts {lstm_layer.count_params()})")

# %% Step 5: train and evaluate
# Mean squared error is the loss; the scores are RMSE and MAE in real units. A forecast has
# no "accuracy": it is never exactly right, only more or less wrong.
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
fit_started = time.perf_counter()
history = model.fit(
    X_train, y_train,
    epochs=args.epochs,
    batch_size=args.batch_size,
    validation_split=0.1,  # the last 10 % of the training windows, in time order
    verbose=2,
)
fit_seconds = time.perf_counter() - fit_started

predicted_targets = windows.unscale(target_scaler, model.predict(X_test, verbose=0)[:, 0])
predicted = transforms.to_levels(predicted_targets, values, test_positions, args.target, args.season)
actual = values[test_positions]

forecasts = {
    "LSTM": predicted,
    "naive (last month)": baselines.naive(values, test_positions),
    "seasonal naive (a year ago)": baselines.seasonal_naive(values, test_positions, args.season),
    "seasonal naive + last change": baselines.seasonal_naive_plus_last_change(values, test_positions, args.season),
}
scores = {name: metrics.score(actual, forecast) for name, forecast in forecasts.items()}
print(f"\n[5] fit: {fit_seconds:.1f} s; test scores on {len(actual)} steps:")
print(metrics.results_table(scores, unit))
# "seasonal naive + last change" is exactly what --target seasonal-diff gives when the network
# predicts 0: the network earns its keep only by the part it adds to that.

model.save(out_dir / "model.keras")
pd.DataFrame({"actual": actual, **forecasts}, index=series.index[test_positions]).to_csv(out_dir / "predictions.csv", float_format="%.4f")
metrics.write_metrics(
    out_dir / "metrics.json",
    {
        "model_rmse": scores["LSTM"]["rmse"],
        "model_mae": scores["LSTM"]["mae"],
        "baselines": {
            "naive": scores["naive (last month)"],
            "seasonal_naive": scores["seasonal naive (a year ago)"],
            "seasonal_naive_plus_last_change": scores["seasonal naive + last change"],
        },
        "unit": unit,
        "target": args.target,
        "test_points": int(len(actual)),
        "fit_seconds": fit_seconds,
        "params": int(model.count_params()),
        "seed": args.seed,
        "window": args.window,
        "epochs": args.epochs,
        "units": args.units,
        "backend": backend_name(),
    },
)

# %% Step 6: visualize (in pounds, not in scaled units)
show = not args.no_show
plotting.save_figure(plotting.plot_loss(history, "LSTM: loss per epoch (scaled units)"), out_dir / "loss.png", show)
test_dates = series.index[test_positions]
plotting.save_figure(
    plotting.plot_forecast(
        series.iloc[: test_positions[0]], test_dates, actual,
        {f"LSTM (RMSE {scores['LSTM']['rmse']:.2f})": predicted,
         f"seasonal naive (RMSE {scores['seasonal naive (a year ago)']['rmse']:.2f})": forecasts["seasonal naive (a year ago)"]},
        unit, "Test months: actual vs forecast",
    ),
    out_dir / "forecast.png", show,
)

# %% Step 7: forecast the 12 steps after the data ends
# There is no true value to compare with yet, so each forecast is appended to the series and
# becomes part of the window for the next one: errors can add up the further we look ahead.
horizon = 12
extended = list(values)
for _ in range(horizon):
    step = len(extended)
    known = np.array(extended + [np.nan])  # the value at `step` is what we want
    step_inputs, _ = transforms.inputs_and_targets(known, args.target, args.season)
    window_in = windows.scale(input_scaler, step_inputs[step - args.window:step]).reshape(1, args.window, 1)
    step_target = windows.unscale(target_scaler, model.predict(window_in, verbose=0)[:, 0])
    extended.append(float(transforms.to_levels(step_target, known, [step], args.target, args.season)[0]))
future_values = np.array(extended[len(values):])
future_dates = dates_after(series.index, horizon)
print(f"\n[7] forecast for the {horizon} steps after {series.index[-1].date()}:")
for date, value in zip(future_dates, future_values):
    print(f"  {date.date()}  {value:8.1f}")
plotting.save_figure(plotting.plot_future(series, future_dates, future_values, unit, f"Forecast: the next {horizon} steps"), out_dir / "future.png", show)

# %% Step 8: look inside the cell
# Keras runs the LSTM as one fused operation, so a breakpoint never shows a gate. utils/cells.py
# replays the trained layer in NumPy with the layer's own weights, one month at a time.
# To watch it: put a breakpoint in utils/cells.py inside `lstm_step`, on the line that computes
# `forget_gate`, and step through this cell: each stop is one month of the window below.
#   forget_gate near 1: keep the cell's memory;  input_gate: how much of the new candidate to write;
#   output_gate: how much of the memory to show as the hidden state.
test_window = X_test[-1]  # the last test window, scaled, shape (window, features)
trace = cells.run_cell(lstm_layer, test_window)
keras_hidden = keras.ops.convert_to_numpy(lstm_layer(test_window[None]))[0]  # Keras's own answer, to compare
print(f"\n[8] the LSTM cell on the window before {series.index[test_positions[-1]].date()} (NumPy replay; "
      f"last hidden state differs from Keras by {np.abs(trace['hidden_state'][-1] - keras_hidden).max():.1e})")
for gate in ("forget_gate", "input_gate", "output_gate"):
    print(cells.format_gate_table(trace, gate, units=3))  # the first 3 units
plotting.save_figure(cells.gates_figure(trace, units=8, title="LSTM gates, one test window (rows: units, columns: months)"), out_dir / "gates.png", show)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
