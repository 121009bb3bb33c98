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

from utils import baselines, transforms, windows
from utils.data import fill_gaps, load_series
from utils.features import day_of_year_features
from utils.paths import data_file


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
    to_real_units: Callable[[np.ndarray], np.ndarray]  # scaled predictions of X_test -> forecasts in real units
    baselines: dict = field(default_factory=dict)  # name -> forecasts of the test steps in real units
    # The validation period (the stretch just before the test period), scaled like the training
    # arrays: for early stopping and every other choice. None for a task that has none.
    X_val: Optional[np.ndarray] = None
    y_val: Optional[np.ndarray] = None
    choices: dict = field(default_factory=dict)  # what was chosen on validation, e.g. {"target": ..., "epochs": ...}


def milk_task(window=12, target="seasonal-diff", season=12):
    """Case 17-2's task: monthly milk production, the last 32 months as the test set."""
    series, _ = fill_gaps(load_series(data_file("monthly_milk_production.csv"), "Date", "Production"))
    values = series.to_numpy()
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    first_test = len(values) - windows.test_size(len(values) - window)
    train_steps = np.arange(len(values)) < first_test
    input_scaler = windows.fit_scaler(inputs[train_steps], feature_range=(-1, 1))
    target_scaler = windows.fit_scaler(targets[train_steps], feature_range=(-1, 1))
    X, y, positions = windows.make_windows(windows.scale(input_scaler, inputs), windows.scale(target_scaler, targets), window)
    X_train, X_test, y_train, _, test_positions = windows.split_by_position(X, y, positions, first_test)

    def to_real_units(scaled_predictions):
        predicted_targets = windows.unscale(target_scaler, scaled_predictions)
        return transforms.to_levels(predicted_targets, values, test_positions, target, season)

    return ForecastTask(
        name="milk", unit="pounds per cow",
        X_train=X_train, y_train=y_train, X_test=X_test,
        test_dates=series.index[test_positions], actual=values[test_positions], to_real_units=to_real_units,
        baselines={
            "seasonal naive": baselines.seasonal_naive(values, test_positions, season),
            "seasonal naive + last change": baselines.seasonal_naive_plus_last_change(values, test_positions, season),
        },
    )


def temperature_task(window=14):
    """Case 17-3's task: tomorrow's minimum temperature in Melbourne, the last 20 % of the days as the test set."""
    series, _ = fill_gaps(load_series(data_file("daily_min_temperatures.csv"), "Date", "Temp"))
    values = series.to_numpy()
    first_test = len(values) - windows.test_size(len(values))
    scaler = windows.fit_scaler(values[np.arange(len(values)) < first_test], feature_range=(-1, 1))
    scaled = windows.scale(scaler, values)
    inputs = np.column_stack([scaled, day_of_year_features(series.index)])
    X, y, positions = windows.make_windows(inputs, scaled, window)
    X_train, X_test, y_train, _, test_positions = windows.split_by_position(X, y, positions, first_test)
    return ForecastTask(
        name="temperatures", unit="°C",
        X_train=X_train, y_train=y_train, X_test=X_test,
        test_dates=series.index[test_positions], actual=values[test_positions],
        to_real_units=lambda scaled_predictions: windows.unscale(scaler, scaled_predictions),
        baselines={
            "persistence": baselines.naive(values, test_positions),
            "same day last year": baselines.seasonal_naive(values, test_positions, 365),
        },
    )
