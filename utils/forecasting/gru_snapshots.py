"""The GRU counterpart of utils/forecasting/epoch_snapshots.py (Case 17-3's rolling origins).

`GRUSnapshotTrainer` trains a GRU(units) -> Dense(1) network for a fixed number of epochs and keeps
its weights after every epoch; `gru_forecast` computes that network's outputs in NumPy from those
weights (utils/recurrent/cells.gru_step, Keras's reset_after=True layout), so the validation score
after every epoch costs a NumPy forward pass, not a Keras call. Like `SnapshotTrainer`, one Keras
model is built once and reused: before each fit its weights go back to their seeded initial
values and the optimizer's state to zero, so every fit starts as a fresh, identically seeded
model would. `zero_head=True` starts the Dense head at zero: before training the network predicts
exactly 0 (for a correction, "the classical forecast unchanged").

The trainer is `SnapshotTrainer` with a GRU layer and Keras's own training loop.
"""

import numpy as np

from utils.forecasting.epoch_snapshots import SnapshotTrainer
from utils.recurrent import cells


class GRUSnapshotTrainer(SnapshotTrainer):
    """A GRU(units) -> Dense(1) regressor for windows of shape (window, features), trained with
    Keras's own `fit` (Case 17-3's settings were chosen on the rolling origins with that loop)."""

    def __init__(self, window, features, units, learning_rate, batch_size, seed, zero_head=False):
        super().__init__(window, features, units, learning_rate, batch_size, seed, zero_head=zero_head,
                         layer="GRU", graph_epochs=False)


def gru_forecast(weights, X):
    """The GRU -> Dense(1) network's outputs for windows X (samples, window, features), in NumPy.

    `weights`: Keras's get_weights() order: GRU kernel (features, 3·units), recurrent kernel
    (units, 3·units), bias (2, 3·units) (reset_after=True); Dense kernel (units, 1), bias (1,).
    """
    kernel, recurrent_kernel, bias, head_kernel, head_bias = weights
    if np.ndim(bias) != 2:
        raise ValueError("gru_forecast expects a GRU with reset_after=True (a bias of shape (2, 3·units))")
    X = np.asarray(X, dtype="float32")
    hidden = np.zeros((len(X), recurrent_kernel.shape[0]), dtype="float32")
    for t in range(X.shape[1]):
        hidden = cells.gru_step(X[:, t], hidden, kernel, recurrent_kernel, bias).hidden_state
    return (hidden @ head_kernel + head_bias)[:, 0]
