"""Cut a series into (samples, window, features) arrays and split them by period, in time order.

The periods come from utils/forecasting/timeline.py. A sample belongs to the period of the
step it predicts; its window may reach back into the period before, as a real forecast would.
"""

from typing import NamedTuple

import numpy as np

from utils.plumbing.errors import BadInputError


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
        raise ValueError(
            f"inputs ({len(inputs)}) and targets ({len(targets)}) must cover the same time steps"
        )
    positions = np.arange(window, len(targets))
    if len(positions) == 0:
        return np.empty((0, window, inputs.shape[1]), "float32"), np.empty(0, "float32"), positions
    X = np.stack([inputs[t - window:t] for t in positions])
    y = targets[positions]
    usable = ~np.isnan(X).any(axis=(1, 2)) & ~np.isnan(y)
    return X[usable], y[usable], positions[usable]


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


def without_steps(split, steps):
    """`split` without the samples that predict one of `steps` (e.g. filled dates: no measurement there).

    A filled value is made up, so no training target, no validation score and no test score uses
    it; the windows that merely contain it as an input stay (it was filled from the past only).
    """
    keep = [~np.isin(positions, list(steps)) for positions in
            (split.train_positions, split.val_positions, split.test_positions)]
    train, val, test = keep
    return Split(split.X_train[train], split.y_train[train], split.X_val[val], split.y_val[val],
                 split.X_test[test], split.y_test[test], split.train_positions[train],
                 split.val_positions[val], split.test_positions[test])


def split_three(X, y, positions, periods):
    """Split windows (from `make_windows`) into training, validation and test, in time order. No shuffling."""
    train = positions < periods.first_validation
    test = positions >= periods.first_test
    val = ~train & ~test
    return Split(X[train], y[train], X[val], y[val], X[test], y[test],
                 positions[train], positions[val], positions[test])


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


def split_by_position(X, y, positions, first_test_position):
    """Chronological split: targets before `first_test_position` train, the rest test. No shuffling."""
    is_test = positions >= first_test_position
    return X[~is_test], X[is_test], y[~is_test], y[is_test], positions[is_test]
