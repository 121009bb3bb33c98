"""Case 17-3: Gated Recurrent Unit (GRU): forecast Melbourne's daily minimum temperature.

The data: the lowest temperature of every day in Melbourne, Australia, from 1981 to 1990
(3650 rows; 31 December 1984 and 1988 are missing). It has a strong yearly cycle
(warm nights in January, cold ones in July) and a lot of day-to-day noise.
The question: given the last week, how cold will tomorrow night be?

Two models answer it: the course's plain GRU, and the GRU as a learnt correction to a ridge
regression (a linear model on the same inputs). Validation at several forecast origins picks one.

What this case teaches, step by step:
  1. load the data, repair the two missing days, and look at its cycles: the calendar says a daily
     series could repeat weekly or yearly, the training period says which cycles are there;
  2. split time into training, validation and test periods, and cut the validation period into
     two forecast origins (rolling-origin validation); decide what the GRU predicts (and, when
     both a weekly and a yearly cycle are there, the season) with the ridge on those origins;
     scale on the steps before each origin only, and add the day of the year as extra inputs;
  3. cut 7-day windows, each labelled with the day it predicts;
  4. build a small GRU and count its parameters;
  5. train both candidates at both origins for a fixed number of epochs, choose the candidate and
     its epoch count on the mean validation score over the origins, decide whether to refit; choose
     the simple baseline to beat and the reference (that baseline or the ridge) on the origins too;
     then score the test period once, and ask a Diebold-Mariano test whether the pick's gap to the
     reference is more than chance;
  6. plot the validation score per epoch and the forecasts;
  7. predict the day after the data ends, as the course does;
  8. look inside the GRU cell, before and after training: its update and reset gates on every
     day of one window.

Every choice (the defaults below, the season, the target, the epochs, the candidate, the ridge
penalty, the baseline to beat, the reference) is made before the test period; the test period is
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
    rolling_origin,
    scoring,
    seasonality,
    timeline,
    training,
    transforms,
    windows,
)
from utils.forecasting import ridge_correction as rc
from utils.forecasting.epoch_snapshots import gru_forecast
from utils.forecasting.features import day_of_year_features
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
from utils.recurrent import parameters
from utils.showing import cell_views, plotting, series_views, tables
from utils.showing.trace import say

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-3-gru"
run_started = time.perf_counter()
TEMPERATURE_CSV = paths.data_file(TEMPERATURE.csv)
# The target on the shipped data was chosen on validation by benchmarks/choose_gru.py; the GRU's
# size, learning rate and epochs on the shipped data's rolling origins
# (utils/forecasting/ridge_correction.py).
DEFAULT_TARGET_SHIPPED_DATA = TEMPERATURE.target
TARGETS = ("raw", "diff", "seasonal")  # see Step 2
N_ORIGINS = 2  # forecast origins before the test; the validation period is cut into this many blocks
PLAIN, CORRECTION, RIDGE = "GRU", "ridge + GRU correction", "ridge (same inputs)"

parser = cli.new_parser("Case 17-3: a GRU forecasts tomorrow's value of a daily series "
                        "(by default, Melbourne's minimum temperature), alone and as a correction to a "
                        "ridge regression. No early stopping: the epoch count is chosen on the rolling "
                        "origins, so this case has no --patience.")
cli.add_series_flags(parser, csv=TEMPERATURE_CSV, date_col=TEMPERATURE.date_col,
                     value_col=TEMPERATURE.value_col, window=rc.WINDOW)
cli.add_training_flags(parser, epochs=rc.MAX_EPOCHS, units=rc.UNITS,
                       epochs_help="epochs every candidate trains at each forecast origin; the epoch count "
                                   "with the best mean validation score over the origins is kept")
parser.add_argument("--target", choices=(*TARGETS, "auto"), default=None,
                    help="what the GRU predicts; 'auto' picks it on the rolling origins with the ridge "
                         f"(default: {DEFAULT_TARGET_SHIPPED_DATA} on the shipped data, auto with --csv)")
parser.add_argument("--season", type=cli.positive_int, default=None,
                    help="length of the cycle in steps (default: for days, the cycle the training "
                         "period shows, 7 or 365, chosen on the rolling origins when both are there; "
                         "for business days 5)")
cli.add_fitting_flags(parser, learning_rate=rc.LEARNING_RATE, batch_size=rc.BATCH_SIZE, patience=None)
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
season_candidates = [season]  # more than one only when both a weekly and a yearly cycle are there
if args.season is not None:
    season, season_from = args.season, "--season"
    reason = f"--season {args.season}: the flag wins over the calendar and the data"
elif not cycles:
    season_from, reason = "calendar", calendar_words.note
elif season in present and len(present) > 1:  # a weekly and a yearly cycle: validation decides (Step 2)
    season_candidates = [season, *(lag for lag in present if lag != season)]
    season_from = "validation"
    reason = ("the data show " + " and ".join(f"a {lag}-{calendar_words.step} cycle" for lag in present)
              + ": the rolling origins choose between them in Step 2")
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
# **Step 2: three periods in time order, and two forecast origins.**
# - *training*: the steps before the first origin;
# - *validation*: the stretch just before the test, cut into two blocks. At each forecast origin
#   every candidate is prepared and trained on the steps before it only (its scalers, the ridge,
#   the GRU's weights), then scored on the next block (rolling-origin validation, as in Hyndman &
#   Athanasopoulos, *Forecasting: Principles and Practice*). EVERY choice uses the MEAN score over
#   the origins: the target with 'auto', the season when two cycles are there, the epoch count,
#   the candidate, whether to refit, the ridge's penalty (on the block before each origin), the
#   baseline to beat and the reference;
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
# 'auto' (the default with --csv) scores each on the origins with the ridge regression (far
# cheaper than a GRU per candidate) and keeps the best: a trend, for example, is easier to follow
# as changes than as values the scaler has never seen. When the training period shows both a
# weekly and a yearly cycle, the season is chosen the same way, together with the target.
#
# **Two models.** First the course's question, a plain GRU. Then the GRU as a *correction to the
# ridge*, in the spirit of Smyl's ES-RNN (the M4 competition's winner, 2018, an LSTM on top of
# exponential smoothing): the ridge makes its one-step forecast, and the GRU predicts the ridge's
# error from windows of its past errors and of the plain inputs. Its Dense head starts at zero, so
# before training it predicts exactly 0: "epoch 0" of this candidate IS the ridge, and it moves away
# from the ridge only when training helps at the origins (utils/forecasting/ridge_correction.py).

# %% Step 2: three periods, the forecast origins, the season and the target
n_validation = timeline.validation_size(len(values) - n_test, max(season_candidates))  # whole years here
n_validation -= n_validation % N_ORIGINS  # blocks of equal length
periods = timeline.three_periods(len(values), n_test, n_validation)
print("\n[2] three periods, in time order:")
print(tables.describe_periods(periods, dates, words,
                              training_use="the first origin trains here, the second on more"))
block = n_validation // N_ORIGINS
origins = rolling_origin.rolling_origins(periods.first_test, block, N_ORIGINS, steps=words.steps)
print(f"rolling origins: {len(origins)}, each validated on the next {words.count(block)}:")
for origin in origins:
    print(f"  origin {origin.origin}: trains on {words.date(dates[0])} .. "
          f"{words.date(dates[origin.origin - 1])} ({words.count(origin.origin)}), "
          f"validated on {words.date(dates[origin.validation[0]])} .. "
          f"{words.date(dates[origin.validation[-1]])}")
# "The same day last year" needs a season of history before the first day it forecasts.
season_candidates = [s for s in season_candidates if s <= periods.first_validation] or [season]
if periods.first_validation < min(season_candidates):
    raise BadInputError(
        f"the series has {words.count(len(values))}, which leaves {words.count(periods.first_validation)} "
        f"of training before the validation period, but the '{words.same_step_last_season}' baseline needs "
        f"{words.count(season)} there; use a longer series or a shorter --season"
    )
windows.check_window_fits(args.window, periods, steps=words.steps)  # one clear line if too few windows
filled_steps = np.flatnonzero(dates.isin(filled_dates))  # a filled day is no measurement: never a target
season_features = day_of_year_features(dates)  # shape (days, 2): sin, cos
target = args.target or ("auto" if not shipped_data else DEFAULT_TARGET_SHIPPED_DATA)


def feasible(target_name, cycle):
    """Enough windows of this target (a seasonal change needs a season first) before the block that
    chooses the ridge's alpha at the first origin: 12 at least."""
    return transforms.first_defined(target_name, cycle)[1] + args.window + 12 <= origins[0].origin - block


pairs = [(t, s) for s in season_candidates for t in (TARGETS if target == "auto" else (target,))
         if feasible(t, s)]
candidate_scores, pair_scores = {}, {}
if len(pairs) > 1:
    print(f"the ridge on each candidate's inputs, mean validation RMSE over the origins ({unit}):")
    for pair_target, pair_season in pairs:
        pair_scores[pair_target, pair_season] = rc.ridge_validation(
            values, season_features, origins, pair_target, pair_season, args.window, filled_steps)[0]
        print(f"  target {pair_target:<9} season {calendar_words.count(pair_season):<9} "
              f"{pair_scores[pair_target, pair_season]:8.3f}")
    # the lowest mean; on a tie the first (the calendar's season, the simpler target)
    best_target, best_season = min(pair_scores, key=lambda pair: round(pair_scores[pair], 9))
    candidate_scores = {t: min(v for (pt, _), v in pair_scores.items() if pt == t) for t, _ in pairs}
    if target == "auto":
        print(f"target {best_target!r} (auto): the lowest mean validation RMSE")
    target = best_target
    if len(season_candidates) > 1:
        season = best_season
        say(f"Season: {calendar_words.count(season)}, the lower mean validation RMSE of the ridge (above)"
            + (" (the two seasons tie for this target: the calendar's is kept)"
               if len({round(pair_scores[target, s], 9) for s in season_candidates if (target, s) in
                       pair_scores}) == 1 else ""))
elif args.target is None:
    print(f"target {target!r}: the shipped data's default, chosen on validation by benchmarks/choose_gru.py")
else:
    print(f"target {target!r} (--target)")
words = calendar_words.with_season(season)
# Every cycle found gets its own seasonal-naive forecast beside the season's (Step 5), so that a
# weekly pattern is measured against "the same weekday last week" even when the season is a year.
other_cycles = [lag for lag in present if lag != season]
cycle_words = {lag: calendar_words.with_season(lag).same_step_last_season for lag in other_cycles}
if other_cycles:
    print("also offered as a simple baseline, for the other cycle(s) found: "
          + ", ".join(cycle_words.values()))
first_input, first_target = transforms.first_defined(target, season)
windows.check_window_fits(args.window, periods, first_input, first_target, steps=words.steps)

# One plain candidate prepared at the first origin, to see what its scalers do.
first_daily = rc.prepare_daily(values, season_features, origins[0].origin, target, season, args.window,
                               filled_steps)
value_words = {"raw": "value", "diff": f"change from the {words.step} before",
               "seasonal": f"change from {words.season_ago}"}[target]
FEATURES = [f"{value_words} (scaled)", "day-of-year sin", "day-of-year cos"]
low, high = first_daily.info["input_range"]
say(f"input scaler:  {low:.2f} .. {high:.2f} {unit}  ->  -1 .. 1 "
    f"(fitted on the steps before origin {origins[0].origin} only)")
low, high = first_daily.info["target_range"]
say(f"target scaler: {low:.2f} .. {high:.2f} {unit}  ->  -1 .. 1")
say(f"inputs per {words.step}: {first_daily.X.shape[2]} features ({', '.join(FEATURES)})")

# %% Step 3: cut windows
# Sample i is the `window` days before day t (all three features), its label the target on
# day t. The windows cover the whole series; at an origin only the samples whose day lies before
# it train. A window may reach back into the period before, as a real forecast would.
X, train_rows = first_daily.X, first_daily.training_rows()
if filled_dates:  # a filled day is no measurement: no sample predicts it, so no score counts it
    say(f"Note: the {len(filled_dates)} filled date(s) are left out of every target and score")
say(f"\n[3] X {X.shape} = (samples, window, features);  y {first_daily.y.shape}  (target {target!r}); "
    f"{len(train_rows)} samples train at origin {origins[0].origin}, never shuffled across periods")
first = int(first_daily.positions[0])
print(f"one window, the {words.count(args.window)} before {words.date(dates[first])}, "
      "before and after scaling:")
real_inputs, real_targets = transforms.inputs_and_targets(values, target, season)  # before scaling
sample = pd.DataFrame(
    {f"{value_words} ({unit})": real_inputs[first - args.window:first], "scaled": X[0, :, 0],
     "sin": X[0, :, 1], "cos": X[0, :, 2]},
    index=pd.Index([words.date(d) for d in dates[first - args.window:first]], name="date"),
)
print(sample.round(3).to_string())
print(f"  target ({words.date(dates[first])}): {real_targets[first]:.2f} {unit}, "
      f"{first_daily.y[0]:.3f} scaled")
say(f"the {CORRECTION}'s windows have 4 features per {words.step}: the ridge's past errors (divided by "
    "their root mean square before the origin) and the 3 above")

# %% Step 4: build the GRU
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the data above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# One GRU layer reads the window day by day; a Dense layer turns its last hidden state into one
# number. The course stacks 2 x GRU(50) on 100-day windows; this size was chosen on the origins.
model, gru_layer = training.one_layer_forecaster("GRU", args.window, X.shape[2], args.units)
model.summary()
# 3 blocks (update gate z, reset gate r, candidate h), each with input weights, recurrent weights
# and, with Keras's default reset_after=True, two bias vectors; an LSTM has 4 blocks, one bias each.
say("GRU parameters, by the formula 3 blocks x (units x (units + features) + 2 x units):")
print("  " + parameters.param_formula("GRU", args.units, X.shape[2]),
      f"(Keras counts {gru_layer.count_params()})")
print(f"  the {CORRECTION}: " + parameters.param_formula("GRU", args.units, X.shape[2] + 1)
      + " (4 features), and its Dense head starts at 0")

# %% [markdown]
# **Step 5.** Mean squared error is the loss; the scores are RMSE and MAE in real units. A
# forecast has no "accuracy": it is never exactly right, only more or less wrong.
# At each origin both candidates train for --epochs epochs, and their weights after every epoch
# are kept (utils/forecasting/epoch_snapshots.py): the validation RMSE after 1, 2, 3, ... epochs
# costs a NumPy forward pass, not a new fit. A plain GRU's epoch 0 is an untrained network, never a
# choice; the correction's epoch 0 is the ridge. The rule between the two candidates is fixed
# before looking: the correction (which can fall back to the ridge) is kept unless the plain GRU
# is clearly better (lower mean RMSE and a Diebold-Mariano p < 0.05 on the origins' errors).
# On TensorFlow each epoch runs as one compiled graph (the same mini-batch Adam as Keras's fit, without
# fit's set-up at every call; other backends use fit itself), and few epochs keep the fits fast.
#
# The ridge regression (least squares with a penalty alpha on large weights) reads exactly the
# same inputs, each window flattened to window x 3 numbers; at each origin its alpha is chosen on
# the block before that origin, with a ridge fitted on the steps before that block, then refitted on
# every step before the origin (utils/forecasting/ridge_correction.py). The GRU must beat it to
# earn its complexity.

# %% Step 5: choose on the rolling origins, then score the test period once
print(f"\n[5] rolling-origin choice: 2 candidates x {len(origins)} origins, {args.epochs} epochs each "
      f"(batch size {args.batch_size})")
candidates = [rc.Candidate(PLAIN, rc.PLAIN, args.window, args.units, args.learning_rate, args.batch_size,
                           args.epochs),
              rc.Candidate(CORRECTION, rc.CORRECTION, args.window, args.units, args.learning_rate,
                           args.batch_size, args.epochs)]
protocol = rc.run(values, season_features, periods.first_test, origins, target, season, args.seed,
                  candidates, filled_steps, unit)
say("\n".join(protocol.trace))
pick = protocol.pick
ridge = protocol.test_ridge
say(f"ridge regression before the test: alpha {ridge.alpha:g}, the lowest error on the last "
    f"{words.count(block)} before the test of {len(ridge.validation_mse)} tried "
    f"({min(ridge.validation_mse.values()):g} .. {max(ridge.validation_mse.values()):g}, scaled units); "
    f"at the origins: {', '.join(f'{a:g}' for a in protocol.ridge_alphas)}")
print(f"fitting took {protocol.seconds:.1f} s (every origin and the pick's final fit)")


def simple_baselines(period_positions):
    """Every simple baseline's forecasts of some days, in real units (each uses only earlier days)."""
    return {
        f"persistence ({words.last_step})": baselines.naive(values, period_positions),
        f"mean of the last 7 {words.steps}": baselines.moving_average(values, period_positions, 7),
        f"{words.same_step_last_season}": baselines.seasonal_naive(values, period_positions, season),
    } | seasonality.seasonal_naive_baselines(values, period_positions, other_cycles, cycle_words)


# The references, scored on the same origins' blocks; which one to beat is itself a choice.
validation_rmse = {}
for origin in origins:
    steps = rc.scored_steps(origin.validation, filled_steps)
    for name, baseline in simple_baselines(steps).items():
        validation_rmse.setdefault(name, []).append(metrics.rmse(values[steps], baseline))
validation_rmse = {name: float(np.mean(rmses)) for name, rmses in validation_rmse.items()}
best_baseline = min(validation_rmse, key=validation_rmse.get)
validation_rmse[RIDGE] = float(np.mean(protocol.ridge_rmse))
# The reference the pick must beat is the best of ALL references, itself chosen on validation: the
# simple baseline to beat or the ridge, whichever forecast the origins better (on a tie, the simpler).
reference, other = sorted((best_baseline, RIDGE), key=lambda name: validation_rmse[name])
for candidate in candidates:
    validation_rmse[candidate.name] = protocol.scores[candidate.name].best_score
print(f"validation, mean RMSE over the origins ({unit}; used for choosing, "
      "so the GRUs' rows are optimistic):")
print(tables.ranked_scores(validation_rmse))
print(f"the best simple baseline on validation: {best_baseline}")
say(f"the reference to beat, chosen on validation: {reference} (validation RMSE "
    f"{validation_rmse[reference]:.3f}, against {validation_rmse[other]:.3f} for {other})")

# The test period, scored once.
test_positions = protocol.test_steps
actual = values[test_positions]
forecasts = {pick: protocol.forecasts[pick]}
forecasts |= {c.name: protocol.forecasts[c.name] for c in candidates if c.name != pick}
forecasts |= simple_baselines(test_positions) | {RIDGE: protocol.forecasts["ridge"]}
predicted = forecasts[pick]
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
    """The pick against another forecast on the test days: (Diebold–Mariano result, verdict, % RMSE gap)."""
    result = diebold_mariano.dm_test(actual - predicted, actual - forecasts[other])
    gap = 100 * (scores[other]["rmse"] - scores[pick]["rmse"]) / scores[other]["rmse"]
    outcome = ("no clear difference" if result.p_value >= diebold_mariano.ALPHA
               else "better" if gap > 0 else "worse")
    return result, outcome, gap


def described(name):
    rmse = f"RMSE {scores[name]['rmse']:.3f}"
    return (f"the ridge regression (alpha {ridge.alpha:g} chosen before the test, {rmse})" if name == RIDGE
            else f"the best simple baseline chosen on validation ({name}, {rmse})")


dm, outcome, gap = against(reference)
lower = f"{abs(gap):.1f} % {'lower' if gap > 0 else 'higher'}"
evidence = f"Diebold–Mariano p = {dm.p_value:.3f} on {dm.n} one-step errors"
opening = {"better": "is more accurate than", "worse": "is less accurate than",
           "no clear difference": "shows no clear difference from"}[outcome]
verdict = (f"On the test period the pick ({pick}) {opening} the best reference chosen on validation, "
           f"{described(reference)}: its RMSE {scores[pick]['rmse']:.3f} {unit} is {lower}, and "
           + (f"the test cannot tell the two apart ({evidence} >= {diebold_mariano.ALPHA})."
              if outcome == "no clear difference" else f"the test tells them apart ({evidence})."))
other_dm, _, other_gap = against(other)
verdict += (f" Against {described(other)} its RMSE is {abs(other_gap):.1f} % "
            f"{'lower' if other_gap > 0 else 'higher'} (p = {other_dm.p_value:.3f}).")

# The pick as a Keras model: saved, and looked inside in Step 8.
pick_data, pick_initial, pick_weights, pick_epochs = protocol.finals[pick]
pick_model, pick_layer = training.one_layer_forecaster("GRU", args.window, pick_data.X.shape[2], args.units)
pick_model.set_weights(pick_weights)
pick_model.save(out_dir / "model.keras")
scoring.save_predictions(out_dir / "predictions.csv", test_dates, actual, forecasts)
baseline_keys = dict(zip(simple_baselines(test_positions[:0]),
                         ("persistence", "mean_last_7", "seasonal_naive",
                          *(f"seasonal_naive_{lag}" for lag in other_cycles))))
references = baseline_keys | {RIDGE: "ridge"}
choices = {"target": target, "target_candidates_validation_rmse": candidate_scores,
           "ridge_alpha": ridge.alpha, "best_epoch": protocol.epochs,
           "best_baseline": baseline_keys[best_baseline], "reference": references[reference],
           "season_from": season_from, "pick_rule_p_value": protocol.pick_p_value,
           "cycles_autocorrelation": {str(item.lag): None if np.isnan(item.autocorrelation)
                                      else item.autocorrelation for item in cycles}}
if len(season_candidates) > 1:
    choices["season_candidates_validation_rmse"] = {str(s): pair_scores[target, s] for s in season_candidates
                                                    if (target, s) in pair_scores}
metrics.write_metrics(out_dir / "metrics.json", case_metrics.forecast_payload(
    model=pick, scores=scores, validation_scores={name: {"rmse": r} for name, r in validation_rmse.items()},
    best_baseline=best_baseline, baseline_keys=baseline_keys, other_keys={RIDGE: "ridge"}, choices=choices,
    reference=case_metrics.reference_entry(reference, references[reference], scores[reference]["rmse"], dm,
                                           outcome),
    weights_sha256=rc.weights_sha256(pick_weights) if pick_epochs > 0 else "",
    unit=unit, step=words.step, season=season,
    target=target, periods=periods, test_points=len(actual), test_first_date=test_dates[0],
    fit_seconds=protocol.seconds, params=pick_model.count_params(), seed=args.seed, window=args.window,
    epochs=args.epochs, units=args.units, learning_rate=args.learning_rate, batch_size=args.batch_size,
    backend=backend_name(), pick=pick, refit=protocol.refit,
    candidates={c.name: {"validation_rmse": protocol.scores[c.name].best_score,
                         "test_rmse": scores[c.name]["rmse"], "epochs": protocol.scores[c.name].best,
                         "weights_sha256": rc.weights_sha256(protocol.finals[c.name][2])}
                for c in candidates},
))

# %% Step 6: visualize (in real units, not in scaled units)
show = not args.no_show
plotting.save_figure(
    plotting.plot_validation_per_epoch(
        {name: result.mean for name, result in protocol.scores.items()},
        {name: result.best for name, result in protocol.scores.items()}, unit,
        "Validation RMSE per epoch, mean over the rolling origins",
        [(f"{name} (validation)", validation_rmse[name])
         for name in dict.fromkeys((best_baseline, reference))],
        epoch0_labels={CORRECTION: "= ridge"}),
    out_dir / "validation.png", show,
)
# The test period drawn whole blurs its hundreds of days together: show its last 120.
shown = min(120, len(actual))
plotting.save_figure(
    plotting.plot_period(
        dates[test_positions][-shown:], actual[-shown:],
        {f"pick: {pick} (RMSE {scores[pick]['rmse']:.2f} on all test {words.steps})": predicted[-shown:]}
        | {f"{name}{label} (RMSE {scores[name]['rmse']:.2f})": forecasts[name][-shown:]
           for name, label in {RIDGE: ", the reference" if reference == RIDGE else "",
                               best_baseline: ", best baseline on validation"}.items()},
        unit, f"The last {shown} of {words.count(len(actual))} in the test period: "
              f"actual vs next-{words.step} forecast",
    ),
    out_dir / "forecast.png", show,
)
say(f"\n[6] saved series.png (the data and {series_panel}), "
    f"validation.png (each candidate's validation RMSE after every epoch, mean over the origins, the "
    f"chosen epochs marked) and forecast.png (the last {words.count(shown)} of the test period: the pick, "
    f"the ridge and {best_baseline} against the actual values, in {unit})")

# %% Step 7: predict the day after the data ends (the course's "tomorrow")
# There is no true value for the day after yet: a placeholder stands in for it, and its window
# reads only the days before it, all known; the pick's scalers and ridge stay those fitted before
# `pick_data.end`, so this is a real forecast, not a test.
next_date = dates_after(dates, 1)[0]
extended = np.append(values, values[-1])
extended_features = day_of_year_features(dates.append(pd.DatetimeIndex([next_date])))
at_next = rc.prepare_at(extended, extended_features, pick_data.end, target, season, args.window, block,
                        filled_steps)
next_data = at_next.daily if pick == PLAIN else at_next.correction
row = next_data.rows([len(values)])
next_value = float(next_data.levels(gru_forecast(pick_weights, next_data.X[row]), row)[0])
print(f"\n[7] the last {words.step} of the data, {words.date(dates[-1])}: {values[-1]:.1f} {unit}")
print(f"forecast by the pick ({pick}):")
print(f"Predicted {quantity} for {words.date(next_date)}: {next_value:.1f}"
      + (f" {unit}" if shipped_data else ""))

# %% [markdown]
# **Step 8: look inside the cell.** `fit` and `predict` run a compiled TensorFlow graph, so a
# breakpoint never stops inside a gate. (On a CPU Keras 3 runs the GRU as a generic loop over
# time steps inside that graph, here unrolled over the 7 days; the fused cuDNN kernel is used only
# on a GPU: see `cudnn_ok` in keras/src/backend/tensorflow/rnn.py.) utils/recurrent/cells.py
# replays the layer in NumPy with the layer's own weights, one day at a time.
#
# Whose gates: the pick's GRU, on its last test window. When the pick is the ridge itself (the
# correction at epoch 0), its GRU was never trained, so the plain GRU's gates are shown instead.
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
shown_name = pick if pick_epochs > 0 else PLAIN
gate_data, untrained, trained, _ = protocol.finals[shown_name]
gate_layer = pick_layer if shown_name == pick else training.one_layer_forecaster(
    "GRU", args.window, gate_data.X.shape[2], args.units)[1]
gate_position = int(test_positions[-1])
gate_window = gate_data.X[gate_data.rows([gate_position])[0]]
# the same window through the cell with its weights before training, then after (and Keras's answer)
trace_before, trace, keras_gap = cell_views.replay_before_and_after(gate_layer, gate_window, untrained[:3],
                                                                    trained[:3])
window_dates = [words.date(d) for d in dates[gate_position - args.window:gate_position]]
whose = " (the pick)" if shown_name == pick else " (the pick is the ridge itself)"
say(f"\n[8] the GRU cell of {shown_name}{whose} on the {words.count(args.window)} "
    f"before {words.date(dates[gate_position])} "
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
