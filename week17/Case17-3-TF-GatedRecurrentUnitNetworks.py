"""Case 17-3: Gated Recurrent Unit (GRU): forecast Melbourne's daily minimum temperature.

The data: the lowest temperature of every day in Melbourne, Australia, from 1981 to 1990
(3650 rows; 31 December 1984 and 1988 are missing). It has a strong yearly cycle
(warm nights in January, cold ones in July) and a lot of day-to-day noise.
The question: given the last week, how cold will tomorrow night be?

What this case teaches, step by step:
  1. load the data, repair the two missing days, and look at its cycles: the calendar says a daily
     series could repeat weekly or yearly, the training period says which cycles are there;
  2. split time into training, validation and test periods; decide what the GRU predicts,
     scale it on the training period only, and add the day of the year as extra inputs;
  3. cut 7-day windows and give each one to the period of the day it predicts;
  4. build a small GRU and count its parameters;
  5. train it with early stopping on the validation period, choose the ridge regression's
     penalty, the simple baseline to beat and the reference (that baseline or the ridge) on
     validation too, then score the test period once, and ask a Diebold–Mariano test whether the
     GRU's gap to the reference is more than chance;
  6. plot the losses and the forecasts;
  7. predict the day after the data ends, as the course does;
  8. look inside the GRU cell, before and after training: its update and reset gates on every
     day of one window.

Every choice (the defaults below, the season, early stopping, the ridge penalty, the baseline to
beat, the reference) is made on the training and validation periods only; the test period is
scored once, at the end.

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
    sys.exit("error: cannot find the project folder (the one holding utils/); "
             "run this from inside the project")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import time

import numpy as np
import pandas as pd

from utils.forecasting import (
    baselines,
    case_metrics,
    diebold_mariano,
    metrics,
    scaling,
    scoring,
    seasonality,
    timeline,
    training,
    transforms,
    windows,
)
from utils.forecasting.features import day_of_year_features
from utils.forecasting.ridge import ridge_on_validation
from utils.forecasting.settings import TEMPERATURE
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
from utils.showing import cell_views, plotting, series_views, tables, window_shapes
from utils.showing.trace import say

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-3-gru"
run_started = time.perf_counter()
TEMPERATURE_CSV = paths.data_file(TEMPERATURE.csv)
# The defaults (utils/forecasting/settings.py; with the day-of-year features) were chosen on the
# validation period only, by benchmarks/choose_gru.py.
DEFAULT_TARGET_SHIPPED_DATA = TEMPERATURE.target
TARGETS = ("raw", "diff", "seasonal")  # see Step 2

parser = cli.new_parser("Case 17-3: a GRU forecasts tomorrow's value of a daily series "
                        "(by default, Melbourne's minimum temperature).")
cli.add_series_flags(parser, csv=TEMPERATURE_CSV, date_col=TEMPERATURE.date_col,
                     value_col=TEMPERATURE.value_col, window=TEMPERATURE.window)
cli.add_training_flags(parser, epochs=TEMPERATURE.max_epochs, units=TEMPERATURE.units)
parser.add_argument("--target", choices=(*TARGETS, "auto"), default=None,
                    help="what the GRU predicts; 'auto' picks it on the validation period "
                         f"(default: {DEFAULT_TARGET_SHIPPED_DATA} on the shipped data, auto with --csv)")
parser.add_argument("--season", type=cli.positive_int, default=None,
                    help="length of the cycle in steps (default: for days, the cycle the training "
                         "period shows, 7 or 365; for business days 5)")
cli.add_fitting_flags(parser, learning_rate=TEMPERATURE.learning_rate, batch_size=TEMPERATURE.batch_size,
                      patience=TEMPERATURE.patience)
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
shipped_data = Path(args.csv).resolve() == TEMPERATURE_CSV

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-3 (GRU): writing to {out_dir}")

# %% Step 1: load the data and look at it
series = load_series(args.csv, args.date_col, args.value_col)
# A window must be consecutive days: fill_gaps interpolates each missing day (the shipped file
# lacks 31 December 1984 and 1988) and says which; business days keep their weekends out.
if step_kind(series.index) not in ("daily", "business-daily"):
    raise BadInputError(
        f"{args.csv} does not have one value per day (its first dates are {series.index[0].date()} and "
        f"{series.index[1].date()}); this case needs a daily or business-day series: pass one with --csv"
    )
series, filled_dates = fill_gaps(series)
if filled_dates:
    say(f"Note: filled {len(filled_dates)} missing date(s) with the value before each: "
        f"{', '.join(str(d.date()) for d in filled_dates[:10])}")
values = series.to_numpy()  # float64, in real units (°C for the shipped data)
dates = series.index
# For a student's series the column's name is the best unit we know.
unit = TEMPERATURE.unit if shipped_data else args.value_col
quantity = "minimum temperature" if shipped_data else args.value_col
calendar_words = step_words.describe_steps(dates)  # what one step is called, and the calendar's season

print(f"\n[1] {series_views.first_look(series, calendar_words, args.value_col, '8.1f')}")
print(f"min {values.min():.1f}, max {values.max():.1f}, mean {values.mean():.1f}, typical change "
      f"from one {calendar_words.step} to the next {np.abs(np.diff(values)).mean():.2f} ({unit})")

# The season from the data as well as the calendar. The calendar says what a daily series COULD
# repeat (a week, a year); the autocorrelation at lags 7 and 365 says whether it does
# (utils/forecasting/seasonality.py). Measured on the training period only: the steps before the
# test period (the last 20 %) and before the longest validation period any season could give.
n_test = timeline.fixed_test_size(len(values))
n_measured = len(values) - n_test - timeline.validation_size(len(values) - n_test)
cycles = []  # the evidence, one entry per cycle measured (daily data only)
if calendar_words.kind == "day":
    cycles = seasonality.cycle_evidence(values[:n_measured], seasonality.DAILY_CYCLES)
    present = seasonality.present_cycles(cycles)
    print(f"cycles in the training period (its first {calendar_words.count(n_measured)}), "
          "from the autocorrelation after removing slower changes:")
    say(seasonality.describe(cycles))
else:
    present = []
season = calendar_words.season
yearly = {item.lag: item for item in cycles}.get(season)  # the calendar's cycle, as measured
unmeasured = yearly is not None and np.isnan(yearly.autocorrelation)
span = f"{season}-{calendar_words.step}"  # "365-day"
calendar_cycle = (f"a {span} one cannot be measured on so short a training period" if unmeasured
                  else f"no {span} one")
if args.season is not None:
    season, season_from = args.season, "--season"
    reason = f"--season {args.season}: the flag wins over the calendar and the data"
elif not cycles:
    season_from, reason = "calendar", calendar_words.note
elif season in present:  # the data confirm the calendar's yearly cycle
    season_from = "calendar and data"
    reason = f"a season of {calendar_words.count(season)}: the calendar's, and the data show it"
elif present:  # no yearly cycle, but a shorter one: e.g. a shop open every day, busier at weekends
    season, season_from = present[0], "data"
    reason = f"a season of {calendar_words.count(season)}: the data show that cycle, and {calendar_cycle}"
else:
    season_from = "calendar"
    reason = (f"the calendar's {calendar_words.count(season)}: no cycle found ({calendar_cycle}); "
              "its seasonal forecasts are only candidates that validation can turn down")
words = calendar_words.with_season(season)
say(f"Season: {reason}.")
# Every cycle found gets its own seasonal-naive forecast beside the season's (Step 5), so that a
# weekly pattern is measured against "the same weekday last week" even when the season is a year.
other_cycles = [lag for lag in present if lag != season]
cycle_words = {lag: calendar_words.with_season(lag).same_step_last_season for lag in other_cycles}
if other_cycles:
    print("also offered as a simple baseline, for the other cycle(s) found: "
          + ", ".join(cycle_words.values()))
if dates[-1] - dates[0] >= pd.Timedelta(days=365):
    by_month = series.groupby(dates.month).mean()
    high, low = ("warmest", "coldest") if shipped_data else ("highest", "lowest")
    print(f"through the year: the {high} calendar month on average is "
          f"{pd.Timestamp(2001, by_month.idxmax(), 1):%B} ({by_month.max():.1f} {unit}), "
          f"the {low} {pd.Timestamp(2001, by_month.idxmin(), 1):%B} ({by_month.min():.1f} {unit})")
show = not args.no_show
series_figure = plotting.plot_series_and_cycle(series, unit, f"{quantity}, every {words.step}")
# The right panel overlays the years; it is called "the yearly cycle" only when the data show one.
if yearly is None or not yearly.present:
    series_figure.axes[1].set_title("Every year on one axis" + (
        "" if yearly is None  # not measured: business days
        else " (too short to measure a yearly cycle)" if unmeasured else ": no yearly cycle found"))
series_panel = "its yearly cycle" if yearly is not None and yearly.present else "every year on one axis"
plotting.save_figure(series_figure, out_dir / "series.png", show)

# %% [markdown]
# **Step 2: three periods in time order.**
# - *training*: the GRU's weights (and the scaler, and the ridge regression) are fitted here;
# - *validation*: the year just before the test; EVERY choice is made here: when to stop
#   training, the ridge's penalty, the baseline to beat, the target with 'auto', and, offline in
#   benchmarks/choose_gru.py, every default of this script;
# - *test*: the course's last 20 % of the days, fixed by the data whatever --window is, and
#   scored once, at the very end.
#
# **The inputs per day.** Besides the value, each day gets its day of the year as a point on a
# circle, sin and cos (utils/forecasting/features.py). Why: the window shows only a week, and a
# week of 12 °C nights looks the same in April (the nights are getting colder) and in October
# (warmer). The date tells the GRU which way the yearly cycle is heading and where its average
# lies. sin and cos (not the day number 1..365) because 31 December and 1 January are
# neighbours: on the circle they are, as numbers they are 364 apart. Both lie in -1..1 already.
#
# **The question the GRU answers** (utils/forecasting/transforms.py):
# - *raw*: tomorrow's value itself, from the last values;
# - *diff*: the change from today, from the last changes; 0 is persistence;
# - *seasonal*: the change from a season ago, from the last such changes; 0 is seasonal naive.
#
# 'auto' (the default with --csv) tries each on the validation period with the ridge regression
# of Step 5 (far cheaper than a GRU per candidate) and keeps the best: a trend, for example, is
# easier to follow as changes than as values the scaler has never seen. How the shipped data's
# defaults were chosen, with the validation scores: docs/CASES.md.

# %% Step 2: three periods in time order, what the GRU predicts, scaling, and the inputs per day
# n_test (the last 20 % of the days) was set in Step 1; whole seasons when one fits: a year here
n_validation = timeline.validation_size(len(values) - n_test, season)
periods = timeline.three_periods(len(values), n_test, n_validation)
print("\n[2] three periods, in time order:")
print(tables.describe_periods(periods, dates, words, training_use="weights and scaler are fitted here"))
# "The same day last year" needs a season of history before the first day it forecasts.
if periods.first_validation < season:
    raise BadInputError(
        f"the series has {words.count(len(values))}, which leaves {words.count(periods.first_validation)} "
        f"of training before the validation period, but the '{words.same_step_last_season}' baseline needs "
        f"{words.count(season)} there; use a longer series or a shorter --season"
    )

training_steps = periods.training()
season_features = day_of_year_features(dates)  # shape (days, 2): sin, cos


def build_inputs(target):
    """The scaled inputs (days, 3) and targets (days,) for one target, and the target's scaler."""
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    # Scalers are fitted on the training period only: a scaler fitted on all data has seen the test.
    # -1..1 rather than 0..1, centred like the sin/cos inputs and like the GRU's tanh.
    input_scaler = scaling.fit_scaler(inputs[training_steps], feature_range=TEMPERATURE.feature_range)
    target_scaler = scaling.fit_scaler(targets[training_steps], feature_range=TEMPERATURE.feature_range)
    scaled = np.column_stack([scaling.scale(input_scaler, inputs), season_features])
    return scaled, scaling.scale(target_scaler, targets), input_scaler, target_scaler


# one clear line if even 'raw' has too few training windows
windows.check_window_fits(args.window, periods, steps=words.steps)
candidates = [t for t in TARGETS
              if transforms.first_defined(t, season)[1] + args.window + 12 <= periods.first_validation]
target = args.target or ("auto" if not shipped_data else DEFAULT_TARGET_SHIPPED_DATA)
candidate_scores = {}
if target == "auto":
    print("target candidates, each scored on the validation period by a ridge regression on its own inputs "
          f"(RMSE, {unit}):")
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
    print(f"target {target!r}: the shipped data's default, "
          "chosen on the validation period by benchmarks/choose_gru.py")
else:
    print(f"target {target!r} (--target)")
first_input, first_target = transforms.first_defined(target, season)
inputs, targets, input_scaler, target_scaler = build_inputs(target)
value_words = {"raw": "value", "diff": f"change from the {words.step} before",
               "seasonal": f"change from {words.season_ago}"}[target]
FEATURES = [f"{value_words} (scaled)", "day-of-year sin", "day-of-year cos"]
low, high = TEMPERATURE.feature_range
say(f"input scaler:  {input_scaler.data_min_[0]:.2f} .. {input_scaler.data_max_[0]:.2f} {unit}  ->  "
    f"{low} .. {high} (fitted on the training period only)")
say(f"target scaler: {target_scaler.data_min_[0]:.2f} .. {target_scaler.data_max_[0]:.2f} {unit}  ->  "
    f"{low} .. {high}")
say(f"inputs per {words.step}: {inputs.shape[1]} features ({', '.join(FEATURES)}); inputs {inputs.shape}")

# %% Step 3: cut windows and split them by period
# Sample i is the `window` days before day t (all three features), its label the target on
# day t. A sample belongs to the period of the day it predicts; its window may reach back
# into the period before, as a real forecast would.
windows.check_window_fits(args.window, periods, first_input, first_target, steps=words.steps)
X, y, positions = windows.make_windows(inputs, targets, args.window)
split = windows.split_three(X, y, positions, periods)
if filled_dates:  # a filled day is no measurement: no sample predicts it, so no score counts it
    split = windows.without_steps(split, np.flatnonzero(dates.isin(filled_dates)))
    say(f"Note: the {len(filled_dates)} filled date(s) are left out of every target and score")
X_train, y_train, X_val, y_val, X_test = split.X_train, split.y_train, split.X_val, split.y_val, split.X_test

print(f"\n[3] {window_shapes.describe_windows(X, y, split)}")
first = split.train_positions[0]
print(f"one window, the {words.count(args.window)} before {words.date(dates[first])}, "
      "before and after scaling:")
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
# One GRU layer reads the window day by day; a Dense layer turns its last hidden state into one
# number. The course stacks 2 x GRU(50) on 100-day windows; this size was chosen on validation
# (docs/CASES.md has the scores).
model, gru_layer = training.one_layer_forecaster("GRU", args.window, X.shape[2], args.units)
model.summary()
# 3 blocks (update gate z, reset gate r, candidate h), each with input weights, recurrent weights
# and, with Keras's default reset_after=True, two bias vectors; an LSTM has 4 blocks, one bias each.
say("GRU parameters, by the formula 3 blocks x (units x (units + features) + 2 x units):")
print("  " + parameters.param_formula("GRU", args.units, X.shape[2]),
      f"(Keras counts {gru_layer.count_params()})")
# The untrained cell's gates on the window Step 8 looks at: training changes them.
gate_window, gate_position = X_test[-1], split.test_positions[-1]
trace_before = cells.run_cell(gru_layer, gate_window)

# %% [markdown]
# **Step 5.** Mean squared error is the loss; the scores are RMSE and MAE in real units. A
# forecast has no "accuracy": it is never exactly right, only more or less wrong.
# Early stopping watches the loss on the validation period after each epoch and keeps the
# weights of the best epoch; --epochs is only an upper limit (a longer patience was tried on
# validation: docs/CASES.md). Fewer epochs is also what makes this run fast: Keras spends a
# fixed time per epoch, whatever the arithmetic.
#
# The linear reference: a ridge regression (least squares with a penalty alpha on large weights)
# on exactly the same inputs, each window flattened to window x 3 numbers, fitted on the
# training windows, its alpha chosen on the validation windows (utils/forecasting/ridge.py).
# The GRU must beat it to earn its complexity.

# %% Step 5: train (early stopping on validation), choose on validation, then score the test period once
print(f"\n[5] training on {len(X_train)} windows, at most {args.epochs} epochs, "
      f"stopping after {args.patience} without a better validation loss")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate), loss="mse")
fit = training.fit_with_early_stopping(model, split, args.epochs, args.batch_size, args.patience)
print(fit.summary())
history, best_epoch = fit.history, fit.best_epoch

ridge = ridge_on_validation(X_train, y_train, X_val, y_val)
print(f"ridge regression: alpha {ridge.alpha:g}, "
      f"the lowest validation error of {len(ridge.validation_mse)} tried "
      f"({min(ridge.validation_mse):g} .. {max(ridge.validation_mse):g})")
if ridge.edge_warning():
    print(ridge.edge_warning())


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
    } | seasonality.seasonal_naive_baselines(values, period_positions, other_cycles, cycle_words)


# The simple baseline to beat is chosen on validation; the GRU and the ridge are scored there too.
RIDGE = "ridge (same inputs)"
val_positions = split.val_positions
validation_scores, best_baseline = scoring.baseline_to_beat(values[val_positions],
                                                            simple_baselines(val_positions))
validation_scores |= scoring.score_forecasts(values[val_positions], {
    "GRU": to_real_units(model.predict(X_val, verbose=0)[:, 0], val_positions),
    RIDGE: to_real_units(ridge.predict(X_val), val_positions),
})
print(f"validation period ({words.count(len(val_positions))}; "
      "used for choosing, so the GRU's and the ridge's scores here are optimistic):")
print(tables.results_table(validation_scores, unit))
print(f"the best simple baseline on validation: {best_baseline}")
# The reference the GRU must beat is the best of ALL references, itself chosen on validation: the
# simple baseline to beat or the ridge regression, whichever forecast validation better (on a tie,
# the simpler one).
reference, other = sorted((best_baseline, RIDGE), key=lambda name: validation_scores[name]["rmse"])
say(f"the reference to beat, chosen on validation: {reference} (validation RMSE "
    f"{validation_scores[reference]['rmse']:.3f}, against {validation_scores[other]['rmse']:.3f} "
    f"for {other})")

# The test period, scored once.
test_positions = split.test_positions
actual = values[test_positions]
predicted = to_real_units(model.predict(X_test, verbose=0)[:, 0], test_positions)
forecasts = {"GRU": predicted, **simple_baselines(test_positions),
             RIDGE: to_real_units(ridge.predict(X_test), test_positions)}
scores = scoring.score_forecasts(actual, forecasts)
test_dates = [words.date(d) for d in dates[test_positions]]
print(f"test period ({words.count(len(actual))} from {test_dates[0]}), scored once:")
print(tables.results_table(scores, unit))
# Persistence is hard to beat for the weather: tomorrow is usually much like today.
#
# Is a lower RMSE a real difference or luck of these test days? The Diebold–Mariano test compares
# two forecasts' squared errors day by day (utils/forecasting/diebold_mariano.py); at p >= 0.05 it
# cannot tell them apart, and the verdict then says "no clear difference" rather than a win.


def against(other):
    """The GRU against another forecast on the test days: (Diebold–Mariano result, verdict, % gap in RMSE)."""
    result = diebold_mariano.dm_test(actual - predicted, actual - forecasts[other])
    gap = 100 * (scores[other]["rmse"] - scores["GRU"]["rmse"]) / scores[other]["rmse"]
    outcome = ("no clear difference" if result.p_value >= diebold_mariano.ALPHA
               else "better" if gap > 0 else "worse")
    return result, outcome, gap


def described(name):
    rmse = f"RMSE {scores[name]['rmse']:.3f}"
    return (f"the ridge regression (alpha {ridge.alpha:g} chosen on validation, {rmse})" if name == RIDGE
            else f"the best simple baseline chosen on validation ({name}, {rmse})")


dm, outcome, gap = against(reference)
lower = f"{abs(gap):.1f} % {'lower' if gap > 0 else 'higher'}"
evidence = f"Diebold–Mariano p = {dm.p_value:.3f} on {dm.n} one-step errors"
opening = {"better": "is more accurate than", "worse": "is less accurate than",
           "no clear difference": "shows no clear difference from"}[outcome]
verdict = (f"On the test period the GRU {opening} the best reference chosen on validation, "
           f"{described(reference)}: its RMSE {scores['GRU']['rmse']:.3f} {unit} is {lower}, and "
           + (f"the test cannot tell the two apart ({evidence} >= {diebold_mariano.ALPHA})."
              if outcome == "no clear difference" else f"the test tells them apart ({evidence})."))
other_dm, _, other_gap = against(other)
verdict += (f" Against {described(other)} its RMSE is {abs(other_gap):.1f} % "
            f"{'lower' if other_gap > 0 else 'higher'} (p = {other_dm.p_value:.3f}).")

model.save(out_dir / "model.keras")
scoring.save_predictions(out_dir / "predictions.csv", test_dates, actual, forecasts)
baseline_keys = dict(zip(simple_baselines(test_positions[:0]),
                         ("persistence", "mean_last_7", "seasonal_naive",
                          *(f"seasonal_naive_{lag}" for lag in other_cycles))))
references = baseline_keys | {RIDGE: "ridge"}
choices = {"target": target, "target_candidates_validation_rmse": candidate_scores,
           "ridge_alpha": ridge.alpha, "best_epoch": best_epoch, "epochs_run": fit.epochs_run,
           "best_baseline": baseline_keys[best_baseline], "reference": references[reference],
           "season_from": season_from,
           "cycles_autocorrelation": {str(item.lag): None if np.isnan(item.autocorrelation)
                                      else item.autocorrelation for item in cycles}}
metrics.write_metrics(out_dir / "metrics.json", case_metrics.forecast_payload(
    model="GRU", scores=scores, validation_scores=validation_scores, best_baseline=best_baseline,
    baseline_keys=baseline_keys, other_keys={RIDGE: "ridge"}, choices=choices,
    reference=case_metrics.reference_entry(reference, references[reference], scores[reference]["rmse"], dm,
                                           outcome),
    weights_sha256=training.weights_fingerprint(model), unit=unit, step=words.step, season=season,
    target=target, periods=periods, test_points=len(actual), test_first_date=test_dates[0],
    fit_seconds=fit.seconds, params=model.count_params(), seed=args.seed, window=args.window,
    epochs=args.epochs, units=args.units, learning_rate=args.learning_rate, batch_size=args.batch_size,
    patience=args.patience, backend=backend_name(),
))

# %% Step 6: visualize (in real units, not in scaled units)
loss_figure = plotting.plot_loss(history, "GRU: loss per epoch (mean squared error, scaled units)")
loss_figure.axes[0].axvline(best_epoch, color="0.5", linestyle=":",
                            label=f"best validation epoch ({best_epoch})")
loss_figure.axes[0].legend()
plotting.save_figure(loss_figure, out_dir / "loss.png", show)
# The test period drawn whole blurs its hundreds of days together: show its last 120.
shown = min(120, len(actual))
plotting.save_figure(
    plotting.plot_period(
        dates[test_positions][-shown:], actual[-shown:],
        {f"GRU (RMSE {scores['GRU']['rmse']:.2f} on all test {words.steps})": predicted[-shown:]}
        | {f"{name}{label} (RMSE {scores[name]['rmse']:.2f})": forecasts[name][-shown:]
           for name, label in {RIDGE: ", the reference" if reference == RIDGE else "",
                               best_baseline: ", best baseline on validation"}.items()},
        unit, f"The last {shown} of {words.count(len(actual))} in the test period: "
              f"actual vs next-{words.step} forecast",
    ),
    out_dir / "forecast.png", show,
)
say(f"\n[6] saved series.png (the data and {series_panel}), "
    f"loss.png (training and validation loss per epoch, best epoch marked) and forecast.png "
    f"(the last {words.count(shown)} of the test period: GRU, ridge and {best_baseline} "
    f"against the actual values, in {unit})")

# %% Step 7: predict the day after the data ends (the course's "tomorrow")
# The last window of the data is the last `window` days, all of them known: no true value
# exists yet for the day after, so this is a real forecast, not a test.
next_date = dates_after(dates, 1)[0]
last_window = inputs[-args.window:][np.newaxis]  # shape (1, window, features)
next_value = float(to_real_units(model.predict(last_window, verbose=0)[:, 0], np.array([len(values)]))[0])
print(f"\n[7] the last {words.step} of the data, {words.date(dates[-1])}: {values[-1]:.1f} {unit}")
print(f"Predicted {quantity} for {words.date(next_date)}: {next_value:.1f}"
      + (f" {unit}" if shipped_data else ""))

# %% [markdown]
# **Step 8: look inside the cell.** `fit` and `predict` run a compiled TensorFlow graph, so a
# breakpoint never stops inside a gate. (On a CPU Keras 3 runs the GRU as a generic loop over
# time steps inside that graph; the fused cuDNN kernel is used only on a GPU: see `cudnn_ok` in
# keras/src/backend/tensorflow/rnn.py.) utils/recurrent/cells.py replays the layer in NumPy with
# the layer's own weights, one day at a time.
#
# To watch it: put a breakpoint in utils/recurrent/cells.py inside `gru_step`, on the
# `hidden_state = ...` line, and step through this cell: each stop is one day of the test window
# below, and the Variables pane shows update_gate, reset_gate and candidate (one value per unit).
# - new state = update_gate * old state + (1 - update_gate) * candidate (Keras's rule, as in
#   Cho et al. 2014): update_gate near 1 keeps the old state, near 0 takes the new candidate;
# - reset_gate near 0: the candidate ignores the old state and listens to today's input only.
#
# Do not expect dramatic switching here: on noisy temperatures the trained gates often stay in a
# narrow band, and the GRU then acts much like a weighted average of the window, which is why
# the linear ridge regression comes so close.

# %% Step 8: look inside the cell, before and after training
trace, keras_gap = cell_views.replay_beside_keras(gru_layer, gate_window)  # Keras's own answer, to compare
window_dates = [words.date(d) for d in dates[gate_position - args.window:gate_position]]
say(f"\n[8] the GRU cell on the {words.count(args.window)} before {words.date(dates[gate_position])} "
    f"(NumPy replay; last hidden state differs from Keras by {keras_gap:.1e})")
print(cell_views.gate_tables(trace, ("update_gate", "reset_gate"), window_dates, words, 14))
# What training changed: each gate, averaged over the window and every unit, before and after.
changes = {gate: float(np.abs(trace[gate] - trace_before[gate]).mean())
           for gate in ("update_gate", "reset_gate")}
for gate, change in changes.items():
    print(f"{gate}: mean {trace_before[gate].mean():.3f} before training, {trace[gate].mean():.3f} after "
          f"(mean change per unit and {words.step} {change:.3f})")
moved = max(changes, key=changes.get)
if changes[moved] < 0.05:
    say(f"The gates barely moved in training (at most {changes[moved]:.3f} on average per unit and "
        f"{words.step}): they still sit near their starting values "
        "(Keras starts a GRU's biases at 0, so its gates start near sigmoid(0) = 0.5).")
else:
    meaning = ("keep their state (near 1) or take the candidate (near 0)" if moved == "update_gate"
               else "let the old state into the candidate (near 1) or ignore it (near 0)")
    say(f"Training moved the {moved} most ({changes[moved]:.3f} on average per unit and {words.step}): "
        f"the after - before panels of gates.png show which units learnt to {meaning}.")
cell_views.save_gates_before_after("GRU", trace, trace_before, window_dates, words,
                                     out_dir / "gates.png", show)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
say("\n" + verdict)
