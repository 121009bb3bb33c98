"""Train a small recurrent forecaster for a fixed number of epochs and keep its weights after every epoch.

Rolling-origin validation chooses the epoch count on the MEAN validation score over several
origins, so no single origin may stop early: each trains for the same `max_epochs` and the
weights after each epoch are kept (a few kilobytes each). The validation score of every epoch
is then computed in NumPy from those weights (`network_forecast`: `forecast` for the LSTM, with
utils/recurrent/cells.lstm_step, `gru_forecast` and `simple_rnn_forecast` for the other cells),
after training, rather than by a Keras validation pass inside it.

Speed: one Keras model is built per shape and reused for every origin and the refit (the first
fit of a new model also traces its graph, which is slow); before each fit its weights go back to their
seeded initial values and the optimizer's state to zero, so every fit starts exactly as a fresh,
identically seeded model would.

`zero_head=True` starts the Dense head at zero weights and bias: before training the network
predicts exactly 0, so a candidate whose 0 means "the classical forecast" (the hybrid) starts
from that forecast, and epoch 0 is a real option.
"""

import time

import numpy as np

from utils.recurrent import cells

CELLS = ("SimpleRNN", "LSTM", "GRU")  # the recurrent layers a trainer can build


class SnapshotTrainer:
    """A `layer`(units) -> Dense(1) regressor for windows of shape (window, features).

    `layer`: "LSTM" (Case 17-2), "GRU" (Case 17-3) or "SimpleRNN" (Case 17-5 compares all three).
    `unroll=True` runs a short window as straight-line steps rather than a loop inside the graph,
    which trains faster on a CPU (the same arithmetic; Case 17-3's windows of 7 days).
    `graph_epochs=False` trains with Keras's own `fit` even on TensorFlow: the order in which it
    shuffles differs from the compiled epoch's, so the two give different (equally valid) networks.
    `epoch_seconds` keeps the wall-clock seconds of every epoch this trainer has run (the first one
    also traces the graph).
    """

    def __init__(self, window, features, units, learning_rate, batch_size, seed, zero_head=False,
                 layer="LSTM", unroll=False, graph_epochs=True):
        import keras

        from utils.plumbing.runtime import set_seed

        if layer not in CELLS:
            raise ValueError(f"layer must be one of {CELLS}, not {layer!r}")
        set_seed(seed)
        head = {"kernel_initializer": "zeros", "bias_initializer": "zeros"} if zero_head else {}
        recurrent = getattr(keras.layers, layer)(units, unroll=unroll)
        self.model = keras.Sequential(
            [keras.Input(shape=(window, features)), recurrent, keras.layers.Dense(1, **head)],
            **({"name": "gru_forecaster"} if layer == "GRU" else {}),
        )
        # Several batches per call into TensorFlow: the same updates, less Python overhead per batch.
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse", steps_per_execution=8
        )
        self.model.optimizer.build(self.model.trainable_variables)  # its moments exist before any fit
        self.initial_weights = self.model.get_weights()
        self.batch_size = batch_size
        self.seed = seed
        self.layer = layer
        self.epoch_seconds = []
        self._epoch = _graph_epoch(self.model, window, features, batch_size) if graph_epochs else None

    def _reset(self):
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
        if self._epoch is None:  # Keras's own fit (another backend, or graph_epochs=False), weights kept
            keras.utils.set_random_seed(self.seed)  # the same shuffling order for every fit
            seconds = self.epoch_seconds

            class Keep(keras.callbacks.Callback):
                def on_epoch_begin(self, epoch, logs=None):
                    self.started = time.perf_counter()

                def on_epoch_end(self, epoch, logs=None):
                    seconds.append(time.perf_counter() - self.started)
                    snapshots.append(self.model.get_weights())

            self.model.fit(X, y, epochs=epochs, batch_size=self.batch_size, callbacks=[Keep()], verbose=0)
            return snapshots
        X, y = np.asarray(X, dtype="float32"), np.asarray(y, dtype="float32")
        shuffle = np.random.default_rng(self.seed)  # the same order of samples for every fit with this seed
        for _ in range(epochs):
            started = time.perf_counter()
            self._epoch(X, y, shuffle.permutation(len(X)).astype("int32"))
            snapshots.append(self.model.get_weights())
            self.epoch_seconds.append(time.perf_counter() - started)
        return snapshots

    def forecast(self, weights, X):
        """This trainer's network with `weights`, on windows X, in NumPy (`network_forecast`)."""
        return network_forecast(self.layer, weights, X)


def keras_graph_epochs():
    """Whether `fit` runs its own compiled epochs (the TensorFlow backend), which touch no global state
    and may run on several threads at once."""
    import keras

    return keras.backend.backend() == "tensorflow"


def _graph_epoch(model, window, features, batch_size):
    """One epoch of mini-batch Adam on the mean squared error, as ONE compiled TensorFlow graph.

    The same updates as `model.fit(..., batch_size=batch_size)` over samples taken in the order `order`
    (the last batch may be smaller), without fit's set-up on every call: on these tiny data sets that
    set-up costs more than the arithmetic. Traced once per trainer (any number of samples).
    Returns None on a backend other than TensorFlow (`fit` then uses Keras's own loop).
    """
    if not keras_graph_epochs():
        return None
    import tensorflow as tf

    variables = model.trainable_variables

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, window, features], tf.float32),
            tf.TensorSpec([None], tf.float32),
            tf.TensorSpec([None], tf.int32),
        ]
    )
    def epoch(X, y, order):
        for start in tf.range(0, tf.shape(order)[0], batch_size):
            rows = order[start : start + batch_size]
            with tf.GradientTape() as tape:
                predictions = model(tf.gather(X, rows), training=True)[:, 0]
                loss = tf.reduce_mean(tf.square(tf.gather(y, rows) - predictions))
            model.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    return epoch


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


def simple_rnn_forecast(weights, X):
    """The SimpleRNN -> Dense(1) network's outputs for windows X (samples, window, features), in NumPy.

    `weights`: Keras's get_weights() order (SimpleRNN kernel, recurrent kernel, bias; Dense kernel, bias).
    """
    kernel, recurrent_kernel, bias, head_kernel, head_bias = weights
    X = np.asarray(X, dtype="float32")
    hidden = np.zeros((len(X), recurrent_kernel.shape[0]), dtype="float32")
    for t in range(X.shape[1]):
        hidden = cells.simple_rnn_step(X[:, t], hidden, kernel, recurrent_kernel, bias).hidden_state
    return (hidden @ head_kernel + head_bias)[:, 0]


def network_forecast(layer, weights, X):
    """The outputs of a `layer` ("SimpleRNN", "LSTM" or "GRU") -> Dense(1) network with `weights`."""
    return {"SimpleRNN": simple_rnn_forecast, "LSTM": forecast, "GRU": gru_forecast}[layer](weights, X)


def weights_fingerprint(weights):
    """A SHA-256 of the weights' bytes: two fits with the same data must give the same one."""
    import hashlib

    return hashlib.sha256(b"".join(np.asarray(w, dtype="float32").tobytes() for w in weights)).hexdigest()
