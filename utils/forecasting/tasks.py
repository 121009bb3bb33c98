"""The forecasting tasks of Cases 17-2 and 17-3, on their rolling origins, for a script that compares cells.

Each task function runs the same steps as its case (load, fill gaps, fix the test period, cut the
validation period into forecast origins) and scores the case's references at those origins and on
the test period. Its `run_cell` then runs the case's own protocol with the plain network built from
another cell ("SimpleRNN", "LSTM" or "GRU"):

- milk (Case 17-2, utils/forecasting/rolling_choice.py): the plain network with target "seasonal"
  and with "seasonal-diff", each trained for a fixed number of epochs at each origin; the target and
  the epoch count with the lowest mean validation RMSE over the origins; refit or not, decided at the
  origins; then the test forecasts;
- temperatures (Case 17-3, utils/forecasting/ridge_correction.py): the plain network on the case's
  target, the same way.

Only the plain network runs here, not the cases' corrections: Case 17-5 asks how the cells compare
as the course's forecaster. Nothing in a task's choices reads the test period; a test forecast of a
step uses only the values before it.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from utils.forecasting import baselines, metrics, rolling_origin, timeline
from utils.forecasting import ridge_correction as rc
from utils.forecasting.settings import MILK, TEMPERATURE
from utils.loading.calendar import fill_gaps
from utils.loading.series import load_series
from utils.plumbing.paths import data_file
from utils.recurrent import parameters

N_ORIGINS = 2  # as both cases


class CellRun(NamedTuple):
    """One cell on one task, chosen and trained by the task's case protocol."""

    choice: str  # what the origins chose besides the epoch count ("target seasonal"; "" when nothing)
    epochs: int  # the epoch count chosen on the mean over the origins
    refit: bool  # whether the final network was refitted on every step before the test
    val_rmse: float  # its mean validation RMSE over the origins (what chose it, so optimistic)
    forecasts: np.ndarray  # its forecasts of the test steps (task.test_steps), real units
    fit_seconds: float  # the protocol's time: every origin's fit and the final fit
    epoch_seconds: list  # per network built, the seconds of each epoch it trained (the first traces)
    params: int  # the whole model's parameters (recurrent layer and Dense head)


@dataclass
class ForecastTask:
    """A case's series, its origins and references, and the settings its plain network trains with."""

    name: str
    unit: str
    values: np.ndarray  # the whole series, real units (a missing date filled from the past)
    dates: pd.DatetimeIndex
    first_test: int  # the first step of the test period
    season: int
    target: str  # the plain network's target (milk: chosen at the origins among `targets`)
    origins: list  # rolling_origin.Origin, all before the test
    unscored_steps: np.ndarray  # filled dates: never a training target, never a score
    test_steps: np.ndarray  # the test steps that are scored (the filled ones left out)
    settings: dict  # window, units, learning_rate, batch_size, epochs (per origin), as the case trains
    baselines: dict = field(default_factory=dict)  # reference name -> forecasts of the test steps
    baseline_validation_rmse: dict = field(default_factory=dict)  # name -> mean over the origins
    baseline_params: dict = field(default_factory=dict)  # name -> fitted parameters (absent: none)
    choices: dict = field(default_factory=dict)  # "best_baseline": the simple baseline chosen on validation
    targets: tuple = ()  # the milk's target candidates (the origins choose)
    day_features: np.ndarray = None  # temperatures: the day of the year as sin and cos, per step

    @property
    def actual(self):
        return self.values[self.test_steps]

    @property
    def test_dates(self):
        return self.dates[self.test_steps]

    @property
    def n_features(self):
        """Inputs per step: the transformed value, and the day of the year where the task has it."""
        return 1 + (0 if self.day_features is None else self.day_features.shape[1])

    def params(self, cell):
        """The whole model's parameters: the recurrent layer (utils/recurrent/parameters.py) and Dense(1)."""
        units = self.settings["units"]
        return parameters.recurrent_param_count(cell, units, self.n_features) + units + 1

    def training_windows(self, target=None):
        """(X, y): the scaled windows and targets a plain network trains on at the first origin, prepared as
        the case prepares them (the milk's `target` defaults to its first candidate, "seasonal")."""
        end, s = self.origins[0].origin, self.settings
        if self.name == "milk":
            from utils.forecasting import candidates as prep

            data = prep.prepare_plain(self.values, end, target or self.targets[0], self.season, s["window"])
        else:
            data = rc.prepare_daily(self.values, self.day_features, end, target or self.target, self.season,
                                    s["window"], self.unscored_steps)
        rows = data.training_rows()
        rows = rows[~np.isin(data.positions[rows], self.unscored_steps)]
        return data.X[rows], data.y[rows]

    def run_cell(self, cell, seed, epochs=None):
        """The case's protocol with a plain `cell` network; `epochs` per origin (default: the case's)."""
        epochs = epochs or self.settings["epochs"]
        s = self.settings
        if self.name == "milk":
            from utils.forecasting import rolling_choice

            candidates = [rolling_choice.Candidate(f"{cell}, target {t}", "plain", t, s["window"], s["units"],
                                                   s["learning_rate"], s["batch_size"], epochs, cell)
                          for t in self.targets]
            result = rolling_choice.run(self.values, self.first_test, self.season, seed,
                                        candidates=candidates, n_origins=N_ORIGINS, unit=self.unit,
                                        unscored_steps=self.unscored_steps, references=())
            chosen = next(c for c in candidates if c.name == result.pick)
            forecasts = result.forecasts[np.isin(result.test_steps, self.test_steps)]
            return CellRun(f"target {chosen.target}", result.epochs, result.refit,
                           result.scores[result.pick].best_score, forecasts, result.seconds,
                           result.epoch_seconds, self.params(cell))
        candidate = rc.Candidate(cell, rc.PLAIN, s["window"], s["units"], s["learning_rate"], s["batch_size"],
                                 epochs, cell)
        result = rc.run(self.values, self.day_features, self.first_test, self.origins, self.target,
                        self.season, seed, [candidate], self.unscored_steps, self.unit)
        return CellRun("", result.epochs, result.refit, result.scores[cell].best_score,
                       result.forecasts[cell], result.seconds, result.epoch_seconds, self.params(cell))


def _at_origins(values, origins, forecast_of, unscored):
    """A reference's mean validation RMSE over the origins; `forecast_of(origin, steps)` forecasts them."""
    rmses = []
    for origin in origins:
        steps = origin.validation[~np.isin(origin.validation, unscored)]
        rmses.append(metrics.rmse(values[steps], forecast_of(origin.origin, steps)))
    return float(np.mean(rmses))


def milk_task(csv=None, date_col=MILK.date_col, value_col=MILK.value_col, season=12, **settings):
    """Case 17-2's task: monthly milk production, as the case prepares it.

    The last 32 months are the test period; the two seasons before it the two origins' validation
    blocks. The references (SARIMA and the simple baselines) are scored at the origins (each fitted
    before its origin) and on the test period (SARIMA fitted on every step before the test).
    `settings` override the case's window, units, learning_rate, batch_size and epochs (per origin).
    `csv` (default: the shipped data) lets a test use another monthly series.
    """
    from utils.forecasting import candidates as prep
    from utils.forecasting import rolling_choice, sarima

    series, filled = fill_gaps(load_series(csv or data_file(MILK.csv), date_col, value_col))
    values = series.to_numpy()
    n_test = timeline.fixed_test_size(len(values), course_window=12)
    first_test = len(values) - n_test
    origins = rolling_origin.rolling_origins(first_test, season, N_ORIGINS, min_train=2 * season + 2)
    unscored = np.flatnonzero(series.index.isin(filled))
    test_steps = np.arange(first_test, len(values))
    test_steps = test_steps[~np.isin(test_steps, unscored)]
    plain = next(c for c in rolling_choice.default_candidates() if c.kind == "plain")
    names = {"naive": "naive (last month)", "seasonal_naive": "seasonal naive (a year ago)",
             "seasonal_naive_plus_last_change": "seasonal naive + last change",
             "sarima": "SARIMA(0,1,1)(0,1,1,12)"}
    validation, test, params = {}, {}, {}
    for key in prep.REFERENCES:  # each fitted before its origin; the forecast of a step uses earlier values
        at_origins = [prep.reference_one_step(values, o.origin, season, key)[0] for o in origins]
        if any(f is None or not np.isfinite(f[o.validation]).all() for f, o in zip(at_origins, origins)):
            continue  # as Case 17-2: a reference that cannot forecast every origin's block is none
        by_origin = dict(zip((o.origin for o in origins), at_origins))
        validation[names[key]] = _at_origins(values, origins, lambda end, steps, f=by_origin: f[end][steps],
                                             unscored)
        if key != "sarima":
            test[names[key]] = prep.reference_one_step(values, first_test, season, key)[0][test_steps]
    if names["sarima"] in validation:
        fitted = sarima.one_step_forecasts(values, first_test, season)  # as Case 17-2's test row
        if fitted["forecasts"] is None:
            del validation[names["sarima"]]
        else:
            test[names["sarima"]] = fitted["forecasts"][test_steps - first_test]
            params[names["sarima"]] = len(fitted["params"])
    simple = {n: v for n, v in validation.items() if n != names["sarima"]}
    return ForecastTask(
        name="milk", unit=MILK.unit, values=values, dates=series.index, first_test=first_test, season=season,
        target="", origins=origins, unscored_steps=unscored, test_steps=test_steps,
        settings={"window": plain.window, "units": plain.units, "learning_rate": plain.learning_rate,
                  "batch_size": plain.batch_size, "epochs": plain.max_epochs} | settings,
        baselines=test, baseline_validation_rmse=validation, baseline_params=params,
        choices={"best_baseline": min(simple, key=simple.get)}, targets=("seasonal", "seasonal-diff"),
    )


def temperature_task(csv=None, date_col=TEMPERATURE.date_col, value_col=TEMPERATURE.value_col,
                     target=TEMPERATURE.target, season=None, **settings):
    """Case 17-3's task: tomorrow's minimum temperature, as the case prepares the shipped data.

    The last 20 % of the days are the test period (731 of 3652), the whole years before it the
    validation period (364 days here: two origins of 182). The references: the simple baselines and
    the ridge regression on the plain network's inputs (its alpha chosen on the block before each
    origin, then refitted before it; before the test, the same). `season`: default the calendar's
    (365 for days); `settings` override the case's window, units, learning_rate, batch_size and
    epochs. `csv` (default: the shipped data) lets a test run the same steps on another daily series.
    """
    from utils.forecasting.features import day_of_year_features
    from utils.loading.step_words import describe_steps

    series, filled = fill_gaps(load_series(csv or data_file(TEMPERATURE.csv), date_col, value_col))
    values = series.to_numpy()
    calendar_season = describe_steps(series.index).season
    season = season or calendar_season
    n_test = timeline.fixed_test_size(len(values))
    first_test = len(values) - n_test
    n_validation = timeline.validation_size(first_test, calendar_season)
    n_validation -= n_validation % N_ORIGINS  # blocks of equal length
    origins = rolling_origin.rolling_origins(first_test, n_validation // N_ORIGINS, N_ORIGINS)
    unscored = np.flatnonzero(series.index.isin(filled))
    test_steps = rc.scored_steps(np.arange(first_test, len(values)), unscored)
    settings = {"window": TEMPERATURE.window, "units": TEMPERATURE.units,
                "learning_rate": TEMPERATURE.learning_rate, "batch_size": TEMPERATURE.batch_size,
                "epochs": TEMPERATURE.max_epochs} | settings

    def simple_baselines(steps):
        return {
            "persistence": baselines.naive(values, steps),
            "mean of the last 7 days": baselines.moving_average(values, steps, 7),
            "same day last year": baselines.seasonal_naive(values, steps, season),
        }

    validation = {name: _at_origins(values, origins,
                                    lambda end, steps, name=name: simple_baselines(steps)[name], unscored)
                  for name in simple_baselines(test_steps[:0])}
    day_features = day_of_year_features(series.index)
    ridge_rmse, _ = rc.ridge_validation(values, day_features, origins, target, season, settings["window"],
                                        unscored)
    at_test = rc.prepare_at(values, day_features, first_test, target, season, settings["window"],
                            n_validation // N_ORIGINS, unscored)
    return ForecastTask(
        name="temperatures", unit=TEMPERATURE.unit, values=values, dates=series.index, first_test=first_test,
        season=season, target=target, origins=origins, unscored_steps=unscored, test_steps=test_steps,
        settings=settings,
        baselines=simple_baselines(test_steps)
        | {"ridge (same inputs)": at_test.ridge_forecasts[at_test.daily.rows(test_steps)]},
        baseline_validation_rmse=validation | {"ridge (same inputs)": ridge_rmse},
        # one weight per number in a flattened window, plus the intercept
        baseline_params={"ridge (same inputs)": settings["window"] * 3 + 1},
        choices={"best_baseline": min(validation, key=validation.get)}, day_features=day_features,
    )
