"""The shapes of the windows a forecasting case cuts, as printable lines."""


def describe_windows(X, y, split):
    """Two lines: the shapes of all windows and labels, then of each period's windows.

    `split` is the `utils.forecasting.windows.Split` of (X, y); the periods are never shuffled together.
    """
    return (f"X {X.shape} = (samples, window, features);  y {y.shape}\n"
            f"training X {split.X_train.shape};  validation X {split.X_val.shape};  "
            f"test X {split.X_test.shape}  (no shuffling across periods)")
