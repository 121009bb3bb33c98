"""Case 17-3: Gated Recurrent Unit (GRU): forecast Melbourne's daily minimum temperature.

The data: the lowest temperature of every day in Melbourne, Australia, from 1981 to 1990
(3650 rows; 31 December 1984 and 1988 are missing). It has a strong yearly cycle
(warm nights in January, cold ones in July) and a lot of day-to-day noise.
The question: given the last week, how cold will tomorrow night be?

What this case teaches, step by step:
  1. load the data, repair the two missing days, and look at the yearly cycle;
  2. split time into training, validation and test periods; decide what the GRU predicts,
     scale it on the training period only, and add the day of the year as extra inputs;
  3. cut 7-day windows and give each one to the period of the day it predicts;
  4. build a small GRU and count its parameters;
  5. train it with early stopping on the validation period, choose the ridge regression's
     penalty and the simple baseline to beat on validation too, then score the test period once;
  6. plot the losses and the forecasts;
  7. predict the day after the data ends, as the course does;
  8. look inside the GRU cell, before and after training: its update and reset gates on every day of one window.

Every choice (the defaults below, early stopping, the ridge penalty, the baseline to beat) is
made on the training and validation periods only; the test period is scored once, at the end.

Run it:   python week17/Case17-3-TF-GatedRecurrentUnitNetworks.py
Flags:    --help lists them all; --csv works with any daily or business-day series.
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

from utils.forecasting import baselines, metrics, scaling, timeline, transforms, windows
from utils.forecasting.features import day_of_year_features
from utils.forecasting.ridge import ridge_on_validation
from utils.loading import step_words
from utils.loading.calendar import dates_after, fill_gaps, step_kind
from utils.loading.series import load_series
from utils.plumbing import cli, paths
from utils.plumbing.errors import BadInputError, exit_cleanly_on_bad_input
from utils.plumbing.runtime import (
    backend_name,
    hide_tensorflow_startup_messages,
    set_seed,
)
from utils.recurrent import cells, parameters
from utils.showing import gate_views, plotting, tables

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-3-gru"
run_started = time.perf_counter()
TEMPERATURE_CSV = paths.data_file("daily_min_temperatures.csv")
# The defaults below (window, units, learning rate, batch size, scaling range, the day-of-year
# features and the target) were chosen on the validation period only, by benchmarks/choose_gru.py.
DEFAULT_TARGET_SHIPPED_DATA = "raw"
TARGETS = ("raw", "diff", "seasonal")  # see Step 2

parser = cli.new_parser("Case 17-3: a GRU forecasts tomorrow's value of a daily series (by default, Melbourne's minimum temperature).")
cli.add_series_flags(parser, csv=TEMPERATURE_CSV, date_col="Date", value_col="Temp", window=7)
cli.add_training_flags(parser, epochs=60, units=64)
parser.add_argument("--target", choices=(*TARGETS, "auto"), default=None,
                    help="what the GRU predicts; 'auto' picks it on the validation period "
                         f"(default: {DEFAULT_TARGET_SHIPPED_DATA} on the shipped data, auto with --csv)")
parser.add_argument("--season", type=cli.positive_int, default=None,
                    help="length of the cycle in steps (default: from the dates: 365 for days, 5 for business days)")
cli.add_fitting_flags(parser, learning_rate=3e-3, batch_size=128, patience=3)
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
shipped_data = Path(args.csv).resolve() == TEMPERATURE_CSV

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-3 (GRU): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
# A window of 7 rows must be 7 consecutive days. The real file has no row for 31 December
# 1984 and 1988: without a repair, a window across New Year would silently skip a day.
# fill_gaps puts the series on a complete calendar and fills each missing day by linear
# interpolation (the mean of its two neighbours), and tells us which days it filled. A series
# of business days (stock prices, Monday to Friday) stays one: its weekends are not gaps.
if step_kind(series.index) not in ("daily", "business-daily"):
    raise BadInputError(
        f"{args.csv} does not have one value per day (its first dates are {series.index[0].date()} and "
        f"{series.index[1].date()}); this case needs a daily or business-day series: pass one with --csv"
    )
series, filled_dates = fill_gaps(series)
if filled_dates:
    print(f"Note: filled {len(filled_dates)} missing date(s) by interpolation: {', '.join(str(d.date()) for d in filled_dates[:10])}")
values = series.to_numpy()  # float64, in real units (°C for the shipped data)
dates = series.index
# The shipped data is a temperature in °C; for a student's series the column's name is the best unit we know.
unit = "°C" if shipped_data else args.value_col
quantity = "minimum temperature" if shipped_data else args.value_col
words = step_words.describe_steps(dates, args.season)  # what one step is called, and the season
season = words.season

print(f"\n[1] {len(series)} values of {args.value_col!r} from {words.date(dates[0])} to {words.date(dates[-1])}, one per {words.step}")
for date, value in series.head(3).items():
    print(f"  {words.date(date)}  {value:8.1f}")
print("  ...")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f}, "
      f"typical change from one {words.step} to the next {np.abs(np.diff(values)).mean():.2f} ({unit})")
print(f"Note: {words.note}")
if dates[-1] - dates[0] >= pd.Timedelta(days=365):
    by_month = series.groupby(dates.month).mean()
    high, low = ("warmest", "coldest") if shipped_data else ("highest", "lowest")
    print(f"through the year: the {high} calendar month on average is {pd.Timestamp(2001, by_month.idxmax(), 1):%B} "
          f"({by_month.max():.1f} {unit}), the {low} {pd.Timestamp(2001, by_month.idxmin(), 1):%B} ({by_month.min():.1f} {unit})")
show = not args.no_show
plotting.save_figure(plotting.plot_series_and_cycle(series, unit, f"{quantity}, every {words.step}"), out_dir / "series.png", show)

# %% Step 2: three periods in time order, what the GRU predicts, scaling, and the inputs per day
# Time is split into three periods, in this order:
#   training:   the GRU's weights (and the scaler, and the ridge regression) are fitted here;
#   validation: the year just before the test; EVERY choice is made here: when to stop
#               training, the ridge's penalty, the baseline to beat, the target with 'auto',
#               and, offline in benchmarks/choose_gru.py, every default of this script;
#   test:       the course's last 20 % of the days (731 of 3652, 1988-12-31 to 1990-12-31),
#               fixed by the data whatever --window is, and scored once, at the very end.
n_test = timeline.fixed_test_size(len(values))
n_validation = timeline.validation_size(len(values) - n_test, season)  # whole seasons when one fits: a year here
periods = timeline.three_periods(len(values), n_test, n_validation)
print("\n[2] three periods, in time order:")
print(tables.describe_periods(periods, dates, words, training_use="weights and scaler are fitted here"))
# "The same day last year" needs a season of history before the first day it forecasts.
if periods.first_validation < season:
    raise BadInputError(
        f"the series has {words.count(len(values))}, which leaves {words.count(periods.first_validation)} of training before "
        f"the validation period, but the '{words.same_step_last_season}' baseline needs {words.count(season)} there; "
        "use a longer series or a shorter --season"
    )

# The inputs per day. Besides the value, each day gets its day of the year as a point on a
# circle, sin and cos (utils/forecasting/features.py). Why: the window shows only a week, and a week of
# 12 °C nights looks the same in April (the nights are getting colder) and in October
# (warmer). The date tells the GRU which way the yearly cycle is heading and where its average
# lies. sin and cos (not the day number 1..365) because 31 December and 1 January are
# neighbours: on the circle they are, as numbers they are 364 apart. Both lie in -1..1 already.
# The question the GRU answers (utils/forecasting/transforms.py):
#   raw:      tomorrow's value itself, from the last values;
#   diff:     the change from today, from the last changes; 0 -> persistence;
#   seasonal: the change from a season ago, from the last such changes; 0 -> seasonal naive.
# 'auto' (the default with --csv) tries each on the validation period with the ridge
# regression of Step 5 (well under a second, where a GRU per candidate would repeat the whole fit) and
# keeps the best: a trend, for example, is easier to follow as changes than as values the
# scaler has never seen.
# Measured on the validation period, 1988-01-01 to 1988-12-30 (benchmarks/choose_gru.py, mean of seeds 42 and 1, with
# 14-day windows and 32 units; the test period was never read): scaling to -1..1 rather than
# 0..1 gave a validation RMSE of 2.382 instead of 2.426 °C; without the day of the year it was
# 2.399; the 'diff' target gave 2.396 and 'seasonal' 3.414, so 'raw' is the default here.
training_steps = periods.training()
season_features = day_of_year_features(dates)  # shape (days, 2): sin, cos


def build_inputs(target):
    """The scaled inputs (days, 3) and targets (days,) for one target, and the target's scaler."""
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    # Scalers are fitted on the training period only: a scaler fitted on all data has seen the test.
    # -1..1 rather than 0..1, centred like the sin/cos inputs and like the GRU's tanh.
    input_scaler = scaling.fit_scaler(inputs[training_steps], feature_range=(-1, 1))
    target_scaler = scaling.fit_scaler(targets[training_steps], feature_range=(-1, 1))
    scaled = np.column_stack([scaling.scale(input_scaler, inputs), season_features])
    return scaled, scaling.scale(target_scaler, targets), input_scaler, target_scaler


windows.check_window_fits(args.window, periods, steps=words.steps)  # one clear line if even 'raw' has too few training windows
candidates = [t for t in TARGETS if transforms.first_defined(t, season)[1] + args.window + 12 <= periods.first_validation]
target = args.target or ("auto" if not shipped_data else DEFAULT_TARGET_SHIPPED_DATA)
candidate_scores = {}
if target == "auto":
    print(f"target candidates, each scored on the validation period by a ridge regression on its own inputs (RMSE, {unit}):")
    for candidate in candidates:
        c_inputs, c_targets, _, c_scaler = build_inputs(candidate)
        c_X, c_y, c_positions = windows.make_windows(c_inputs, c_targets, args.window)
        c_split = windows.split_three(c_X, c_y, c_positions, periods)
        c_ridge = ridge_on_validation(c_split.X_train, c_split.y_train, c_split.X_val, c_split.y_val)
        c_forecast = transforms.to_levels(scaling.unscale(c_scaler, c_ridge.predict(c_split.X_val)), values,
                                          c_split.val_positions, candidate, season)
        candidate_scores[candidate] = metrics.rmse(values[c_split.val_positions], c_forecast)
        print(f"  {candidate:<9} {candidate_scores[candidate]:8.3f}")
    target = min(candidate_scores, key=candidate_scores.get)
    print(f"target {target!r} (auto): the lowest validation RMSE")
elif args.target is None:
    print(f"target {target!r}: the shipped data's default, chosen on the validation period by benchmarks/choose_gru.py")
else:
    print(f"target {target!r} (--target)")
first_input, first_target = transforms.first_defined(target, season)
inputs, targets, input_scaler, target_scaler = build_inputs(target)
value_words = {"raw": "value", "diff": f"change from the {words.step} before", "seasonal": f"change from {words.season_ago}"}[target]
FEATURES = [f"{value_words} (scaled)", "day-of-year sin", "day-of-year cos"]
print(f"input scaler:  {input_scaler.data_min_[0]:.2f} .. {input_scaler.data_max_[0]:.2f} {unit}  ->  -1 .. 1 (fitted on the training period only)")
print(f"target scaler: {target_scaler.data_min_[0]:.2f} .. {target_scaler.data_max_[0]:.2f} {unit}  ->  -1 .. 1")
print(f"inputs per {words.step}: {inputs.shape[1]} features ({', '.join(FEATURES)}); inputs {inputs.shape}")

# %% Step 3: cut windows and split them by period
# Sample i is the `window` days before day t (all three features), its label the target on
# day t. A sample belongs to the period of the day it predicts; its window may reach back
# into the period before, as a real forecast would.
windows.check_window_fits(args.window, periods, first_input, first_target, steps=words.steps)
X, y, positions = windows.make_windows(inputs, targets, args.window)
split = windows.split_three(X, y, positions, periods)
X_train, y_train, X_val, y_val, X_test = split.X_train, split.y_train, split.X_val, split.y_val, split.X_test

print(f"\n[3] X {X.shape} = (samples, window, features);  y {y.shape}")
print(f"training X {X_train.shape};  validation X {X_val.shape};  test X {X_test.shape}  (no shuffling across periods)")
first = split.train_positions[0]
print(f"one window, the {words.count(args.window)} before {words.date(dates[first])}, before and after scaling:")
real_inputs, real_targets = transforms.inputs_and_targets(values, target, season)  # before scaling
sample = pd.DataFrame(
    {f"{value_words} ({unit})": real_inputs[first - args.window:first], "scaled": X_train[0, :, 0],
     "sin": X_train[0, :, 1], "cos": X_train[0, :, 2]},
    index=pd.Index([words.date(d) for d in dates[first - args.window:first]], name="date"),
)
print(sample.round(3).to_string())
print(f"  target ({words.date(dates[first])}): {real_targets[first]:.2f} {unit}, "
      f"{y_train[0]:.3f} scaled")

# %% Step 4: build the GRU
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the data above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# One GRU layer reads the window day by day; a Dense layer turns its last hidden state into
# one number. The course stacks 2 x GRU(50) on 100-day windows. Here the size was chosen on the
# validation year (benchmarks/choose_gru.py, mean of seeds 42 and 1): 7-day windows scored as
# well as 14-day ones (2.387 against 2.382 °C, a tie at half the work) and better than 30-day
# ones (2.400); 64 units scored 2.334, against 2.387 with 32 and 2.363 with 16. Learning rates
# of 1e-3 and 1e-2 and batches of 64 and 256 did not beat 3e-3 and 128. The seeds alone move
# these scores by up to 0.1 °C, so read them as rough.
model = keras.Sequential(
    [
        keras.Input(shape=(args.window, X.shape[2])),
        keras.layers.GRU(args.units),
        keras.layers.Dense(1),
    ],
    name="gru_forecaster",
)
model.summary()
gru_layer = model.layers[0]
# A GRU has 3 blocks (update gate z, reset gate r, candidate h), each with input weights
# (features x units), recurrent weights (units x units) and, with Keras's default
# reset_after=True, two bias vectors (one for the input part, one for the recurrent part).
# An LSTM has 4 such blocks and one bias each: a GRU of the same size is about 25 % smaller.
print("GRU parameters, by the formula 3 blocks x (units x (units + features) + 2 x units):")
print("  " + parameters.param_formula("GRU", args.units, X.shape[2]), f"(Keras counts {gru_layer.count_params()})")
# The gates of the untrained cell on the window Step 8 looks at: what training changes is the
# difference between these and the trained gates.
gate_window, gate_position = X_test[-1], split.test_positions[-1]
trace_before = cells.run_cell(gru_layer, gate_window)

# %% Step 5: train (early stopping on validation), choose on validation, then score the test period once
# Mean squared error is the loss; the scores are RMSE and MAE in real units. A forecast has no
# "accuracy": it is never exactly right, only more or less wrong.
# Early stopping watches the loss on the validation period after each epoch and keeps the
# weights of the best epoch; --epochs is only an upper limit. (A patience of 6 instead of 3 found
# no better epoch for seeds 42 and 1 in benchmarks/choose_gru.py: it would only cost time.) Fewer epochs is also what makes
# this run fast: Keras spends a fixed time per epoch, whatever the arithmetic.
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

# The linear reference: a ridge regression (least squares with a penalty alpha on large
# weights) on exactly the same inputs, each window flattened to window x 3 numbers, fitted on
# the training windows. Its alpha is chosen on the validation windows (utils/forecasting/ridge.py). The
# GRU must beat this to earn its complexity.
ridge = ridge_on_validation(X_train, y_train, X_val, y_val)
print(f"ridge regression: alpha {ridge.alpha:g}, the lowest validation error of {len(ridge.validation_mse)} tried "
      f"({min(ridge.validation_mse):g} .. {max(ridge.validation_mse):g})")


def to_real_units(scaled_predictions, period_positions):
    """Scaled predictions of the target on some days -> forecasts of the value, in real units."""
    predicted_targets = scaling.unscale(target_scaler, scaled_predictions)
    return transforms.to_levels(predicted_targets, values, period_positions, target, season)


def simple_baselines(period_positions):
    """Every simple baseline's forecasts of some days, in real units (each uses only earlier days)."""
    return {
        f"persistence ({words.last_step})": baselines.naive(values, period_positions),
        f"mean of the last 7 {words.steps}": baselines.moving_average(values, period_positions, 7),
        f"{words.same_step_last_season}": baselines.seasonal_naive(values, period_positions, season),
    }


# Which simple baseline is the one to beat is itself a choice: it is made on validation.
val_positions = split.val_positions
validation_scores = {name: metrics.score(values[val_positions], f) for name, f in simple_baselines(val_positions).items()}
best_baseline = metrics.best_by_rmse(validation_scores)
validation_scores["GRU"] = metrics.score(values[val_positions], to_real_units(model.predict(X_val, verbose=0)[:, 0], val_positions))
validation_scores["ridge (same inputs)"] = metrics.score(values[val_positions], to_real_units(ridge.predict(X_val), val_positions))
print(f"validation period ({words.count(len(val_positions))}; used for choosing, so the GRU's and the ridge's scores here are optimistic):")
print(tables.results_table(validation_scores, unit))
print(f"the best simple baseline on validation: {best_baseline}")

# The test period, scored once.
test_positions = split.test_positions
actual = values[test_positions]
predicted = to_real_units(model.predict(X_test, verbose=0)[:, 0], test_positions)
forecasts = {"GRU": predicted, **simple_baselines(test_positions), "ridge (same inputs)": to_real_units(ridge.predict(X_test), test_positions)}
scores = {name: metrics.score(actual, forecast) for name, forecast in forecasts.items()}
print(f"test period ({words.count(len(actual))} from {words.date(dates[test_positions[0]])}), scored once:")
print(tables.results_table(scores, unit))
# Persistence is hard to beat for the weather: tomorrow is usually much like today. "Same
# day last year" knows the season but not this week's weather, and is far worse.
verdict = metrics.verdict("GRU", scores["GRU"]["rmse"], best_baseline, scores[best_baseline]["rmse"], unit)
ridge_gain = 100 * (scores["ridge (same inputs)"]["rmse"] - scores["GRU"]["rmse"]) / scores["ridge (same inputs)"]["rmse"]
verdict += (f" Against the ridge regression (alpha {ridge.alpha:g} chosen on validation, RMSE {scores['ridge (same inputs)']['rmse']:.3f}) "
            f"its RMSE is {abs(ridge_gain):.1f} % {'lower' if ridge_gain > 0 else 'higher'}.")

model.save(out_dir / "model.keras")
predictions = pd.DataFrame({"actual": actual, **forecasts}, index=pd.Index([words.date(d) for d in dates[test_positions]], name="date"))
predictions.to_csv(out_dir / "predictions.csv", float_format="%.4f")
baseline_keys = dict(zip(simple_baselines(test_positions[:0]), ("persistence", "mean_last_7", "seasonal_naive")))
metrics.write_metrics(
    out_dir / "metrics.json",
    {
        "model_rmse": scores["GRU"]["rmse"],
        "model_mae": scores["GRU"]["mae"],
        "baselines": {key: scores[name] for name, key in baseline_keys.items()} | {"ridge": scores["ridge (same inputs)"]},
        "best_baseline_on_validation": baseline_keys[best_baseline],
        "validation": {"model_rmse": validation_scores["GRU"]["rmse"], "ridge": validation_scores["ridge (same inputs)"]["rmse"]}
        | {key: validation_scores[name]["rmse"] for name, key in baseline_keys.items()},
        "choices": {"target": target, "target_candidates_validation_rmse": candidate_scores, "ridge_alpha": ridge.alpha,
                    "best_epoch": best_epoch, "epochs_run": epochs_run, "best_baseline": baseline_keys[best_baseline]},
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
        "batch_size": args.batch_size,
        "patience": args.patience,
        "backend": backend_name(),
    },
)

# %% Step 6: visualize (in real units, not in scaled units)
loss_figure = plotting.plot_loss(history, "GRU: loss per epoch (mean squared error, scaled units)")
loss_figure.axes[0].axvline(best_epoch, color="0.5", linestyle=":", label=f"best validation epoch ({best_epoch})")
loss_figure.axes[0].legend()
plotting.save_figure(loss_figure, out_dir / "loss.png", show)
# The test period has 731 days: drawn whole, the days blur together. Show its last 120.
shown = min(120, len(actual))
plotting.save_figure(
    plotting.plot_period(
        dates[test_positions][-shown:], actual[-shown:],
        {f"GRU (RMSE {scores['GRU']['rmse']:.2f} on all test {words.steps})": predicted[-shown:],
         f"{best_baseline}, best on validation (RMSE {scores[best_baseline]['rmse']:.2f})": forecasts[best_baseline][-shown:]},
        unit, f"The last {shown} of {words.count(len(actual))} in the test period: actual vs next-{words.step} forecast",
    ),
    out_dir / "forecast.png", show,
)
print(f"\n[6] saved series.png (the data and its yearly cycle), loss.png (training and validation loss per epoch, "
      f"best epoch marked) and forecast.png (the last {words.count(shown)} of the test period: GRU and {best_baseline} "
      f"against the actual values, in {unit})")

# %% Step 7: predict the day after the data ends (the course's "tomorrow")
# The last window of the data is the last `window` days, all of them known: no true value
# exists yet for the day after, so this is a real forecast, not a test.
next_date = dates_after(dates, 1)[0]
last_window = inputs[-args.window:][np.newaxis]  # shape (1, window, features)
next_value = float(to_real_units(model.predict(last_window, verbose=0)[:, 0], np.array([len(values)]))[0])
print(f"\n[7] the last {words.step} of the data, {words.date(dates[-1])}: {values[-1]:.1f} {unit}")
print(f"Predicted {quantity} for {words.date(next_date)}: {next_value:.1f}" + (f" {unit}" if shipped_data else ""))

# %% Step 8: look inside the cell, before and after training
# `fit` and `predict` run a compiled TensorFlow graph, so a breakpoint never stops inside a
# gate. (On a CPU Keras 3 runs the GRU as a generic loop over time steps inside that graph;
# the fused cuDNN kernel is used only on a GPU: see `cudnn_ok` in keras/src/backend/tensorflow/rnn.py.)
# utils/recurrent/cells.py replays the layer in NumPy with the layer's own weights, one day at a time.
# To watch it: put a breakpoint in utils/recurrent/cells.py inside `gru_step`, on the `hidden_state = ...`
# line, and step through this cell: each stop is one day of the test window below, and the
# Variables pane shows update_gate, reset_gate and candidate (one value per unit).
#   new state = update_gate * old state + (1 - update_gate) * candidate (Keras's rule, as in Cho et al. 2014):
#   update_gate near 1 keeps the old state, near 0 takes the new candidate;
#   reset_gate near 0: the candidate ignores the old state and listens to today's input only.
# Do not expect dramatic switching here: on noisy temperatures the trained gates often stay in
# a narrow band, and the GRU then acts much like a weighted average of the window, which is
# why the linear ridge regression comes so close.
trace = cells.run_cell(gru_layer, gate_window)
keras_hidden = keras.ops.convert_to_numpy(gru_layer(gate_window[None]))[0]  # Keras's own answer, to compare
window_dates = [words.date(d) for d in dates[gate_position - args.window:gate_position]]
print(f"\n[8] the GRU cell on the {words.count(args.window)} before {words.date(dates[gate_position])} (NumPy replay; "
      f"last hidden state differs from Keras by {np.abs(trace['hidden_state'][-1] - keras_hidden).max():.1e})")
for gate in ("update_gate", "reset_gate"):
    print(gate_views.format_gate_table(trace, gate, units=3, step_labels=window_dates, step_header=words.step,
                                  max_rows=14, more_text=f"... {{n}} more {words.steps} in gates.png"))
# What training changed: each gate, averaged over the window and every unit, before and after.
changes = {}
for gate in ("update_gate", "reset_gate"):
    changes[gate] = float(np.abs(trace[gate] - trace_before[gate]).mean())
    print(f"{gate}: mean {trace_before[gate].mean():.3f} before training, {trace[gate].mean():.3f} after "
          f"(mean change per unit and {words.step} {changes[gate]:.3f})")
moved = max(changes, key=changes.get)
if changes[moved] < 0.05:
    print(f"The gates barely moved in training (at most {changes[moved]:.3f} on average per unit and {words.step}): they "
          "still sit near their starting values (Keras starts a GRU's biases at 0, so its gates start near sigmoid(0) = 0.5).")
else:
    meaning = ("keep their state (near 1) or take the candidate (near 0)" if moved == "update_gate"
               else "let the old state into the candidate (near 1) or ignore it (near 0)")
    print(f"Training moved the {moved} most ({changes[moved]:.3f} on average per unit and {words.step}): compare the two "
          f"columns of gates.png to see which units learnt to {meaning}.")
plotting.save_figure(
    gate_views.gates_figure(trace, units=8, trace_before=trace_before, step_labels=window_dates, xlabel=words.step,
                       title=f"GRU gates on one test window, before and after training (rows: units, columns: {words.steps})"),
    out_dir / "gates.png", show,
)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
print(verdict)
