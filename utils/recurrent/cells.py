"""Look inside a recurrent cell: NumPy copies of Keras's SimpleRNN, LSTM and GRU steps.

Why a breakpoint inside Keras never shows a gate: `model.fit` and `model.predict` run a
compiled TensorFlow graph, so the Python debugger never steps through the arithmetic of
a time step. (On a CPU, Keras 3 runs LSTM and GRU as a generic loop over the time steps
inside that graph; the fused cuDNN kernel is used only on a GPU, see `cudnn_ok` in
keras/src/backend/tensorflow/rnn.py. A SimpleRNN never had a fused kernel.)
The functions here do the same arithmetic as Keras in plain NumPy, one time step at a
time, with every gate stored in a local variable named for what it is.
utils/recurrent/bptt.py runs the same cells backward (backpropagation through time).

How to use it in a debugger
---------------------------
1. Train (or just build) a Keras layer, e.g. `lstm = model.layers[0]`.
2. Put a breakpoint inside `lstm_step`, on the line that computes `cell_state`:
   the three gates and the candidate are computed above it, so when the debugger stops
   there they are all visible already.
3. Run `trace = run_cell(lstm, x_train[0])`: at every stop the Variables pane (or pdb's
   `p forget_gate`) shows `input_gate`, `forget_gate`, `candidate` and `output_gate`
   for the current time step (one value per unit); one more step shows `cell_state`.
   For a GRU, stop in `gru_step` on the line that computes `hidden_state` (the update
   gate, reset gate and candidate exist there); for a SimpleRNN, in `simple_rnn_step`
   on `hidden_state`.
   README.md's pdb commands name the LSTM and GRU lines by number: move them, update it.

`run_cell` returns the whole trace, one array of shape (timesteps, units) per gate
and state; `trace["hidden_state"]` equals the layer's output with
`return_sequences=True` (to about 1e-6). utils/showing/gate_views.py prints and draws
a trace; utils/recurrent/parameters.py explains the layer's parameter count.

Every step function works on one sample (`x_t` of shape (features,), states of
shape (units,)) or on a batch (shapes (batch, features) and (batch, units)).
"""

from typing import NamedTuple

import numpy as np

# ---------------------------------------------------------------------------
# Activations (float32 in, float32 out, like Keras)
# ---------------------------------------------------------------------------


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)): squashes any number into (0, 1).

    Written as 0.5 * (1 + tanh(x / 2)), which is the same function but never
    overflows for large negative x.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def relu(x):
    """max(x, 0), element by element."""
    return np.maximum(x, 0)


def linear(x):
    """The identity: no activation at all."""
    return x


# Keras activation names that the mirrors can copy exactly.
ACTIVATIONS = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": relu, "linear": linear}


# ---------------------------------------------------------------------------
# One time step of each cell
# ---------------------------------------------------------------------------


class SimpleRNNStep(NamedTuple):
    """What one SimpleRNN step computes."""

    hidden_state: np.ndarray


class LSTMStep(NamedTuple):
    """What one LSTM step computes (each field has shape (units,) for one sample)."""

    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    candidate: np.ndarray
    cell_state: np.ndarray
    hidden_state: np.ndarray


class GRUStep(NamedTuple):
    """What one GRU step computes (each field has shape (units,) for one sample)."""

    update_gate: np.ndarray
    reset_gate: np.ndarray
    candidate: np.ndarray
    hidden_state: np.ndarray


def simple_rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias, activation=np.tanh):
    """One SimpleRNN step: h_t = activation(x_t · W + h_prev · U + b).

    Shapes: kernel W (features, units), recurrent_kernel U (units, units), bias (units,).
    Returns a `SimpleRNNStep` whose only field is `hidden_state`.
    """
    from_input = x_t @ kernel + bias
    from_memory = h_prev @ recurrent_kernel
    hidden_state = activation(from_input + from_memory)
    return SimpleRNNStep(hidden_state=hidden_state)


def lstm_step(
    x_t,
    h_prev,
    c_prev,
    kernel,
    recurrent_kernel,
    bias,
    activation=np.tanh,
    recurrent_activation=sigmoid,
):
    """One LSTM step, in Keras's layout.

    Shapes: kernel (features, 4·units), recurrent_kernel (units, 4·units), bias (4·units,).
    The 4·units columns hold the three gates and the candidate, in the order i, f, c, o:
    input gate, forget gate, candidate (Keras calls it "c"), output gate.

    Returns an `LSTMStep` with input_gate, forget_gate, output_gate, candidate,
    cell_state and hidden_state.
    """
    # Weighted sums for the three gates and the candidate at once, cut in Keras's order i, f, c, o.
    weighted_sums = x_t @ kernel + h_prev @ recurrent_kernel + bias
    sum_input, sum_forget, sum_candidate, sum_output = np.split(weighted_sums, 4, axis=-1)

    input_gate = recurrent_activation(sum_input)  # how much of the candidate to write (0..1)
    forget_gate = recurrent_activation(sum_forget)  # how much of the old cell state to keep (0..1)
    candidate = activation(sum_candidate)  # the new content proposed at this step (-1..1)
    output_gate = recurrent_activation(sum_output)  # how much of the cell state to show (0..1)

    # A breakpoint on the next line stops with the three gates and the candidate already computed.
    cell_state = forget_gate * c_prev + input_gate * candidate  # the long-term memory
    hidden_state = output_gate * activation(cell_state)  # the output at this step
    return LSTMStep(input_gate, forget_gate, output_gate, candidate, cell_state, hidden_state)


def gru_step(
    x_t,
    h_prev,
    kernel,
    recurrent_kernel,
    bias,
    reset_after=True,
    activation=np.tanh,
    recurrent_activation=sigmoid,
):
    """One GRU step, in Keras's layout (columns in the order z, r, h).

    Shapes: kernel (features, 3·units), recurrent_kernel (units, 3·units).
    With reset_after=True (the Keras default) bias has shape (2, 3·units):
    row 0 is added to the input part, row 1 to the recurrent part.
    With reset_after=False bias has shape (3·units,).

    Returns a `GRUStep` with update_gate, reset_gate, candidate and hidden_state.

    The update rule: h = z * h_prev + (1 - z) * candidate, so z = 1 keeps the OLD state.
    That is how Cho et al. (2014, arXiv 1406.1078) write it, and how Keras computes it.
    Many textbooks write the opposite convention, h = (1 - z) * h_prev + z * candidate:
    the same model with z replaced by 1 - z.

    Where the reset gate acts (the `reset_after` flag):
    * reset_after=True (Keras 3's default) applies it AFTER the recurrent matrix product:
      candidate = tanh(x·W_h + b_h + r * (h_prev·U_h + b'_h)). Keras's GRU docstring
      attributes this variant to the original arXiv 1406.1078v1 and notes that it is the
      one cuDNN supports; it needs the second bias row b'_h, because b'_h sits inside r * (...).
    * reset_after=False applies it BEFORE: candidate = tanh(x·W_h + (r * h_prev)·U_h + b_h),
      which Keras's docstring attributes to arXiv 1406.1078v3. (That docstring still calls
      this variant "the default"; in Keras 3 the default is reset_after=True.)
    """
    units = recurrent_kernel.shape[0]
    if reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, np.zeros(3 * units, dtype=bias.dtype)

    from_input = x_t @ kernel + input_bias
    input_update, input_reset, input_candidate = np.split(from_input, 3, axis=-1)
    candidate_kernel = recurrent_kernel[:, 2 * units :]

    from_memory = h_prev @ recurrent_kernel[:, : 2 * units] + recurrent_bias[: 2 * units]
    memory_update, memory_reset = np.split(from_memory, 2, axis=-1)

    update_gate = recurrent_activation(input_update + memory_update)  # 1 = keep the old state
    reset_gate = recurrent_activation(input_reset + memory_reset)  # 0 = ignore the old state

    if reset_after:  # Keras default: reset the product h_prev · U_h
        memory_candidate = reset_gate * (h_prev @ candidate_kernel + recurrent_bias[2 * units :])
    else:  # reset_after=False: reset h_prev first, then multiply
        memory_candidate = (reset_gate * h_prev) @ candidate_kernel
    candidate = activation(input_candidate + memory_candidate)

    # A breakpoint on the next line stops with both gates and the candidate already computed.
    # z = 1 keeps the old state (Cho et al. 2014 and Keras); many textbooks flip z.
    hidden_state = update_gate * h_prev + (1 - update_gate) * candidate
    return GRUStep(update_gate, reset_gate, candidate, hidden_state)


# ---------------------------------------------------------------------------
# A whole sequence through a Keras layer's own weights
# ---------------------------------------------------------------------------


def _activation_function(keras_activation, role):
    """The NumPy copy of a Keras activation, or a ValueError naming what is supported."""
    name = getattr(keras_activation, "__name__", repr(keras_activation))
    if name not in ACTIVATIONS:
        raise ValueError(
            f"the layer's {role} is {name!r}; the NumPy mirror supports only "
            f"{', '.join(sorted(ACTIVATIONS))}"
        )
    return ACTIVATIONS[name]


def _cell_kind(cell):
    """'simple_rnn', 'lstm' or 'gru' for a Keras cell, else a ValueError."""
    import keras

    if isinstance(cell, keras.layers.LSTMCell):
        return "lstm"
    if isinstance(cell, keras.layers.GRUCell):
        return "gru"
    if isinstance(cell, keras.layers.SimpleRNNCell):
        return "simple_rnn"
    raise ValueError(
        f"expected a keras SimpleRNN, LSTM or GRU layer, got {type(cell).__name__}"
    )


def cell_weights(layer):
    """The weights of a built Keras SimpleRNN / LSTM / GRU layer, as float32 NumPy arrays.

    Returns a dict: kind ('simple_rnn', 'lstm' or 'gru'), units, kernel,
    recurrent_kernel, bias (zeros when use_bias=False), reset_after (GRU only),
    activation and recurrent_activation (NumPy functions; SimpleRNN has no
    recurrent_activation).
    """
    cell = getattr(layer, "cell", layer)
    kind = _cell_kind(cell)
    if not layer.built:
        raise ValueError(
            f"layer {layer.name!r} has no weights yet: call it on data (or model.fit) first"
        )
    if getattr(layer, "go_backwards", False):
        raise ValueError("go_backwards=True is not supported by the NumPy mirror")

    kernel = np.asarray(cell.kernel, dtype=np.float32)
    recurrent_kernel = np.asarray(cell.recurrent_kernel, dtype=np.float32)
    reset_after = bool(getattr(cell, "reset_after", False))
    if cell.use_bias:
        bias = np.asarray(cell.bias, dtype=np.float32)
    else:
        bias_shape = (2, kernel.shape[1]) if reset_after else (kernel.shape[1],)
        bias = np.zeros(bias_shape, dtype=np.float32)

    weights = {
        "kind": kind,
        "units": recurrent_kernel.shape[0],
        "kernel": kernel,
        "recurrent_kernel": recurrent_kernel,
        "bias": bias,
        "activation": _activation_function(cell.activation, "activation"),
    }
    if kind != "simple_rnn":
        weights["recurrent_activation"] = _activation_function(
            cell.recurrent_activation, "recurrent_activation"
        )
    if kind == "gru":
        weights["reset_after"] = reset_after
    return weights


def _one_sequence(x_sequence, features):
    """x_sequence as a float32 array of shape (timesteps, features), or a clear ValueError."""
    sequence = np.asarray(x_sequence, dtype=np.float32)
    if sequence.ndim == 3 and sequence.shape[0] == 1:
        sequence = sequence[0]  # a batch of one sample, e.g. x[0:1]
    if sequence.ndim == 1 and features == 1:
        sequence = sequence[:, np.newaxis]  # a plain series window
    if sequence.ndim != 2 or sequence.shape[1] != features or len(sequence) == 0:
        raise ValueError(
            f"expected one sample of shape (timesteps, {features}), got shape "
            f"{np.shape(x_sequence)}; pass x[i], not the whole batch x"
        )
    return sequence


def run_cell(layer, x_sequence):
    """Run one sample through a Keras SimpleRNN / LSTM / GRU layer's weights, step by step.

    layer: a built keras.layers.SimpleRNN, LSTM or GRU (or keras.layers.RNN around one
    of their cells). x_sequence: one sample, shape (timesteps, features).
    The state starts at zeros, as in Keras.

    Returns a dict of float32 arrays of shape (timesteps, units), one per field of the
    step's result:
      SimpleRNN: hidden_state
      LSTM:      input_gate, forget_gate, output_gate, candidate, cell_state, hidden_state
      GRU:       update_gate, reset_gate, candidate, hidden_state
    trace["hidden_state"] is what the layer outputs with return_sequences=True;
    trace["hidden_state"][-1] is its output without it.
    """
    weights = cell_weights(layer)
    kind = weights["kind"]
    sequence = _one_sequence(x_sequence, features=weights["kernel"].shape[0])
    matrices = (weights["kernel"], weights["recurrent_kernel"], weights["bias"])

    hidden_state = np.zeros(weights["units"], dtype=np.float32)
    cell_state = np.zeros(weights["units"], dtype=np.float32)
    steps = []
    for x_t in sequence:
        if kind == "lstm":
            step = lstm_step(
                x_t, hidden_state, cell_state, *matrices,
                activation=weights["activation"],
                recurrent_activation=weights["recurrent_activation"],
            )
            cell_state = step.cell_state
        elif kind == "gru":
            step = gru_step(
                x_t, hidden_state, *matrices,
                reset_after=weights["reset_after"],
                activation=weights["activation"],
                recurrent_activation=weights["recurrent_activation"],
            )
        else:
            step = simple_rnn_step(x_t, hidden_state, *matrices, activation=weights["activation"])
        hidden_state = step.hidden_state
        steps.append(step)

    return {name: np.stack([getattr(step, name) for step in steps]) for name in steps[0]._fields}
