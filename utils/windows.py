"""Cut a series into (samples, window, features) arrays and split them in time order.

Three periods, in time order, each a run of time steps (not of windows):
  training    [0, first_validation)            the network's weights are fitted here;
  validation  [first_validation, first_test)   every choice is made here (target, epochs, ...);
  test        [first_test, n)                  scored once, at the end.
The test period is fixed by the data (`fixed_test_size`), never by the window: a window of
6 or 24 steps forecasts exactly the same test steps. A sample belongs to the period of the
step it predicts; its window may reach back into the period before, as a real forecast would.
"""

from typing import NamedTuple

import numpy as np

from utils.errors import BadInputError


def make_windows(inputs, targets, window):
    """Windows of `window` consecutive input steps, each paired with the target that follows.

    `inputs` has shape (n,) or (n, features) and `targets` shape (n,), both aligned on the
    same time steps; NaN marks a step where a value is undefined (the first step of a
    differenced series, say). Sample i sees inputs[t - window : t] and must predict targets[t].
    Windows that would touch a NaN are skipped.

    Returns `(X, y, positions)`: X of shape (samples, window, features), y of shape
    (samples,), and the time step t of each target, so forecasts can be put back on dates.
    """
    inputs = np.asarray(inputs, dtype="float32")
    if inputs.ndim == 1:
        inputs = inputs[:, None]
    targets = np.asarray(targets, dtype="float32")
    if len(inputs) != len(targets):
        raise ValueError(f"inputs ({len(inputs)}) and targets ({len(targets)}) must cover the same time steps")
    positions = np.arange(window, len(targets))
    if len(positions) == 0:
        return np.empty((0, window, inputs.shape[1]), "float32"), np.empty(0, "float32"), positions
    X = np.stack([inputs[t - window:t] for t in positions])
    y = targets[positions]
    usable = ~np.isnan(X).any(axis=(1, 2)) & ~np.isnan(y)
    return X[usable], y[usable], positions[usable]


def test_size(n, test_fraction=0.2):
    """How many of `n` items form the test set: the course's `train = int(n * 0.8)`, the rest is test."""
    return n - int(n * (1 - test_fraction))


def shortest_series(steps_before_test, test_fraction=0.2):
    """The length of the shortest series that still has `steps_before_test` steps before
    its test set (the last `test_fraction` of it, as `test_size` counts it)."""
    n = steps_before_test
    while n - test_size(n, test_fraction) < steps_before_test:
        n += 1
    return n


def fixed_test_size(n_steps, test_fraction=0.2, course_window=0):
    """How many of the last steps of a series of `n_steps` form the test period, whatever --window is.

    The course cut its windows first and tested on the last 20 % of them, so its test period
    depended on its window. We keep the course's test period for the course's window
    (`course_window`: 12 for the milk, 32 of 168 months; 0 for the temperatures, 731 of 3652
    days) and then hold it fixed for every window.
    """
    return test_size(n_steps - course_window, test_fraction)


def validation_size(n_before_test, season=None, fraction=0.2):
    """How many steps just before the test period form the validation period.

    About `fraction` of the steps before the test period, rounded down to whole seasons when
    at least one fits (so every month, or day of the year, counts equally), and at least 1.
    The milk: 136 months before the test, 20 % is 27, so 2 seasons = 24 months.
    """
    n = int(n_before_test * fraction)
    if season and n >= season:
        n -= n % season
    return max(n, 1)


class Periods(NamedTuple):
    """Three periods in time order, as time-step indices (see the module docstring)."""

    n_steps: int
    first_validation: int
    first_test: int

    @property
    def n_train(self):
        return self.first_validation

    @property
    def n_validation(self):
        return self.first_test - self.first_validation

    @property
    def n_test(self):
        return self.n_steps - self.first_test

    def before_test(self):
        """Boolean mask of the steps of training + validation (what a final refit may use)."""
        return np.arange(self.n_steps) < self.first_test

    def training(self):
        """Boolean mask of the training steps (what scalers and weights are fitted on)."""
        return np.arange(self.n_steps) < self.first_validation


def three_periods(n_steps, n_test, n_validation):
    """`Periods` with the last `n_test` steps as test and the `n_validation` steps before them as validation."""
    if n_test < 1 or n_validation < 1 or n_test + n_validation >= n_steps:
        raise BadInputError(
            f"the series has {n_steps} points, too few for a training, a validation ({n_validation}) "
            f"and a test period ({n_test} steps); use a longer series"
        )
    return Periods(n_steps, n_steps - n_test - n_validation, n_steps - n_test)


def describe_periods(periods, dates, words, training_use="weights are fitted here"):
    """The three periods as printable lines: first and last date, length, and what each is for.

    `dates` are the series' dates; `words` is a `utils.frequency.StepWords` (it writes the dates
    and counts in the series' own steps: months, days, ...).
    """
    lines = []
    for name, first, last, use in (
        ("training", 0, periods.first_validation, training_use),
        ("validation", periods.first_validation, periods.first_test, "every choice is made here"),
        ("test", periods.first_test, periods.n_steps, "scored once, at the end"),
    ):
        lines.append(f"  {name:<11} {words.date(dates[first])} .. {words.date(dates[last - 1])}  ({words.count(last - first)}; {use})")
    return "\n".join(lines)


class Split(NamedTuple):
    """Windows split into the three periods by the step each one predicts."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_positions: np.ndarray
    val_positions: np.ndarray
    test_positions: np.ndarray


def split_three(X, y, positions, periods):
    """Split windows (from `make_windows`) into training, validation and test, in time order. No shuffling."""
    train = positions < periods.first_validation
    test = positions >= periods.first_test
    val = ~train & ~test
    return Split(X[train], y[train], X[val], y[val], X[test], y[test], positions[train], positions[val], positions[test])


def check_window_fits(window, periods, first_input=0, first_target=0, min_train=12, steps="steps"):
    """Raise one clear `BadInputError` when `window` leaves fewer than `min_train` training samples.

    first_input: the first step where the inputs are defined (1 for differenced inputs);
    first_target: the first step where the target is defined (season + 1 for "seasonal-diff").
    The first training sample predicts step max(window + first_input, first_target).
    """
    n_train = periods.first_validation - max(window + first_input, first_target)
    if n_train < min_train:
        largest = periods.first_validation - min_train - first_input
        if largest >= 1 and first_target <= periods.first_validation - min_train:
            fix = f"use --window {largest} or less"
        else:  # no window is short enough: the target itself starts too late
            fix = "use a longer series or a shorter --season"
        raise BadInputError(
            f"--window {window} leaves {max(n_train, 0)} training samples before the validation period "
            f"({periods.first_validation} {steps} of training data), at least {min_train} are needed; {fix}"
        )
    return n_train


def check_length(n_points, needed, what):
    """Raise `BadInputError` when a series of `n_points` is shorter than `needed`."""
    if n_points < needed:
        raise BadInputError(
            f"the series has {n_points} points but {what} needs at least {needed}; "
            "use a longer series or a smaller --window"
        )


def split_by_position(X, y, positions, first_test_position):
    """Chronological split: targets before `first_test_position` train, the rest test. No shuffling."""
    is_test = positions >= first_test_position
    return X[~is_test], X[is_test], y[~is_test], y[is_test], positions[is_test]


def fit_scaler(train_values, feature_range=(0, 1)):
    """A MinMaxScaler fitted on the training values only, so nothing of the test set leaks in."""
    values = np.asarray(train_values, dtype="float64").reshape(-1, 1)
    values = values[~np.isnan(values[:, 0])]
    # Imported here, not at the top: scikit-learn takes about a second to import, and a run
    # that stops at a bad flag or file should not wait for it.
    from sklearn.preprocessing import MinMaxScaler

    return MinMaxScaler(feature_range=feature_range).fit(values)


def scale(scaler, values):
    """Apply a one-column scaler to an array of any shape (NaN stays NaN)."""
    values = np.asarray(values, dtype="float64")
    return scaler.transform(values.reshape(-1, 1)).reshape(values.shape).astype("float32")


def unscale(scaler, values):
    """Undo `scale`: back to real units."""
    values = np.asarray(values, dtype="float64")
    return scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)
