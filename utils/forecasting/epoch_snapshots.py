"""Train a small LSTM forecaster for a fixed number of epochs and keep its weights after every epoch.

Rolling-origin validation chooses the epoch count on the MEAN validation score over several
origins, so no single origin may stop early: each trains for the same `max_epochs` and the
weights after each epoch are kept (a few kilobytes each). The validation score of every epoch
is then computed in NumPy from those weights (`forecast`, with utils/recurrent/cells.lstm_step),
which costs far less than a Keras validation pass after each epoch.

Speed: one Keras model is built per shape and reused for every origin and the refit (building
and tracing a new model costs about a second); before each fit its weights go back to their
seeded initial values and the optimizer's state to zero, so every fit starts exactly as a fresh,
identically seeded model would.

`zero_head=True` starts the Dense head at zero weights and bias: before training the network
predicts exactly 0, so a candidate whose 0 means "the classical forecast" (the hybrid) starts
from that forecast, and epoch 0 is a real option.
"""

import numpy as np

from utils.recurrent import cells


class SnapshotTrainer:
    """An LSTM(units) -> Dense(1) regressor for windows of shape (window, features)."""

    def __init__(self, window, features, units, learning_rate, batch_size, seed, zero_head=False):
        import keras

        from utils.plumbing.runtime import set_seed

        set_seed(seed)
        head = {"kernel_initializer": "zeros", "bias_initializer": "zeros"} if zero_head else {}
        self.model = keras.Sequential(
            [keras.Input(shape=(window, features)), keras.layers.LSTM(units), keras.layers.Dense(1, **head)]
        )
        # Several batches per call into TensorFlow: the same updates, less Python overhead per batch.
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse", steps_per_execution=8
        )
        self.initial_weights = self.model.get_weights()
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


def forecast(weights, X):
    """The LSTM -> Dense(1) network's outputs for windows X (samples, window, features), in NumPy.

    `weights`: Keras's get_weights() order (LSTM kernel, recurrent kernel, bias; Dense kernel, bias).
    """
    kernel, recurrent_kernel, bias, head_kernel, head_bias = weights
    X = np.asarray(X, dtype="float32")
    units = recurrent_kernel.shape[0]
    hidden = np.zeros((len(X), units), dtype="float32")
    cell = np.zeros_like(hidden)
    for t in range(X.shape[1]):
        step = cells.lstm_step(X[:, t], hidden, cell, kernel, recurrent_kernel, bias)
        hidden, cell = step.hidden_state, step.cell_state
    return (hidden @ head_kernel + head_bias)[:, 0]


def weights_fingerprint(weights):
    """A SHA-256 of the weights' bytes: two fits with the same data must give the same one."""
    import hashlib

    return hashlib.sha256(b"".join(np.asarray(w, dtype="float32").tobytes() for w in weights)).hexdigest()
