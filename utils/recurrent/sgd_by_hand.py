"""One training step by hand: gradient clipping (by each variable's norm or by the global norm), plain SGD."""

import numpy as np

from utils.recurrent.bptt import (
    backward,
    float64_weights,
    hidden_states,
    keras_gradients,
)

# ---------------------------------------------------------------------------
# One whole training step by hand: recurrent layer + Dense head, MSE loss,
# clipping, plain SGD
# ---------------------------------------------------------------------------


def global_norm(gradients):
    """sqrt of the sum of squares of every number in every gradient: the "global norm"."""
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in gradients)))


def clip_by_global_norm(gradients, clip_norm):
    """Scale ALL gradients by one factor so their global norm is at most clip_norm (Keras's global_clipnorm).

    Returns (clipped gradients, the global norm before clipping). Gradients whose global
    norm is already <= clip_norm come back unchanged.
    """
    norm = global_norm(gradients)
    scale = clip_norm / max(norm, clip_norm)  # 1 when norm <= clip_norm
    return [g * scale for g in gradients], norm


def clip_each_by_norm(gradients, clip_norm):
    """Scale EACH gradient on its own so its norm is at most clip_norm (Keras's clipnorm)."""
    return [g * (clip_norm / max(float(np.linalg.norm(g)), clip_norm)) for g in gradients]


def sgd_training_step(recurrent_layer, dense_layer, x, y, learning_rate, global_clipnorm=None, clipnorm=None):
    """One SGD step on one batch for the model [recurrent layer (last state only) → Dense], by hand.

    Loss: mean squared error, averaged over the batch and the outputs, as Keras's "mse".
    Steps: forward with the NumPy mirrors; dL/dy; back through the Dense layer; BPTT through
    the recurrent layer; clip (global_clipnorm: all gradients by one factor, like
    keras.optimizers.SGD(global_clipnorm=...); clipnorm: each gradient on its own, like
    SGD(clipnorm=...)); then w ← w − learning_rate · gradient.
    The Keras layers are not changed. Returns a dict: loss (before the step), grad_norm
    (global norm before clipping), clipped_norm (after), weights (the new weights, one list
    per layer in the order of layer.trainable_weights), gradients (clipped, same order).
    """
    if global_clipnorm is not None and clipnorm is not None:
        raise ValueError("pass global_clipnorm or clipnorm, not both (Keras allows only one)")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(len(x), -1)
    dense_kernel = np.asarray(dense_layer.kernel, dtype=np.float64)
    dense_bias = np.asarray(dense_layer.bias, dtype=np.float64)
    if dense_layer.activation.__name__ != "linear":
        raise ValueError("sgd_training_step expects a Dense head without activation")

    # Forward: the last state of the recurrent layer, then the Dense head.
    weights = float64_weights(recurrent_layer)
    last_state = hidden_states(weights, x)[:, -1]
    y_pred = last_state @ dense_kernel + dense_bias
    loss = float(np.mean((y_pred - y) ** 2))

    # Backward: dL/dy_pred, the Dense layer, then BPTT from the last state.
    dy_pred = 2.0 * (y_pred - y) / y_pred.size  # mean over batch and outputs
    d_dense_kernel = last_state.T @ dy_pred
    d_dense_bias = dy_pred.sum(axis=0)
    d_last_state = dy_pred @ dense_kernel.T
    recurrent_grads = keras_gradients(recurrent_layer, backward(weights, x, d_last_state))
    gradients = recurrent_grads + [d_dense_kernel, d_dense_bias]
    norm = global_norm(gradients)

    # Clip, then step against the gradient.
    if global_clipnorm is not None:
        gradients, _ = clip_by_global_norm(gradients, global_clipnorm)
    elif clipnorm is not None:
        gradients = clip_each_by_norm(gradients, clipnorm)
    trainable = recurrent_layer.trainable_weights + dense_layer.trainable_weights
    old = [np.asarray(w, dtype=np.float64) for w in trainable]
    new = [w - learning_rate * g for w, g in zip(old, gradients)]
    n_recurrent = len(recurrent_grads)
    return {"loss": loss, "grad_norm": norm, "clipped_norm": global_norm(gradients),
            "weights": [new[:n_recurrent], new[n_recurrent:]], "gradients": gradients}
