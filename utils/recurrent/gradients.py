"""Measure vanishing and exploding gradients (the tasks they are measured on: memory_tasks.py).

Three questions from the lecture become numbers here:

* How much does the loss still "feel" an input that came many steps ago?
  `input_gradient_norms` answers with the size of d loss / d x_t for every input
  time step t. Backpropagation through time multiplies one Jacobian per step
  (d h_t / d h_{t-1}), so if those factors are mostly smaller than 1 the early
  steps' gradients shrink geometrically (vanish); if larger than 1 they grow (explode).
* Can a network remember something for T steps? memory_tasks.py's `make_adding_task` builds
  a simpler form of Hochreiter & Schmidhuber's (1997) adding problem: add the two marked numbers,
  one in the first half of the sequence and one in the second. Its `make_recall_task`
  builds an easier task whose answer sits only in the FIRST time step; a SimpleRNN can
  solve it with a shortcut (it latches the first value in a saturated state), so it
  does not measure long-term memory in general.
* Along the LSTM's cell state, how much of step t survives to step T? `keep_gate_path`
  multiplies the forget gates (or a GRU's update gates) read from a NumPy trace of the
  cell (utils.recurrent.cells.run_cell): the factor per step the lecture talks about, measured.

`gradient_ratio` summarises a gradient profile in one number; `weight_gradient_norms` gives
the size of the gradient on each weight tensor; `memory_gate_bias` starts a gated cell with
its keep-gate open.

How to use it in a debugger
---------------------------
Put a breakpoint on the `gradients = tape.gradient(...)` line in
`_tensorflow_input_gradients` and look at `per_sample_losses` and `gradients`: the
gradient has the same shape as x, (samples, timesteps, features).
"""

import math

import numpy as np


def keep_gate_path(trace, gate="forget_gate"):
    """The product of a "keep" gate from every step to the last: the factor the gates put on memory.

    trace: the dict of utils.recurrent.cells.run_cell for ONE sequence, e.g. run_cell(lstm_layer, x[0]);
    gate: "forget_gate" for an LSTM, "update_gate" for a GRU (in Keras's GRU an update gate
    near 1 keeps the old state).

    Returns a float64 array P of shape (timesteps, units): P[t, u] = the product of
    trace[gate][s, u] over s = t+1 .. T-1 (0-based steps; P[T-1] = 1, an empty product).

    What it is, exactly. The LSTM's cell state is updated by c_s = f_s * c_{s-1} + i_s * g_s.
    Hold the gates f, i, g fixed (treat them as given numbers) and c_s depends on c_{s-1}
    only through f_s, so dc_T/dc_t = diag(P[t]): a diagonal matrix, no weight matrix, no
    tanh'. That is the "cell-state path" of the lecture. The full Jacobian of the trained
    LSTM also has paths through the hidden state (c_{s-1} -> h_{s-1} -> the gates at step s),
    which this product leaves out; tests/test_gradients.py checks the product against
    tf.GradientTape on Keras's own LSTM cell with the gates' inputs held fixed.
    For the GRU, h_s = z_s * h_{s-1} + (1 - z_s) * candidate_s: with z and the candidate held
    fixed, dh_T/dh_t = diag(P[t]) in the same way.
    """
    if gate not in trace:
        raise ValueError(
            f"the trace has no {gate!r}; it has {sorted(trace)} (forget_gate: LSTM, update_gate: GRU)"
        )
    gates = np.asarray(trace[gate], dtype=np.float64)
    if gates.ndim != 2:
        raise ValueError(
            f"trace[{gate!r}] must have shape (timesteps, units), got {gates.shape}; "
            "trace one sequence, not a batch"
        )
    # P[t] = g[t+1] * g[t+2] * ... * g[T-1]: a reversed cumulative product, shifted by one step.
    after = np.cumprod(gates[::-1], axis=0)[::-1]  # after[t] = g[t] * ... * g[T-1]
    return np.vstack([after[1:], np.ones((1, gates.shape[1]))])


def input_gradient_norms(model, x, y, loss_fn, per_sample=False):
    """The size of d loss / d x_t for every input time step t.

    model: a Keras model taking x of shape (samples, timesteps, features).
    x, y: the inputs and the targets (NumPy arrays or tensors); labels of shape
        (samples,) are reshaped to (samples, 1) to match a model with one output unit.
    loss_fn: a function (y_true, y_pred) -> the loss of EACH sample, shape (samples,),
        e.g. keras.losses.binary_crossentropy (the lower-case function; the
        BinaryCrossentropy class averages over the batch, which would divide every
        gradient by the batch size). Any function of y_pred works, e.g.
        `lambda y_true, y_pred: y_pred[:, 0]` takes the output itself as the "loss".

    What is measured: for sample i, l_i = loss_fn(y_i, model(x_i)) and the Euclidean
    norm over the features of d l_i / d x[i, t, :]. The model is called with
    training=False (no dropout), and samples do not interact, so the gradient of the
    summed loss with respect to x[i] is exactly d l_i / d x[i].

    Returns a float64 array: shape (timesteps,) with the MEAN over the samples of those
    norms (the default), or shape (samples, timesteps) with one row per sample when
    per_sample=True.

    Implemented for the TensorFlow backend (tf.GradientTape); other backends raise
    NotImplementedError.
    """
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise NotImplementedError(
            f"input_gradient_norms uses tf.GradientTape and needs the TensorFlow backend, "
            f"but Keras runs on {backend!r}; set KERAS_BACKEND=tensorflow"
        )
    gradients = _tensorflow_input_gradients(model, x, y, loss_fn)  # (samples, timesteps, features)
    norms = np.sqrt(np.sum(np.square(gradients.astype(np.float64)), axis=-1))  # (samples, timesteps)
    return norms if per_sample else norms.mean(axis=0)


def _tensorflow_input_gradients(model, x, y, loss_fn):
    """d (sum of per-sample losses) / d x with tf.GradientTape, as a NumPy array shaped like x."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x, dtype=tf.float32)
    if x.shape.rank != 3:
        raise ValueError(f"x must have shape (samples, timesteps, features), got {tuple(x.shape)}")
    y = tf.convert_to_tensor(y, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)  # x is not a weight, so the tape must be told to follow it
        predictions = model(x, training=False)
        if y.shape.rank == 1 and predictions.shape.rank == 2:
            y = tf.reshape(y, (-1, 1))  # labels (samples,) -> (samples, 1), like one output unit
        per_sample_losses = tf.convert_to_tensor(loss_fn(y, predictions))
        if per_sample_losses.shape.rank == 0 and x.shape[0] > 1:
            raise ValueError(
                "loss_fn returned one number for the whole batch; give it a per-sample loss "
                "such as keras.losses.binary_crossentropy (the function, not the class)"
            )
        total_loss = tf.reduce_sum(per_sample_losses)
    gradients = tape.gradient(total_loss, x)
    return gradients.numpy()


def weight_gradient_norms(model, x, y, loss_fn):
    """The norm of d loss / d w for every trainable weight tensor w, as {name: norm}.

    The loss is the MEAN of loss_fn's per-sample losses over x, as in one training step
    of `model.fit` on the batch (x, y). This is the gradient an optimizer's `clipnorm`
    acts on: with clipnorm=c, each weight tensor whose gradient norm is above c has its
    gradient rescaled to norm c, same direction (Keras clips each tensor on its own;
    global_clipnorm=c rescales all of them together so that their joint norm is at most c).
    The step then taken is the optimizer's: SGD moves by learning_rate x the clipped
    gradient, while Adam's step is set by its learning rate and moment estimates.

    Names are the weights' paths, e.g. 'sequential/simple_rnn/simple_rnn_cell/recurrent_kernel'.
    TensorFlow backend only (NotImplementedError otherwise).
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError(
            "weight_gradient_norms needs the TensorFlow backend (KERAS_BACKEND=tensorflow)"
        )
    import tensorflow as tf

    x = tf.convert_to_tensor(x, dtype=tf.float32)
    y = tf.convert_to_tensor(y, dtype=tf.float32)
    with tf.GradientTape() as tape:
        predictions = model(x, training=False)
        if y.shape.rank == 1 and predictions.shape.rank == 2:
            y = tf.reshape(y, (-1, 1))
        mean_loss = tf.reduce_mean(loss_fn(y, predictions))
    weights = model.trainable_variables
    gradients = tape.gradient(mean_loss, weights)
    return {w.path: float(tf.norm(g)) for w, g in zip(weights, gradients) if g is not None}


def memory_gate_bias(kind, units, value):
    """A bias initializer that starts a gated cell "remembering": its keep-gate at sigmoid(value).

    kind: 'LSTM' or 'GRU'. Keras starts the LSTM's forget gate at sigmoid(1) = 0.73 and the
    GRU's update gate (1 = keep the old state) at sigmoid(0) = 0.5, so at initialisation
    a gated cell keeps only 73 % (50 %) of its memory per step: 0.73^100 is about 2e-14.
    With value = 3 the gate starts at sigmoid(3) = 0.95. Every other bias starts at 0.

    Use: keras.layers.LSTM(units, unit_forget_bias=False, bias_initializer=memory_gate_bias("LSTM", units, 3))
         keras.layers.GRU(units, bias_initializer=memory_gate_bias("GRU", units, 3))
    (unit_forget_bias=False stops Keras from overwriting the forget-gate bias with 1.)
    Keras's column order: LSTM i, f, c, o (bias shape (4·units,)); GRU z, r, h (bias shape
    (2, 3·units) with the default reset_after=True, or (3·units,)); the value goes in the
    input-side row only, so the two GRU rows add up to `value`.
    """
    kind = str(kind).upper()
    if kind not in ("LSTM", "GRU"):
        raise ValueError(f"memory_gate_bias is for 'LSTM' or 'GRU', got {kind!r}")

    def initializer(shape, dtype=None):
        bias = np.zeros(shape, dtype="float32")
        if kind == "LSTM":
            bias[units:2 * units] = value  # the forget gate's block
        elif bias.ndim == 2:
            bias[0, :units] = value  # the update gate's block, input-side row
        else:
            bias[:units] = value
        return bias

    return initializer


def gradient_ratio(norms):
    """norm at the FIRST time step divided by the norm at the LAST one.

    1e-6 means the first input moves the loss a million times less than the last input;
    for a task whose answer is in the first step, a ratio well above 1 means the model
    has learned to listen to it. Returns inf if the last norm is 0, nan if both are.
    """
    norms = np.asarray(norms, dtype=np.float64)
    first, last = norms[0], norms[-1]
    if last == 0:
        return math.nan if first == 0 else math.inf
    return float(first / last)
