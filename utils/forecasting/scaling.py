"""Min-max scaling fitted on the training period only."""


import numpy as np


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
