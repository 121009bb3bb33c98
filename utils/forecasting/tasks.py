"""The forecasting tasks of Cases 17-2 and 17-3, ready to train on, for scripts that compare models.

Each function runs the same steps as its case script (load, fill gaps, transform, fix the test
period, scale on training steps only, cut windows, split in time order) with the same utils
functions, and returns a `ForecastTask`. The case scripts spell those steps out one by one
for the lesson; Case 17-5 needs them ready-made to train several networks on identical data.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pandas as pd

from utils.forecasting import baselines, scaling, timeline, transforms, windows
from utils.forecasting.features import day_of_year_features
from utils.forecasting.settings import MILK, TEMPERATURE, TaskSettings
from utils.loading.calendar import fill_gaps
from utils.loading.series import load_series
from utils.plumbing.paths import data_file


@dataclass
class ForecastTask:
    """Training and test arrays of one forecasting task, and the way back to real units."""

    name: str
    unit: str
    X_train: np.ndarray  # (samples, window, features), scaled
    y_train: np.ndarray  # (samples,), scaled
    X_test: np.ndarray
    test_dates: pd.DatetimeIndex
    actual: np.ndarray  # the test values in real units
    to_real_units: Callable[[np.ndarray], np.ndarray]  # scaled predictions of X_test -> real units
    baselines: dict = field(default_factory=dict)  # name -> forecasts of the test steps, real units
    baseline_params: dict = field(default_factory=dict)  # name -> fitted parameters (absent: none)
    # The validation period (the stretch just before the test period), scaled like the training
    # arrays: for early stopping and every other choice. None for a task that has none.
    X_val: Optional[np.ndarray] = None
    y_val: Optional[np.ndarray] = None
    choices: dict = field(default_factory=dict)  # what was chosen on validation, e.g. {"target": ...}
    val_actual: Optional[np.ndarray] = None  # the validation values in real units
    # scaled predictions of X_val -> real units
    val_to_real_units: Optional[Callable[[np.ndarray], np.ndarray]] = None
    # name -> RMSE on the validation period, real units, for every entry of `baselines` (the ridge too):
    # what a script needs to choose its reference on validation, never on the test
    baseline_validation_rmse: dict = field(default_factory=dict)


def training_settings(task: TaskSettings):
    """The training part of a task's settings, in the order `ForecastTask.choices` lists them."""
    return {"units": task.units, "learning_rate": task.learning_rate, "batch_size": task.batch_size,
            "max_epochs": task.max_epochs, "patience": task.patience}


def milk_task(window=MILK.window, target=MILK.target, season=12, feature_range=MILK.feature_range, csv=None,
              date_col=MILK.date_col, value_col=MILK.value_col):
    """Case 17-2's task, prepared exactly as the case prepares it: monthly milk production.

    Three periods in time order: the last 32 months are the test period (whatever the window),
    the 24 months before them the validation period, the rest training. Scalers are fitted on
    the training months. `choices` carries the case's training settings (early stopping on
    (X_val, y_val) with the best weights restored) and the simple baseline to beat, chosen on
    the validation period; `baselines` holds the test forecasts of every simple baseline.
    `csv` (default: the shipped data) lets a test or a benchmark use another monthly series.
    """
    series, filled = fill_gaps(load_series(csv or data_file(MILK.csv), date_col, value_col))
    values = series.to_numpy()
    n_test = timeline.fixed_test_size(len(values), course_window=12)
    n_validation = timeline.validation_size(len(values) - n_test, season)
    periods = timeline.three_periods(len(values), n_test, n_validation)
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    windows.check_window_fits(window, periods, *transforms.first_defined(target, season))
    input_scaler = scaling.fit_scaler(inputs[periods.training()], feature_range=feature_range)
    target_scaler = scaling.fit_scaler(targets[periods.training()], feature_range=feature_range)
    scaled_inputs, scaled_targets = scaling.scale(input_scaler, inputs), scaling.scale(target_scaler, targets)
    X, y, positions = windows.make_windows(scaled_inputs, scaled_targets, window)
    split = windows.split_three(X, y, positions, periods)
    split = windows.without_steps(split, np.flatnonzero(series.index.isin(filled)))  # as the cases: no score

    def levels(scaled_predictions, period_positions):
        predicted_targets = scaling.unscale(target_scaler, scaled_predictions)
        return transforms.to_levels(predicted_targets, values, period_positions, target, season)

    def simple_baselines(period_positions):  # the same names as the case prints for monthly data
        return {
            "naive (last month)": baselines.naive(values, period_positions),
            "seasonal naive (a year ago)": baselines.seasonal_naive(values, period_positions, season),
            "seasonal naive + last change":
                baselines.seasonal_naive_plus_last_change(values, period_positions, season),
        }

    val_actual = values[split.val_positions]
    validation_rmse = {name: float(np.sqrt(np.mean((val_actual - f) ** 2)))
                       for name, f in simple_baselines(split.val_positions).items()}
    return ForecastTask(
        name="milk", unit=MILK.unit,
        X_train=split.X_train, y_train=split.y_train, X_test=split.X_test,
        test_dates=series.index[split.test_positions], actual=values[split.test_positions],
        to_real_units=lambda scaled_predictions: levels(scaled_predictions, split.test_positions),
        baselines=simple_baselines(split.test_positions),
        X_val=split.X_val, y_val=split.y_val,
        choices={"target": target, **training_settings(MILK),
                 "early_stopping": "val_loss, best weights restored",
                 "best_baseline": min(validation_rmse, key=validation_rmse.get)},
        val_actual=val_actual,
        val_to_real_units=lambda scaled_predictions: levels(scaled_predictions, split.val_positions),
        baseline_validation_rmse=validation_rmse,
    )


def temperature_task(window=TEMPERATURE.window, target=TEMPERATURE.target, csv=None,
                     date_col=TEMPERATURE.date_col, value_col=TEMPERATURE.value_col):
    """Case 17-3's task, prepared exactly as the case prepares it: tomorrow's minimum temperature.

    Three periods in time order: the last 20 % of the days are the test period (731 of 3652,
    whatever the window), the year before them the validation period, the rest training. The
    scalers are fitted on the training days. `choices` carries the case's training settings
    (chosen on validation by benchmarks/choose_gru.py) so that a script comparing cells trains
    as Case 17-3 does: early stopping on (X_val, y_val) with the best weights restored. It also
    names the simple baseline to beat, chosen on the validation period, and `baselines` holds the
    test forecasts of every simple baseline and of the ridge regression (alpha chosen on validation);
    `baseline_validation_rmse` holds the validation score of each, the ridge's included.
    `csv` (default: the shipped data) lets a test run the same steps on another daily series.
    """
    from utils.forecasting.ridge import ridge_on_validation
    from utils.loading.step_words import describe_steps

    series, filled = fill_gaps(load_series(csv or data_file(TEMPERATURE.csv), date_col, value_col))
    values = series.to_numpy()
    season = describe_steps(series.index).season
    n_test = timeline.fixed_test_size(len(values))
    n_validation = timeline.validation_size(len(values) - n_test, season)
    periods = timeline.three_periods(len(values), n_test, n_validation)
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    input_scaler = scaling.fit_scaler(inputs[periods.training()], feature_range=TEMPERATURE.feature_range)
    target_scaler = scaling.fit_scaler(targets[periods.training()], feature_range=TEMPERATURE.feature_range)
    features = np.column_stack([scaling.scale(input_scaler, inputs), day_of_year_features(series.index)])
    X, y, positions = windows.make_windows(features, scaling.scale(target_scaler, targets), window)
    split = windows.split_three(X, y, positions, periods)
    split = windows.without_steps(split, np.flatnonzero(series.index.isin(filled)))  # as the cases: no score

    def levels(scaled_predictions, period_positions):
        predicted_targets = scaling.unscale(target_scaler, scaled_predictions)
        return transforms.to_levels(predicted_targets, values, period_positions, target, season)

    def simple_baselines(period_positions):
        return {
            "persistence": baselines.naive(values, period_positions),
            "mean of the last 7 days": baselines.moving_average(values, period_positions, 7),
            "same day last year": baselines.seasonal_naive(values, period_positions, season),
        }

    val_actual = values[split.val_positions]
    validation_rmse = {name: float(np.sqrt(np.mean((val_actual - f) ** 2)))
                       for name, f in simple_baselines(split.val_positions).items()}
    ridge = ridge_on_validation(split.X_train, split.y_train, split.X_val, split.y_val)
    # the ridge's validation score, in real units like the others, so that a script can pick the
    # better of the ridge and the best simple baseline on validation (the alpha was chosen there too)
    ridge_on_val = levels(ridge.predict(split.X_val), split.val_positions)
    ridge_validation_rmse = float(np.sqrt(np.mean((val_actual - ridge_on_val) ** 2)))
    return ForecastTask(
        name="temperatures", unit=TEMPERATURE.unit,
        X_train=split.X_train, y_train=split.y_train, X_test=split.X_test,
        test_dates=series.index[split.test_positions], actual=values[split.test_positions],
        to_real_units=lambda scaled_predictions: levels(scaled_predictions, split.test_positions),
        baselines={**simple_baselines(split.test_positions),
                   "ridge (same inputs)": levels(ridge.predict(split.X_test), split.test_positions)},
        # one weight per number in a flattened window, plus the intercept
        baseline_params={"ridge (same inputs)": split.X_train.shape[1] * split.X_train.shape[2] + 1},
        X_val=split.X_val, y_val=split.y_val,
        choices={"target": target, **training_settings(TEMPERATURE),
                 "early_stopping": "val_loss, best weights restored", "ridge_alpha": ridge.alpha,
                 "best_baseline": min(validation_rmse, key=validation_rmse.get)},
        val_actual=val_actual,
        val_to_real_units=lambda scaled_predictions: levels(scaled_predictions, split.val_positions),
        baseline_validation_rmse={**validation_rmse, "ridge (same inputs)": ridge_validation_rmse},
    )
