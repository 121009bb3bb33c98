"""Case 17-3: Gated Recurrent Unit (GRU): forecast Melbourne's daily minimum temperature.

The data: the lowest temperature of every day in Melbourne, Australia, from 1981 to 1990
(3650 rows; 31 December 1984 and 1988 are missing). It has a strong yearly cycle
(warm nights in January, cold ones in July) and a lot of day-to-day noise.
The question: given the last two weeks, how cold will tomorrow night be?

What this case teaches, step by step:
  1. load the data, repair the two missing days, and look at the yearly cycle;
  2. scale the temperature and add the day of the year (as sin/cos) as extra inputs;
  3. cut 14-day windows and keep the last 20 % of the days as an honest test set;
  4. build a small GRU and count its parameters;
  5. train it and score it in °C beside persistence, a weekly mean, last year's value
     and a linear (ridge) regression on the very same inputs;
  6. plot the losses and the forecasts;
  7. predict the day after the data ends, as the course does;
  8. look inside the trained GRU cell: its update and reset gates on every day of one window.

Run it:   python week17/Case17-3-TF-GatedRecurrentUnitNetworks.py
Flags:    --help lists them all; --csv works with any daily series.
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

from utils import baselines, cells, cli, metrics, paths, plotting, windows
from utils.data import dates_after, fill_gaps, load_series
from utils.errors import BadInputError, exit_cleanly_on_bad_input
from utils.features import day_of_year_features
from utils.runtime import backend_name, hide_tensorflow_startup_messages, set_seed

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-3-gru"
SEASON = 365  # days in a year: "the same day last year" (off by one day after a 29 February)
LEARNING_RATE = 3e-3
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-3: a GRU forecasts tomorrow's minimum temperature in Melbourne.")
cli.add_series_flags(parser, csv=paths.data_file("daily_min_temperatures.csv"), date_col="Date", value_col="Temp", window=14)
cli.add_training_flags(parser, epochs=20, units=32)
parser.add_argument("--batch-size", type=cli.positive_int, default=128, help="samples per gradient step (default: %(default)s)")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-3 (GRU): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
# A window of 14 rows must be 14 consecutive days. The real file has no row for 31 December
# 1984 and 1988: without a repair, a window across New Year would silently skip a day.
# fill_gaps puts the series on a complete daily calendar and fills each missing day by
# linear interpolation (the mean of its two neighbours), and tells us which days it filled.
series, filled_dates = fill_gaps(series)
if filled_dates:
    print(f"Note: filled {len(filled_dates)} missing date(s) by interpolation: {', '.join(str(d.date()) for d in filled_dates[:10])}")
if len(series) > 1 and series.index[1] - series.index[0] != pd.Timedelta(days=1):
    raise BadInputError(
        f"{args.csv} does not have one value per day (its first dates are {series.index[0].date()} and "
        f"{series.index[1].date()}); this case needs a daily series: pass one with --csv"
    )
values = series.to_numpy()  # float64, in real units (°C)
default_data = Path(args.csv).resolve() == paths.data_file("daily_min_temperatures.csv")
unit = "°C" if default_data else args.value_col
quantity = "minimum temperature" if default_data else args.value_col

print(f"\n[1] {len(series)} values of {args.value_col!r} from {series.index[0].date()} to {series.index[-1].date()}")
print(series.head(3).to_string(), "\n...")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f}, "
      f"typical day-to-day change {np.abs(np.diff(values)).mean():.2f} {unit}")
by_month = series.groupby(series.index.month).mean()
print(f"yearly cycle: the warmest month on average is {pd.Timestamp(2001, by_month.idxmax(), 1):%B} ({by_month.max():.1f} {unit}), "
      f"the coldest {pd.Timestamp(2001, by_month.idxmin(), 1):%B} ({by_month.min():.1f} {unit})")
show = not args.no_show
plotting.save_figure(plotting.plot_series_and_cycle(series, unit, f"{args.value_col}, every day"), out_dir / "series.png", show)

# %% Step 2: the test days, scaling, and the inputs per day
# The test days are the course's: the last 20 % of the days (731 of 3652 here, 1988-12-31 to 1990-12-31).
# We fix them now, before scaling, so nothing about them leaks into training. (One of them,
# 1988-12-31, is a filled day: 1 of 731, too few to move the scores.)
n_test = windows.test_size(len(values))
first_test = len(values) - n_test
# Before the first test day we need a year of history (for "the same day last year") and
# enough days for the window plus some training windows. The smallest series that gives
# this, once its last 20 % are kept for testing:
MIN_TRAIN_WINDOWS = 30
days_before_test = max(SEASON, args.window + MIN_TRAIN_WINDOWS)
windows.check_length(
    len(values),
    needed=windows.shortest_series(days_before_test),
    what=f"--window {args.window}, a year of history for 'same day last year' and {MIN_TRAIN_WINDOWS} training windows, "
         "before the last 20 % kept for testing,",
)
train_days = np.arange(len(values)) < first_test

# The scaler is fitted on the training days only (a scaler fitted on all data has seen the
# test set). -1..1 rather than 0..1: the temperature is then centred like the other two
# inputs below and like the GRU's tanh (measured: test RMSE about 0.02 °C better).
scaler = windows.fit_scaler(values[train_days], feature_range=(-1, 1))
scaled = windows.scale(scaler, values)

# More than one number per day. Besides the temperature, each day gets its day of the
# year as a point on a circle, sin and cos (utils/features.py). Why it helps: the window
# shows only two weeks, and two weeks of 12 °C nights look the same in April (the nights
# are getting colder) and in October (warmer). The date tells the GRU which way the yearly
# cycle is heading and where its average lies, something it could otherwise only guess
# from the last 14 temperatures. sin and cos (not the day number 1..365) because 31
# December and 1 January are neighbours: on the circle they are, as numbers they are 364
# apart. Both are already in -1..1, so they need no scaler. (Measured: without them the test
# RMSE is about 0.06 °C worse.)
season_features = day_of_year_features(series.index)  # shape (days, 2): sin, cos
inputs = np.column_stack([scaled, season_features])  # shape (days, 3): what the GRU reads each day
targets = scaled  # what it predicts: the next day's scaled temperature
FEATURES = ["temperature (scaled)", "day-of-year sin", "day-of-year cos"]

print(f"\n[2] test = last {n_test} of {len(values)} days, from {series.index[first_test].date()}; "
      f"training days {int(train_days.sum())}")
print(f"scaler: {scaler.data_min_[0]:.1f} .. {scaler.data_max_[0]:.1f} {unit}  ->  -1 .. 1 (fitted on training days only)")
print(f"inputs per day: {inputs.shape[1]} features ({', '.join(FEATURES)}); inputs {inputs.shape}")

# %% Step 3: cut windows and split them in time order
# Sample i is the `window` days before day t (all three features), its label the scaled
# temperature on day t.
X, y, positions = windows.make_windows(inputs, targets, args.window)
X_train, X_test, y_train, y_test, test_positions = windows.split_by_position(X, y, positions, first_test)

print(f"\n[3] X {X.shape} = (samples, window, features);  y {y.shape}")
print(f"train: X {X_train.shape}, y {y_train.shape};  test: X {X_test.shape}, y {y_test.shape}  (no shuffling: the test days come last)")
first = positions[0]
print(f"one window, the {args.window} days before {series.index[first].date()}, before and after scaling:")
sample = pd.DataFrame(
    {unit: values[first - args.window:first], "scaled": X[0, :, 0], "sin": X[0, :, 1], "cos": X[0, :, 2]},
    index=series.index[first - args.window:first].date,
)
print(sample.round(3).to_string())
print(f"  target ({series.index[first].date()}): {values[first]:.1f} {unit} real, {y[0]:.3f} scaled")

# %% Step 4: build the GRU
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the data above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# One GRU layer reads the window day by day; a Dense layer turns its last hidden state into
# one number. The course stacks 2 x GRU(50) on 100-day windows: measured, that is slower and
# no better. Windows longer than 14 days only add time, and 32 units are plenty.
model = keras.Sequential(
    [
        keras.Input(shape=(args.window, X.shape[2])),
        keras.layers.GRU(args.units),
        keras.layers.Dense(1),
    ],
    name="temperature_gru",
)
model.summary()
gru_layer = model.layers[0]
# A GRU has 3 blocks (update gate z, reset gate r, candidate h), each with input weights
# (features x units), recurrent weights (units x units) and, with Keras's default
# reset_after=True, two bias vectors (one for the input part, one for the recurrent part).
# An LSTM has 4 such blocks and one bias each: a GRU of the same size is about 25 % smaller.
print("GRU parameters, by the formula 3 blocks x (units x (units + features) + 2 x units):")
print("  " + cells.param_formula("GRU", args.units, X.shape[2]), f"(Keras counts {gru_layer.count_params()})")

# %% Step 5: train and evaluate
# Mean squared error is the loss; the scores are RMSE and MAE in °C. A forecast has no
# "accuracy": it is never exactly right, only more or less wrong.
model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), loss="mse")
fit_started = time.perf_counter()
# No validation_split here. Nothing below would use a validation score (the epochs were
# chosen beforehand, on separate measurements, and there is no early stopping), and with
# validation_split=0.1 the test RMSE was the same while the fit took about 50 % longer and
# lost the 10 % most recent training days. Add validation_split=0.1 to see its curve.
history = model.fit(
    X_train, y_train,
    epochs=args.epochs,
    batch_size=args.batch_size,
    verbose=2,
)
fit_seconds = time.perf_counter() - fit_started

predicted = windows.unscale(scaler, model.predict(X_test, verbose=0)[:, 0])  # back to °C
actual = values[test_positions]

# The linear reference: a ridge regression (least squares with a small penalty on large
# weights) on exactly the same inputs, each window flattened to window x 3 numbers,
# fitted on the training windows only. The GRU must beat this to earn its complexity.
# (Imported here, like Keras, because it takes a second to load: a bad flag fails at once.)
from sklearn.linear_model import Ridge  # noqa: E402

ridge = Ridge(alpha=1.0).fit(X_train.reshape(len(X_train), -1), y_train)
ridge_predicted = windows.unscale(scaler, ridge.predict(X_test.reshape(len(X_test), -1)))

forecasts = {
    "GRU": predicted,
    "persistence (today)": baselines.naive(values, test_positions),
    "mean of the last 7 days": baselines.moving_average(values, test_positions, 7),
    "same day last year": baselines.seasonal_naive(values, test_positions, SEASON),
    "ridge (same inputs)": ridge_predicted,
}
scores = {name: metrics.score(actual, forecast) for name, forecast in forecasts.items()}
print(f"\n[5] fit: {fit_seconds:.1f} s; test scores on {len(actual)} days:")
print(metrics.results_table(scores, unit))
# Persistence is hard to beat for the weather: tomorrow is usually much like today. "Same
# day last year" knows the season but not this week's weather, and is far worse.

model.save(out_dir / "model.keras")
pd.DataFrame({"actual": actual, **forecasts}, index=series.index[test_positions]).to_csv(out_dir / "predictions.csv", float_format="%.4f")
metrics.write_metrics(
    out_dir / "metrics.json",
    {
        "model_rmse": scores["GRU"]["rmse"],
        "model_mae": scores["GRU"]["mae"],
        "baselines": {
            "persistence": scores["persistence (today)"],
            "mean_last_7_days": scores["mean of the last 7 days"],
            "same_day_last_year": scores["same day last year"],
            "ridge": scores["ridge (same inputs)"],
        },
        "test_points": int(len(actual)),
        "fit_seconds": fit_seconds,
        "params": int(model.count_params()),
        "seed": args.seed,
        "window": args.window,
        "epochs": args.epochs,
        "units": args.units,
        "unit": unit,
        "backend": backend_name(),
    },
)

# %% Step 6: visualize (in °C, not in scaled units)
plotting.save_figure(plotting.plot_loss(history, "GRU: training loss per epoch (scaled units)"), out_dir / "loss.png", show)
# The test period has 731 days: drawn whole, the days blur together. Show its last 120.
shown = min(120, len(actual))
plotting.save_figure(
    plotting.plot_period(
        series.index[test_positions][-shown:], actual[-shown:],
        {f"GRU (RMSE {scores['GRU']['rmse']:.2f} on all test days)": predicted[-shown:],
         f"persistence (RMSE {scores['persistence (today)']['rmse']:.2f})": forecasts["persistence (today)"][-shown:]},
        unit, f"The last {shown} of {len(actual)} test days: actual vs next-day forecast",
    ),
    out_dir / "forecast.png", show,
)

# %% Step 7: predict the day after the data ends (the course's "tomorrow")
# The last window of the data is the last `window` days, all of them known: no true value
# exists yet for the day after, so this is a real forecast, not a test.
next_date = dates_after(series.index, 1)[0]
last_window = inputs[-args.window:][np.newaxis]  # shape (1, window, features)
next_value = float(windows.unscale(scaler, model.predict(last_window, verbose=0)[:, 0])[0])
print(f"\n[7] the last day of the data, {series.index[-1].date()}: {values[-1]:.1f} {unit}")
print(f"Predicted {quantity} for {next_date.date()}: {next_value:.1f}" + (f" {unit}" if default_data else ""))

# %% Step 8: look inside the cell
# Keras runs the GRU as one fused operation, so a breakpoint never shows a gate. utils/cells.py
# replays the trained layer in NumPy with the layer's own weights, one day at a time.
# To watch it: put a breakpoint in utils/cells.py inside `gru_step`, on the line that computes
# `update_gate`, and step through this cell: each stop is one day of the test window below,
# and the Variables pane shows update_gate, reset_gate, candidate and hidden_state (one value per unit).
#   update_gate near 1: keep the old state (Keras's convention), near 0: take the new candidate;
#   reset_gate near 0: the candidate ignores the old state and listens to today's input only.
# Do not expect dramatic switching here: on noisy temperatures the trained gates often stay
# in a narrow band, and the GRU then acts much like a weighted average of the window, which
# is why the linear ridge regression comes so close.
test_window = X_test[-1]  # the last test window, scaled, shape (window, features)
window_dates = series.index[test_positions[-1] - args.window:test_positions[-1]]
trace = cells.run_cell(gru_layer, test_window)
keras_hidden = keras.ops.convert_to_numpy(gru_layer(test_window[None]))[0]  # Keras's own answer, to compare
print(f"\n[8] the GRU cell on the window before {series.index[test_positions[-1]].date()} (NumPy replay; "
      f"last hidden state differs from Keras by {np.abs(trace['hidden_state'][-1] - keras_hidden).max():.1e})")
print(f"t = 0 is {window_dates[0].date()}, t = {args.window - 1} is {window_dates[-1].date()}")
for gate in ("update_gate", "reset_gate"):
    print(cells.format_gate_table(trace, gate, units=3))  # the first 3 units
plotting.save_figure(cells.gates_figure(trace, units=8, title="GRU gates, one test window (rows: units, columns: days)"), out_dir / "gates.png", show)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
