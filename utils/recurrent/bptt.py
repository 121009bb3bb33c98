"""Backpropagation through time (BPTT) by hand: NumPy backward passes for SimpleRNN, LSTM and GRU.

utils/recurrent/cells.py runs a trained Keras layer forward, one time step at a time. This module runs
it BACKWARD: given the gradient of the loss with respect to the layer's outputs, it walks the
time steps in reverse, multiplies by one chain-rule factor per line, and returns

  * the gradient of every weight, in Keras's layout (kernel, recurrent_kernel, bias);
  * the gradient with respect to every input step x_t;
  * the gradient flowing into the state at every step (and into the cell state, for the LSTM).

The tests check every number against tf.GradientTape on the same layer, within 1e-5.

How to watch the gradient vanish or explode in a debugger
---------------------------------------------------------
Put a breakpoint inside the `for t in reversed(range(timesteps))` loop of
`simple_rnn_backward` (or `lstm_backward` / `gru_backward`), on the line that computes
`dh` (SimpleRNN/GRU) or `dc` (LSTM). Every time the debugger stops there, `dh_next` is the
gradient that has just arrived from the future (step t+1), and `np.linalg.norm(dh_next)`
shrinks (or grows) as t walks back towards 0: the gradient has been multiplied by
one more Jacobian on its way.

Naming, in every loop (one sample or a whole batch; the batch is the first axis):
  dh_next   gradient arriving at h_t from step t+1 (through the recurrent kernel U)
  dh        total gradient on h_t: from this step's output plus dh_next
  dpre      gradient on a pre-activation (the weighted sum before tanh / sigmoid)
  dc_next   LSTM: gradient arriving at c_t from c_{t+1} (times the forget gate)
  dc        LSTM: total gradient on the cell state c_t

All arithmetic is float64, so rounding does not hide a wrong formula.
"""

import numpy as np

from utils.recurrent import cells

# ---------------------------------------------------------------------------
# Derivatives of the activations, written in terms of the activation's OUTPUT y
# (that is what the forward pass stored): tanh' = 1 - y², sigmoid' = y(1 - y).
# ---------------------------------------------------------------------------


def tanh_derivative(y):
    """d tanh(a)/da, given y = tanh(a)."""
    return 1.0 - y * y


def sigmoid_derivative(y):
    """d sigmoid(a)/da, given y = sigmoid(a)."""
    return y * (1.0 - y)


def relu_derivative(y):
    """d relu(a)/da, given y = relu(a) (0 at a = 0, as TensorFlow does)."""
    return (y > 0).astype(y.dtype)


def linear_derivative(y):
    """d a/da = 1."""
    return np.ones_like(y)


DERIVATIVES = {
    np.tanh: tanh_derivative,
    cells.sigmoid: sigmoid_derivative,
    cells.relu: relu_derivative,
    cells.linear: linear_derivative,
}


# ---------------------------------------------------------------------------
# Inputs and weights as float64 arrays
# ---------------------------------------------------------------------------


def _as_batch(x, d_outputs, units):
    """x as (batch, timesteps, features) and d_outputs as (batch, timesteps, units), all float64.

    One window (timesteps, features) or a batch (batch, timesteps, features) is accepted. d_outputs is the
    gradient of the loss with respect to the layer's output: every step ((timesteps, units) per sample, for
    return_sequences=True) or only the last state ((units,) per sample, for return_sequences=False); the
    last case becomes zeros at every step but the last. Returns (x, d_outputs, one_window).
    """
    x, d_outputs = np.asarray(x, dtype=np.float64), np.asarray(d_outputs, dtype=np.float64)
    one_window = x.ndim == 2
    if one_window:
        x, d_outputs = x[np.newaxis], d_outputs[np.newaxis]
    if x.ndim != 3:
        shapes = "one window (timesteps, features) or a batch (batch, timesteps, features)"
        raise ValueError(f"x must be {shapes}, got shape {x.shape}")
    batch, timesteps, _ = x.shape
    if d_outputs.shape == (batch, units):  # return_sequences=False: only the last state gets a gradient
        every_step = np.zeros((batch, timesteps, units))
        every_step[:, -1] = d_outputs
        d_outputs = every_step
    if d_outputs.shape != (batch, timesteps, units):
        raise ValueError(
            f"d_outputs must have shape {(timesteps, units) if one_window else (batch, timesteps, units)} "
            f"(every step) or {(units,) if one_window else (batch, units)} (last state only), "
            f"got {np.shape(d_outputs)[1 if one_window else 0:]}"
        )
    return x, d_outputs, one_window


def float64_weights(layer_or_weights):
    """cells.cell_weights(layer) with kernel, recurrent_kernel and bias as float64 arrays.

    Also accepts a weights dict (from cell_weights, or one whose arrays were changed, e.g.
    after a hand-made SGD step), so the backward pass can run on weights that no layer holds.
    """
    if isinstance(layer_or_weights, dict):
        weights = dict(layer_or_weights)
    else:
        weights = cells.cell_weights(layer_or_weights)  # checks the layer; its arrays are float32
        cell = getattr(layer_or_weights, "cell", layer_or_weights)
        weights["kernel"], weights["recurrent_kernel"] = cell.kernel, cell.recurrent_kernel  # full precision
        if cell.use_bias:
            weights["bias"] = cell.bias
    for name in ("kernel", "recurrent_kernel", "bias"):
        weights[name] = np.asarray(weights[name], dtype=np.float64)
    return weights


def _finish(result, one_window):
    """Drop the batch axis again for one window (weight gradients have none)."""
    if one_window:
        for name in ("dx", "dh", "dc", "dh_initial", "dc_initial"):
            if name in result:
                result[name] = result[name][0]
    return result


# ---------------------------------------------------------------------------
# SimpleRNN:  h_t = tanh(x_t·W + h_{t-1}·U + b)
# ---------------------------------------------------------------------------


def simple_rnn_forward(weights, x):
    """Hidden states h_0..h_T of a SimpleRNN on a batch x (batch, T, features), float64.

    Returns an array (batch, T + 1, units): index 0 is the zero start state, index t + 1 is
    the state after step t, so states[:, t] is h_prev of step t.
    """
    batch, timesteps, _ = x.shape
    states = np.zeros((batch, timesteps + 1, weights["units"]))
    for t in range(timesteps):
        step = cells.simple_rnn_step(x[:, t], states[:, t], weights["kernel"], weights["recurrent_kernel"],
                                     weights["bias"], activation=weights["activation"])
        states[:, t + 1] = step.hidden_state
    return states


def simple_rnn_backward(layer, x, d_outputs):
    """BPTT through a SimpleRNN layer (or its weights dict), by hand.

    layer: a built keras.layers.SimpleRNN (or the dict from `float64_weights`);
    x: one window (T, features) or a batch (batch, T, features);
    d_outputs: dL/d(output), every step (T, units) or the last state only (units,)
    (with a leading batch axis for a batch).
    Returns a dict: kernel, recurrent_kernel, bias (dL/dW, dL/dU, dL/db, Keras's shapes),
    dx (dL/dx_t, like x), dh (dL/dh_t for every step, (T, units)), dh_initial (dL/dh_0 of the
    zero start state), and states (h_1..h_T from the forward pass).
    """
    weights = float64_weights(layer)
    W, U = weights["kernel"], weights["recurrent_kernel"]
    activation_derivative = DERIVATIVES[weights["activation"]]
    x, d_outputs, one_window = _as_batch(x, d_outputs, weights["units"])
    batch, timesteps, _ = x.shape
    states = simple_rnn_forward(weights, x)

    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(weights["bias"])
    dx = np.zeros_like(x)
    dh_per_step = np.zeros_like(d_outputs)
    dh_next = np.zeros((batch, weights["units"]))  # nothing arrives from after the last step
    for t in reversed(range(timesteps)):
        h, h_prev = states[:, t + 1], states[:, t]
        dh = d_outputs[:, t] + dh_next  # this step's own output, plus what came back from step t+1
        dpre = dh * activation_derivative(h)  # through the tanh: times (1 - h²)
        dW += x[:, t].T @ dpre  # pre = x_t·W + h_prev·U + b
        dU += h_prev.T @ dpre
        db += dpre.sum(axis=0)
        dx[:, t] = dpre @ W.T
        dh_next = dpre @ U.T  # through U, back to h_{t-1}: one more Jacobian factor
        dh_per_step[:, t] = dh
    result = _finish({"kernel": dW, "recurrent_kernel": dU, "bias": db, "dx": dx, "dh": dh_per_step,
                      "dh_initial": dh_next}, one_window)
    result["states"] = states[0, 1:] if one_window else states[:, 1:]
    return result


# ---------------------------------------------------------------------------
# LSTM (Keras order of the 4·units columns: i, f, c, o)
#   i, f, o = sigmoid(...), g = tanh(...)   (g is Keras's "c" block, the candidate)
#   c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
# ---------------------------------------------------------------------------


def lstm_forward(weights, x):
    """Run an LSTM over a batch x (batch, T, features) in float64, keeping every gate.

    Returns a dict of arrays (batch, T, units): input_gate, forget_gate, candidate,
    output_gate, cell_state, hidden_state, and h_prev / c_prev (the states each step started from).
    """
    batch, timesteps, _ = x.shape
    units = weights["units"]
    h, c = np.zeros((batch, units)), np.zeros((batch, units))
    names = ("input_gate", "forget_gate", "candidate", "output_gate", "cell_state", "hidden_state")
    keep = {name: np.zeros((batch, timesteps, units)) for name in names + ("h_prev", "c_prev")}
    for t in range(timesteps):
        keep["h_prev"][:, t], keep["c_prev"][:, t] = h, c
        step = cells.lstm_step(x[:, t], h, c, weights["kernel"], weights["recurrent_kernel"], weights["bias"],
                               activation=weights["activation"],
                               recurrent_activation=weights["recurrent_activation"])
        for name in names:
            keep[name][:, t] = getattr(step, name)
        h, c = step.hidden_state, step.cell_state
    return keep


def lstm_backward(layer, x, d_outputs, d_last_cell=None):
    """BPTT through an LSTM layer (or its weights dict), by hand.

    Arguments as in `simple_rnn_backward`; d_last_cell (optional, (units,) per sample) is a
    gradient on the LAST cell state c_T, e.g. to measure ∂c_T/∂c_t.
    Returns a dict: kernel, recurrent_kernel, bias (Keras's shapes: (features, 4·units),
    (units, 4·units), (4·units,)), dx, dh (dL/dh_t per step, c_t held fixed), dc (dL/dc_t per
    step, including the path through h_t = o·tanh(c_t)), dh_initial, dc_initial, and
    forward (the gates and states of the forward pass, arrays (T, units) for one window).
    """
    weights = float64_weights(layer)
    W, U = weights["kernel"], weights["recurrent_kernel"]
    act, act_derivative = weights["activation"], DERIVATIVES[weights["activation"]]
    gate_derivative = DERIVATIVES[weights["recurrent_activation"]]
    units = weights["units"]
    x, d_outputs, one_window = _as_batch(x, d_outputs, units)
    batch, timesteps, _ = x.shape
    fwd = lstm_forward(weights, x)

    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(weights["bias"])
    dx = np.zeros_like(x)
    dh_per_step, dc_per_step = np.zeros_like(d_outputs), np.zeros_like(d_outputs)
    dh_next = np.zeros((batch, units))  # arriving at h_t from step t+1
    dc_next = np.zeros((batch, units))  # arriving at c_t from c_{t+1}
    if d_last_cell is not None:
        dc_next = dc_next + np.asarray(d_last_cell, dtype=np.float64).reshape(batch, units)
    for t in reversed(range(timesteps)):
        input_gate, forget_gate = fwd["input_gate"][:, t], fwd["forget_gate"][:, t]
        candidate, output_gate = fwd["candidate"][:, t], fwd["output_gate"][:, t]
        cell_state, c_prev, h_prev = fwd["cell_state"][:, t], fwd["c_prev"][:, t], fwd["h_prev"][:, t]
        shown_cell = act(cell_state)  # tanh(c_t), what the output gate lets through

        dh = d_outputs[:, t] + dh_next  # this step's output, plus what came back from step t+1
        dc = dc_next + dh * output_gate * act_derivative(shown_cell)  # along the cell path, plus through h_t
        d_output_gate = dh * shown_cell  # h = o * tanh(c)
        d_input_gate = dc * candidate  # c = f * c_prev + i * g
        d_candidate = dc * input_gate
        d_forget_gate = dc * c_prev
        dc_next = dc * forget_gate  # the cell path back to c_{t-1}: times the forget gate, nothing else

        dpre_input = d_input_gate * gate_derivative(input_gate)  # through each gate's sigmoid
        dpre_forget = d_forget_gate * gate_derivative(forget_gate)
        dpre_candidate = d_candidate * act_derivative(candidate)  # through the candidate's tanh
        dpre_output = d_output_gate * gate_derivative(output_gate)
        # In Keras's column order: i, f, c, o.
        dpre = np.concatenate([dpre_input, dpre_forget, dpre_candidate, dpre_output], axis=-1)

        dW += x[:, t].T @ dpre  # pre = x_t·W + h_prev·U + b, for all four blocks at once
        dU += h_prev.T @ dpre
        db += dpre.sum(axis=0)
        dx[:, t] = dpre @ W.T
        dh_next = dpre @ U.T  # back to h_{t-1}, through all four gates
        dh_per_step[:, t], dc_per_step[:, t] = dh, dc
    result = {"kernel": dW, "recurrent_kernel": dU, "bias": db, "dx": dx, "dh": dh_per_step,
              "dc": dc_per_step, "dh_initial": dh_next, "dc_initial": dc_next}
    result = _finish(result, one_window)
    result["forward"] = {name: (value[0] if one_window else value) for name, value in fwd.items()}
    return result


# ---------------------------------------------------------------------------
# GRU (Keras order of the 3·units columns: z, r, h)
#   z, r = sigmoid(...)
#   reset_after=True (Keras default): candidate = tanh(x·W_h + b_h + r * (h_prev·U_h + b'_h))
#   reset_after=False:                candidate = tanh(x·W_h + b_h + (r * h_prev)·U_h)
#   h_t = z * h_prev + (1 - z) * candidate
# ---------------------------------------------------------------------------


def gru_forward(weights, x):
    """Run a GRU over a batch x (batch, T, features) in float64, keeping every gate.

    Returns a dict of arrays (batch, T, units): update_gate, reset_gate, candidate,
    hidden_state and h_prev.
    """
    batch, timesteps, _ = x.shape
    units = weights["units"]
    h = np.zeros((batch, units))
    names = ("update_gate", "reset_gate", "candidate", "hidden_state")
    keep = {name: np.zeros((batch, timesteps, units)) for name in names + ("h_prev",)}
    for t in range(timesteps):
        keep["h_prev"][:, t] = h
        step = cells.gru_step(x[:, t], h, weights["kernel"], weights["recurrent_kernel"], weights["bias"],
                              reset_after=weights["reset_after"], activation=weights["activation"],
                              recurrent_activation=weights["recurrent_activation"])
        for name in names:
            keep[name][:, t] = getattr(step, name)
        h = step.hidden_state
    return keep


def gru_backward(layer, x, d_outputs):
    """BPTT through a GRU layer (or its weights dict), by hand; reset_after True or False.

    Arguments as in `simple_rnn_backward`. Returns a dict: kernel (features, 3·units),
    recurrent_kernel (units, 3·units), bias ((2, 3·units) with reset_after=True: row 0 the
    input bias, row 1 the recurrent bias; (3·units,) otherwise), dx, dh (dL/dh_t per step),
    dh_initial, and forward (the gates and states of the forward pass).
    """
    weights = float64_weights(layer)
    W, U = weights["kernel"], weights["recurrent_kernel"]
    act_derivative = DERIVATIVES[weights["activation"]]
    gate_derivative = DERIVATIVES[weights["recurrent_activation"]]
    units, reset_after = weights["units"], weights["reset_after"]
    U_gates, U_candidate = U[:, : 2 * units], U[:, 2 * units :]  # z and r columns; h columns
    recurrent_bias = weights["bias"][1] if reset_after else np.zeros(3 * units)
    x, d_outputs, one_window = _as_batch(x, d_outputs, units)
    batch, timesteps, _ = x.shape
    fwd = gru_forward(weights, x)

    dW, dU = np.zeros_like(W), np.zeros_like(U)
    d_input_bias, d_recurrent_bias = np.zeros(3 * units), np.zeros(3 * units)
    dx = np.zeros_like(x)
    dh_per_step = np.zeros_like(d_outputs)
    dh_next = np.zeros((batch, units))  # arriving at h_t from step t+1
    for t in reversed(range(timesteps)):
        update_gate, reset_gate = fwd["update_gate"][:, t], fwd["reset_gate"][:, t]
        candidate, h_prev = fwd["candidate"][:, t], fwd["h_prev"][:, t]

        dh = d_outputs[:, t] + dh_next  # this step's output, plus what came back from step t+1
        d_update_gate = dh * (h_prev - candidate)  # h = z * h_prev + (1 - z) * candidate
        d_candidate = dh * (1.0 - update_gate)
        dh_prev = dh * update_gate  # the direct path back to h_{t-1}: times z
        dpre_candidate = d_candidate * act_derivative(candidate)  # through the candidate's tanh

        if reset_after:  # candidate = tanh(x·W_h + b_h + r * (h_prev·U_h + b'_h))
            memory_candidate = h_prev @ U_candidate + recurrent_bias[2 * units :]
            d_reset_gate = dpre_candidate * memory_candidate
            d_memory_candidate = dpre_candidate * reset_gate  # gradient on h_prev·U_h + b'_h
            dh_prev = dh_prev + d_memory_candidate @ U_candidate.T
            dU[:, 2 * units :] += h_prev.T @ d_memory_candidate
        else:  # candidate = tanh(x·W_h + b_h + (r * h_prev)·U_h)
            d_reset_hidden = dpre_candidate @ U_candidate.T  # gradient on r * h_prev
            d_reset_gate = d_reset_hidden * h_prev
            dh_prev = dh_prev + d_reset_hidden * reset_gate
            dU[:, 2 * units :] += (reset_gate * h_prev).T @ dpre_candidate
            d_memory_candidate = np.zeros_like(dpre_candidate)

        dpre_update = d_update_gate * gate_derivative(update_gate)  # through each gate's sigmoid
        dpre_reset = d_reset_gate * gate_derivative(reset_gate)
        dpre_gates = np.concatenate([dpre_update, dpre_reset], axis=-1)
        dpre_input = np.concatenate([dpre_gates, dpre_candidate], axis=-1)  # on x·W + b, Keras order z, r, h
        dpre_memory = np.concatenate([dpre_gates, d_memory_candidate], axis=-1)  # on h_prev·U + b'

        dW += x[:, t].T @ dpre_input
        dU[:, : 2 * units] += h_prev.T @ dpre_gates
        d_input_bias += dpre_input.sum(axis=0)
        d_recurrent_bias += dpre_memory.sum(axis=0)
        dx[:, t] = dpre_input @ W.T
        dh_next = dh_prev + dpre_gates @ U_gates.T  # back to h_{t-1}: direct, candidate and gate paths
        dh_per_step[:, t] = dh
    db = np.stack([d_input_bias, d_recurrent_bias]) if reset_after else d_input_bias
    result = _finish({"kernel": dW, "recurrent_kernel": dU, "bias": db, "dx": dx, "dh": dh_per_step,
                      "dh_initial": dh_next}, one_window)
    result["forward"] = {name: (value[0] if one_window else value) for name, value in fwd.items()}
    return result


def hidden_states(layer, x):
    """The layer's hidden states h_1..h_T for a batch x (batch, T, features), float64: (batch, T, units)."""
    weights = float64_weights(layer)
    x = np.asarray(x, dtype=np.float64)
    if weights["kind"] == "simple_rnn":
        return simple_rnn_forward(weights, x)[:, 1:]
    forward = lstm_forward if weights["kind"] == "lstm" else gru_forward
    return forward(weights, x)["hidden_state"]


def backward(layer, x, d_outputs):
    """BPTT through any of the three layers: simple_rnn_backward, lstm_backward or gru_backward."""
    kind = float64_weights(layer)["kind"]
    by_kind = {"simple_rnn": simple_rnn_backward, "lstm": lstm_backward, "gru": gru_backward}
    return by_kind[kind](layer, x, d_outputs)


def keras_gradients(layer, grads):
    """The weight gradients in the order of layer.trainable_weights (bias left out when use_bias=False)."""
    cell = getattr(layer, "cell", layer)
    names = ["kernel", "recurrent_kernel"] + (["bias"] if cell.use_bias else [])
    return [grads[name] for name in names]
