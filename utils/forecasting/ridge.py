"""A linear reference model for windowed forecasts: ridge regression with its alpha chosen on validation.

A recurrent network should earn its complexity by beating a linear model that reads the very
same inputs. Ridge regression is least squares with a penalty alpha · (sum of squared weights):
alpha = 0 is plain least squares, a larger alpha pulls the weights towards zero (a smoother,
more cautious model). How much penalty suits a series is a choice like any other, so it is
made on the validation period, never on the test period.
"""

from dataclasses import dataclass

import numpy as np

# Eleven penalties from almost none to strong, a factor of about 3 apart. The inputs are scaled
# to about -1..1, so the interesting range is the same for any series.
ALPHAS = tuple(float(a) for a in np.logspace(-3, 2, 11))


def flatten_windows(X):
    """(samples, window, features) -> (samples, window x features): one row of numbers per window."""
    X = np.asarray(X, dtype="float64")
    return X.reshape(len(X), -1)


@dataclass
class RidgeChoice:
    """The ridge fitted on the training windows with the alpha that scored best on validation."""

    model: object  # a fitted sklearn.linear_model.Ridge
    alpha: float
    validation_mse: dict  # alpha -> mean squared error on the validation windows (in y's units)

    def edge_warning(self):
        """A warning line when the chosen alpha is the smallest or largest tried, else "".

        At the edge of the grid, the best alpha may lie beyond it: the search was too small.
        """
        tried = sorted(self.validation_mse)
        if self.alpha not in (tried[0], tried[-1]) or len(tried) < 2:
            return ""
        side = "smallest" if self.alpha == tried[0] else "largest"
        return (f"Warning: the ridge's alpha {self.alpha:g} is the {side} of the {len(tried)} tried "
                f"({tried[0]:g} .. {tried[-1]:g}): a better one may lie beyond the grid")

    def predict(self, X):
        """Predictions for windows X of shape (samples, window, features), in y's units."""
        return self.model.predict(flatten_windows(X))


def ridge_on_validation(X_train, y_train, X_val, y_val, alphas=ALPHAS):
    """Fit one ridge per alpha on the training windows, keep the one with the lowest validation MSE.

    X_*: windows of shape (samples, window, features); y_*: targets of shape (samples,).
    Only the training and validation windows are read. The score is the mean squared error in
    y's units (scaled units, say): when the way back to real units is linear (a scaler, plus a
    known last value for a difference target), the same alpha also has the lowest RMSE in real
    units. Ties go to the larger alpha (the simpler model). Returns a `RidgeChoice`.
    """
    from sklearn.linear_model import (
        Ridge,  # loads in about a second: imported only when needed
    )

    if len(X_train) == 0 or len(X_val) == 0:
        raise ValueError("ridge_on_validation needs training and validation windows")
    train_rows, val_rows = flatten_windows(X_train), flatten_windows(X_val)
    y_train, y_val = np.asarray(y_train, dtype="float64"), np.asarray(y_val, dtype="float64")
    validation_mse, best = {}, None
    for alpha in sorted(alphas, reverse=True):  # largest first, so a tie keeps the larger alpha
        model = Ridge(alpha=alpha).fit(train_rows, y_train)
        validation_mse[alpha] = float(np.mean((model.predict(val_rows) - y_val) ** 2))
        if best is None or validation_mse[alpha] < validation_mse[best[0]] - 1e-12:
            best = (alpha, model)
    return RidgeChoice(model=best[1], alpha=best[0], validation_mse=dict(sorted(validation_mse.items())))
