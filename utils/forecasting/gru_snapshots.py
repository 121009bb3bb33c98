"""The GRU counterpart of utils/forecasting/epoch_snapshots.py (Case 17-3's rolling origins).

`GRUSnapshotTrainer` trains a GRU(units) -> Dense(1) network for a fixed number of epochs and keeps
its weights after every epoch; `gru_forecast` computes that network's outputs in NumPy from those
weights (utils/recurrent/cells.gru_step, Keras's reset_after=True layout), so the validation score
after every epoch costs a NumPy forward pass, not a Keras call. Like `SnapshotTrainer`, one Keras
model is built once and reused: before each fit its weights go back to their seeded initial
values and the optimizer's state to zero, so every fit starts as a fresh, identically seeded
model would. `zero_head=True` starts the Dense head at zero: before training the network predicts
exactly 0 (for a correction, "the classical forecast unchanged").

A separate class rather than an option of `SnapshotTrainer`, so that the two can change apart.
"""

import numpy as np

from utils.recurrent import cells


class GRUSnapshotTrainer:
    """A GRU(units) -> Dense(1) regressor for windows of shape (window, features)."""

    def __init__(self, window, features, units, learning_rate, batch_size, seed, zero_head=False):
        import keras

        from utils.plumbing.runtime import set_seed

        set_seed(seed)
        head = {"kernel_initializer": "zeros", "bias_initializer": "zeros"} if zero_head else {}
        # reset_after=True, Keras 3's default. unroll=True: a short window runs as straight-line steps
        # rather than a loop inside the graph, which trains faster on a CPU (same arithmetic).
        self.layer = keras.layers.GRU(units, unroll=True)
        self.model = keras.Sequential(
            [keras.Input(shape=(window, features)), self.layer, keras.layers.Dense(1, **head)],
            name="gru_forecaster",
        )
        # Several batches per call into TensorFlow: the same updates, less Python overhead per batch.
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse", steps_per_execution=8
        )
        self.initial_weights = [w.copy() for w in self.model.get_weights()]
        self.batch_size = batch_size
        self.seed = seed

    def _reset(self):
        import keras

        keras.utils.set_random_seed(self.seed)  # the same shuffling order for every fit
        self.model.set_weights(self.initial_weights)
        for variable in self.model.optimizer.variables:
            if "learning_rate" not in variable.path:  # the step counter and Adam's moments go back to 0
                variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def fit(self, X, y, epochs):
        """Train afresh for `epochs` epochs; returns the weights after 0, 1, ..., `epochs` epochs."""
        import keras

        self._reset()
        snapshots = [[w.copy() for w in self.initial_weights]]
        if epochs == 0:
            return snapshots

        class Keep(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                snapshots.append(self.model.get_weights())

        self.model.fit(X, y, epochs=epochs, batch_size=self.batch_size, callbacks=[Keep()], verbose=0)
        return snapshots


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
