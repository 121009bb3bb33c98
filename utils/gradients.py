"""Measure vanishing and exploding gradients, and make the adding problem and the recall task.

Three questions from the lecture become numbers here:

* How much does the loss still "feel" an input that came many steps ago?
  `input_gradient_norms` answers with the size of d loss / d x_t for every input
  time step t. Backpropagation through time multiplies one Jacobian per step
  (d h_t / d h_{t-1}), so if those factors are mostly smaller than 1 the early
  steps' gradients shrink geometrically (vanish); if larger than 1 they grow (explode).
* Can a network remember something for T steps? `make_adding_task` builds the adding
  problem (Hochreiter & Schmidhuber 1997): add the two numbers that carry a marker,
  one in the first half of the sequence and one in the second. `make_recall_task`
  builds an easier task whose answer sits only in the FIRST time step; a SimpleRNN can
  solve it with a shortcut (it latches the first value in a saturated state), so it
  does not measure long-term memory in general.
* Along the LSTM's cell state, how much of step t survives to step T? `keep_gate_path`
  multiplies the forget gates (or a GRU's update gates) read from a NumPy trace of the
  cell (utils.cells.run_cell): the factor per step the lecture talks about, measured.

The remaining helpers summarise a gradient profile (`gradient_ratio`) and make a
loss history printable and plottable when it contains inf or NaN (`first_nan_epoch`).

How to use it in a debugger
---------------------------
Put a breakpoint on the `gradients = tape.gradient(...)` line in
`_tensorflow_input_gradients` and look at `per_sample_losses` and `gradients`: the
gradient has the same shape as x, (samples, timesteps, features).
"""

import math

import numpy as np


ADDING_MEAN_BASELINE_MSE = 1.0 / 6.0  # the MSE of always predicting the mean sum, 1.0 (see make_adding_task)


def make_adding_task(n_samples, timesteps, rng):
    """The adding problem: X of shape (n, T, 2) and targets y of shape (n,).

    Feature 0 of every step is a number drawn uniformly from [0, 1). Feature 1 is a marker:
    it is 1 at exactly two steps and 0 elsewhere. The first marked step is drawn uniformly
    from the first half of the sequence (steps 0 .. ceil(T/2)-1, 0-based), the second from
    the rest. The target is the sum of the two marked numbers.

    Why it measures long-term memory without a shortcut: the network does not know in
    advance which steps count, so it must notice the first marker when it comes, hold that
    number through on average about T/2 steps of distracting numbers, and add the second.
    The first marked number is independent of everything after it.

    The score to beat: the sum of two independent uniform numbers has mean 1 and variance
    2 x 1/12 = 1/6, so always predicting 1.0 has an expected MSE of 1/6 (about 0.167,
    ADDING_MEAN_BASELINE_MSE). Remembering only the second number (predicting it + 0.5)
    scores 1/12 (about 0.083): an MSE well below 0.083 needs the first number too.

    n_samples: 1 or more; timesteps: 2 or more; rng: a numpy Generator (same seed, same data).
    Returns (X float32 (n, T, 2), y float32 (n,)).
    """
    n_samples, timesteps = int(n_samples), int(timesteps)
    if n_samples < 1 or timesteps < 2:
        raise ValueError(f"the adding problem needs n_samples >= 1 and timesteps >= 2, got {n_samples} and {timesteps}")
    half = (timesteps + 1) // 2
    values = rng.uniform(0.0, 1.0, size=(n_samples, timesteps))
    first = rng.integers(0, half, size=n_samples)  # a step in the first half
    second = rng.integers(half, timesteps, size=n_samples)  # a step in the second half
    markers = np.zeros((n_samples, timesteps))
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return X, y


def keep_gate_path(trace, gate="forget_gate"):
    """The product of a "keep" gate from every step to the last: the factor the gates put on memory.

    trace: the dict of utils.cells.run_cell for ONE sequence, e.g. run_cell(lstm_layer, x[0]);
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
        raise ValueError(f"the trace has no {gate!r}; it has {sorted(trace)} (forget_gate: LSTM, update_gate: GRU)")
    gates = np.asarray(trace[gate], dtype=np.float64)
    if gates.ndim != 2:
        raise ValueError(f"trace[{gate!r}] must have shape (timesteps, units), got {gates.shape}; trace one sequence, not a batch")
    # P[t] = g[t+1] * g[t+2] * ... * g[T-1]: a reversed cumulative product, shifted by one step.
    after = np.cumprod(gates[::-1], axis=0)[::-1]  # after[t] = g[t] * ... * g[T-1]
    return np.vstack([after[1:], np.ones((1, gates.shape[1]))])


def make_recall_task(n_samples, timesteps, rng, noise_std=1.0):
    """The "recall the first value" task: X of shape (n, T, 1) and labels y in {0, 1}.

    Not a fair test of long-term memory: the only cue sits at step 1, right after the zero
    starting state, and a SimpleRNN can latch it by saturating (tanh near +-1) and then
    ignore everything else. Use make_adding_task to compare cells' memory.

    Where the label comes from: ONLY the first time step. X[i, 0, 0] is +1 or -1 (a fair
    coin) and y[i] = 1 if X[i, 0, 0] > 0 else 0. Steps 1 .. T-1 are distraction noise,
    drawn from a normal distribution with standard deviation `noise_std`, independent of
    the label. A model that forgets the first step can do no better than chance (0.5).

    n_samples, timesteps: whole numbers of 1 or more; rng: a numpy Generator, e.g.
    np.random.default_rng(42) (the same seed gives the same data).
    Returns (X float32 (n, T, 1), y float32 (n,)).
    """
    if int(n_samples) < 1 or int(timesteps) < 1:
        raise ValueError(f"n_samples and timesteps must be 1 or more, got {n_samples} and {timesteps}")
    first_value = rng.choice(np.array([-1.0, 1.0]), size=n_samples)  # the only thing to remember
    X = rng.normal(0.0, noise_std, size=(n_samples, timesteps, 1))  # the distraction
    X[:, 0, 0] = first_value
    y = (first_value > 0).astype(np.float32)
    return X.astype(np.float32), y


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
        raise NotImplementedError("weight_gradient_norms needs the TensorFlow backend (KERAS_BACKEND=tensorflow)")
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


def stop_when_metric_reaches(model, threshold, metric="val_loss", below=True):
    """A Keras callback that ends `model.fit` after the first epoch whose `metric` reaches `threshold`.

    below=True: stop when metric <= threshold (a loss); below=False: when metric >= threshold
    (an accuracy). A task that is solved does not need the rest of the epochs; one that is not
    solved still gets every epoch, so each model gets the same chance. Use a validation metric:
    the decision to stop must not look at the test data. Returns a keras.callbacks.LambdaCallback;
    `callback.stopped_at` is the epoch (1-based) or None.
    """
    import keras

    def check(epoch, logs):
        value = (logs or {}).get(metric)
        if value is not None and (value <= threshold if below else value >= threshold):
            callback.stopped_at = epoch + 1
            model.stop_training = True

    callback = keras.callbacks.LambdaCallback(on_epoch_end=check)
    callback.stopped_at = None
    return callback


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


def first_nan_epoch(losses):
    """The 1-based epoch at which a loss history first becomes NaN or infinite, or None."""
    for epoch, loss in enumerate(losses, start=1):
        if not np.isfinite(loss):
            return epoch
    return None


# ---------------------------------------------------------------------------
# Plots (saved with utils.plotting.save_figure)
# ---------------------------------------------------------------------------

CELL_COLORS = {"SimpleRNN": "tab:red", "LSTM": "tab:blue", "GRU": "tab:green"}


def line_style(variant):
    """Colour by cell type, dotted for a variant such as "LSTM, gates open"."""
    cell = variant.split(",")[0]
    return {"color": CELL_COLORS.get(cell), "linestyle": ":" if "," in variant else "-"}


def plot_gradient_norms(profiles, title, xlabel="input time step t (1 = the first step of the sequence)"):
    """Gradient norm per input time step on a log scale: one panel per curve kind, one line per variant.

    profiles: {variant name: {panel label: norms of shape (timesteps,)}}, e.g.
    {"LSTM": {"fresh": ..., "after training": ...}, "LSTM, gates open": {...}}. A variant named
    "<cell>, <what>" is drawn dotted in its cell's colour. Time steps go from 1 (the first input) to T.
    A panel whose norms are all NaN (e.g. a variant that was not trained) draws no line.
    """
    from utils.plotting import plt

    panels = list(next(iter(profiles.values())))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5), sharey=True, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for variant, curves in profiles.items():
            norms = np.asarray(curves[panel], dtype=np.float64)
            steps = np.arange(1, len(norms) + 1)
            ax.plot(steps, np.where(norms > 0, norms, np.nan), linewidth=2, label=variant, **line_style(variant))
            if (norms == 0).any() and (norms > 0).any():  # float32 underflow: log(0) cannot be drawn
                first_drawn = int(np.argmax(norms > 0))
                ax.annotate(f"{variant}: exactly 0 before t={first_drawn + 1}", (steps[first_drawn], norms[first_drawn]),
                            textcoords="offset points", xytext=(8, 2), color=line_style(variant)["color"], fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(panel)
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("mean ‖∂loss/∂x_t‖ (log scale)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def plot_mse_by_length(lengths, errors, baselines=None, title="Test MSE"):
    """Test MSE against sequence length T on a log scale, one line per variant, baselines as dashed lines.

    lengths: the T values; errors: {variant name: [MSE for each T]}; baselines: {label: MSE}.
    """
    from utils.plotting import plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for variant, values in errors.items():
        ax.plot(lengths, values, marker="o", linewidth=2, label=variant, **line_style(variant))
    for (label, value), style in zip((baselines or {}).items(), ("--", "-.", ":")):
        ax.axhline(value, color="0.3", linestyle=style, linewidth=1, label=f"{label} ({value:.3f})")
    ax.set_xticks(list(lengths))
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T (first marked number in the first half, second in the second half)")
    ax.set_ylabel("test MSE (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_losses_with_nan(curves, title, xlabel="epoch (0 = before training)", reference=None, ax=None):
    """Loss curves on a log scale where NaN or inf losses are marked, not silently dropped.

    curves: {label: losses}, losses[0] drawn at x = 0. A loss that is inf or NaN is drawn
    as an "x" on the top edge of the plot, joined by a dotted line to the last finite loss
    before it, and labelled where it first happens. reference: an optional (value, label)
    drawn as a horizontal dotted line, e.g. the loss of a trivial prediction.
    Returns the figure (a new one unless `ax` is given).
    """
    from utils.plotting import plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    finite_values = [v for losses in curves.values() for v in losses if np.isfinite(v) and v > 0]
    top = max(finite_values) * 10 if finite_values else 10.0
    for label, losses in curves.items():
        losses = np.asarray(losses, dtype=np.float64)
        steps = np.arange(len(losses))
        finite = np.isfinite(losses)
        line, = ax.plot(steps, np.where(finite, losses, np.nan), marker="o", markersize=5, label=label)
        if not finite.all():
            ax.plot(steps[~finite], np.full((~finite).sum(), top), linestyle="none", marker="x",
                    markersize=9, markeredgewidth=2, color=line.get_color())
            first_bad = int(steps[~finite][0])
            if first_bad > 0 and finite[first_bad - 1]:  # the jump from the last finite loss
                ax.plot([first_bad - 1, first_bad], [losses[first_bad - 1], top], linestyle=":", color=line.get_color())
            word = "NaN" if np.isnan(losses[first_bad]) else "inf"
            ax.annotate(f"{label}: loss is {word} from here on", (first_bad, top), textcoords="offset points",
                        xytext=(6, -14), color=line.get_color(), fontsize=8)
    if reference is not None:
        ax.axhline(reference[0], color="0.4", linestyle=":", linewidth=1, label=reference[1])
    ax.set_yscale("log")
    ax.set_ylim(top=top * 3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training loss (log scale)")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig
