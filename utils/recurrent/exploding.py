"""Exploding gradients on purpose: a ReLU SimpleRNN whose recurrent weights are `gain` x an orthogonal
matrix, trained with plain SGD on the recall task, with or without gradient clipping.

Case 17-4 (Step 7) runs it at one gain; benchmarks/exploding_threshold.py runs it at several, to
find the gain below which the loss stays finite without clipping.
"""

import numpy as np

from utils.plumbing.runtime import set_seed
from utils.recurrent import gradients


def train_relu_rnn(X, y, gain, learning_rate, epochs, seed, clipnorm=None, units=16, first_steps_kept=8):
    """Train a fresh ReLU SimpleRNN (recurrent weights `gain` x orthogonal) with SGD, `clipnorm` or none.

    Returns (losses, start_gradient_norms, first_steps): the loss before training and after each
    epoch; each weight's gradient norm on the first 32 sequences at the start ('SimpleRNN kernel',
    'Dense bias', ...); and the running mean loss after each of the first gradient steps of epoch 1.
    The seed is reset first, so two calls start from identical weights and shuffle identically.
    """
    import keras

    set_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=X.shape[1:]),
            keras.layers.SimpleRNN(units, activation="relu",
                                   recurrent_initializer=keras.initializers.Orthogonal(gain=gain)),
            keras.layers.Dense(1),
        ],
        name="exploding_rnn" if clipnorm is None else "clipped_rnn",
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate, clipnorm=clipnorm), loss="mse")
    start_loss = float(model.evaluate(X, y, verbose=0))
    by_path = gradients.weight_gradient_norms(model, X[:32], y[:32], keras.losses.mean_squared_error)
    start_grads = {("SimpleRNN " if "simple_rnn" in path else "Dense ") + path.split("/")[-1]: norm
                   for path, norm in by_path.items()}
    first_steps = []  # the loss Keras's progress bar shows (mean so far) after each step of epoch 1
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: (first_steps.append(float(logs["loss"]))
                                                if len(first_steps) < first_steps_kept else None)
    )
    history = model.fit(X, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[record])
    return [start_loss] + [float(v) for v in history.history["loss"]], start_grads, first_steps


def largest_finite(values):
    """The largest finite value of a loss history (None when none is finite)."""
    finite = [v for v in values if np.isfinite(v)]
    return max(finite) if finite else None
