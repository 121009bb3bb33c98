"""Cut a series into (samples, window, features) arrays and split them in time order."""

import numpy as np
from sklearn.preprocessing import MinMaxScaler

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
    return MinMaxScaler(feature_range=feature_range).fit(values)


def scale(scaler, values):
    """Apply a one-column scaler to an array of any shape (NaN stays NaN)."""
    values = np.asarray(values, dtype="float64")
    return scaler.transform(values.reshape(-1, 1)).reshape(values.shape).astype("float32")


def unscale(scaler, values):
    """Undo `scale`: back to real units."""
    values = np.asarray(values, dtype="float64")
    return scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)
