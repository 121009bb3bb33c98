"""The hand-written backward passes in utils/recurrent/bptt.py must equal tf.GradientTape on the same
Keras layer."""

import os
import subprocess
import sys
import textwrap

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.recurrent import bptt, sgd_by_hand

TIMESTEPS, FEATURES, UNITS, BATCH = 6, 3, 4, 5
ATOL = 1e-5
LAYERS = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}

if keras.backend.backend() != "tensorflow":  # the tape comparisons below need TensorFlow
    pytest.skip("these comparisons use tf.GradientTape; the JAX check runs in its own subprocess test",
                allow_module_level=True)

import tensorflow as tf  # noqa: E402


def build(kind, seed, dtype="float64", return_sequences=True, **options):
    """A built layer whose every weight (biases too) is random of size ~0.7, so no block hides."""
    layer = LAYERS[kind](UNITS, dtype=dtype, return_sequences=return_sequences, **options)
    layer.build((None, None, FEATURES))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.7, size=w.shape) for w in layer.get_weights()])
    return layer


def random(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


def tape_by_step(layer, x, d_outputs, d_last_cell=None):
    """tf.GradientTape through the layer's own Keras cell, one step at a time.

    Running the cell in a Python loop lets the tape also give dL/dh_t (and dL/dc_t) for every
    step; the test checks that this loop gives the same output as calling the layer.
    Loss = sum(outputs * d_outputs) (+ sum(c_T * d_last_cell)), so dL/d(outputs) = d_outputs.
    """
    cell = layer.cell
    x_tf = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x_tf)
        states = [
            tf.zeros((x.shape[0], UNITS), dtype=tf.float64)
            for _ in range(2 if isinstance(cell, keras.layers.LSTMCell) else 1)
        ]
        hidden, cells_ = [], []
        for t in range(x.shape[1]):
            output, states = cell(x_tf[:, t], states)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            for s in states:
                tape.watch(s)
            hidden.append(states[0])
            if len(states) == 2:
                cells_.append(states[1])
        outputs = tf.stack(hidden, axis=1)
        loss = tf.reduce_sum(outputs * d_outputs)
        if d_last_cell is not None:
            loss += tf.reduce_sum(cells_[-1] * d_last_cell)
    # (batch, T, units), or (batch, units) for the last state only
    from_layer = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(
        outputs.numpy() if layer.return_sequences else outputs.numpy()[:, -1], from_layer, atol=1e-10
    )
    weight_grads = tape.gradient(loss, layer.trainable_weights)
    result = {"weights": [g.numpy() for g in weight_grads], "dx": tape.gradient(loss, x_tf).numpy(),
              "dh": np.stack([g.numpy() for g in tape.gradient(loss, hidden)], axis=1)}
    if cells_:
        result["dc"] = np.stack([g.numpy() for g in tape.gradient(loss, cells_)], axis=1)
    return result


def assert_close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0, err_msg=what)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_every_gradient_equals_the_tape_for_every_step_outputs(kind):
    layer = build(kind, seed=1)
    x, d_outputs = random(2, BATCH, TIMESTEPS, FEATURES), random(3, BATCH, TIMESTEPS, UNITS)
    mine = bptt.backward(layer, x, d_outputs)
    tape = tape_by_step(layer, x, d_outputs)
    for name, expected in zip(("kernel", "recurrent_kernel", "bias"), tape["weights"]):
        assert mine[name].shape == expected.shape, name
        assert_close(mine[name], expected, name)
    assert_close(mine["dx"], tape["dx"], "dx")
    assert_close(mine["dh"], tape["dh"], "dh per step")
    if kind == "LSTM":
        assert_close(mine["dc"], tape["dc"], "dc per step")
    assert np.abs(mine["recurrent_kernel"]).max() > 1e-2  # not vacuous


@pytest.mark.parametrize("kind", list(LAYERS))
def test_last_state_only_for_one_window(kind):
    """return_sequences=False: only h_T gets a gradient; one window without a batch axis."""
    layer = build(kind, seed=4, return_sequences=False)
    x, d_last = random(5, TIMESTEPS, FEATURES), random(6, UNITS)
    mine = bptt.backward(layer, x, d_last)
    d_outputs = np.zeros((1, TIMESTEPS, UNITS))
    d_outputs[0, -1] = d_last
    tape = tape_by_step(layer, x[np.newaxis], d_outputs)
    for name, expected in zip(("kernel", "recurrent_kernel", "bias"), tape["weights"]):
        assert_close(mine[name], expected, name)
    assert mine["dx"].shape == (TIMESTEPS, FEATURES) and mine["dh"].shape == (TIMESTEPS, UNITS)
    assert_close(mine["dx"], tape["dx"][0], "dx")
    assert_close(mine["dh"], tape["dh"][0], "dh per step")


def test_gru_reset_before_and_lstm_cell_gradient():
    gru = build("GRU", seed=7, reset_after=False)
    x, d_outputs = random(8, BATCH, TIMESTEPS, FEATURES), random(9, BATCH, TIMESTEPS, UNITS)
    mine, tape = bptt.gru_backward(gru, x, d_outputs), tape_by_step(gru, x, d_outputs)
    assert mine["bias"].shape == (3 * UNITS,)
    for name, expected in zip(("kernel", "recurrent_kernel", "bias"), tape["weights"]):
        assert_close(mine[name], expected, name)
    assert_close(mine["dh"], tape["dh"], "dh")

    lstm = build("LSTM", seed=10)
    d_last_cell = random(11, BATCH, UNITS)
    mine = bptt.lstm_backward(lstm, x, np.zeros((BATCH, UNITS)), d_last_cell=d_last_cell)
    tape = tape_by_step(lstm, x, np.zeros((BATCH, TIMESTEPS, UNITS)), d_last_cell=d_last_cell)
    assert_close(mine["dc"], tape["dc"], "dc from a gradient on c_T")
    assert_close(mine["recurrent_kernel"], tape["weights"][1], "recurrent kernel")


@pytest.mark.parametrize("kind", list(LAYERS))
def test_float32_layer_with_a_dense_head_matches_the_tape(kind):
    """A normal float32 model [recurrent layer → Dense(2)], MSE loss, tape on model.trainable_weights."""
    keras.utils.set_random_seed(12)
    layer = LAYERS[kind](UNITS)
    dense = keras.layers.Dense(2)
    model = keras.Sequential([keras.Input((TIMESTEPS, FEATURES)), layer, dense])
    x = random(13, BATCH, TIMESTEPS, FEATURES).astype(np.float32)
    y = random(14, BATCH, 2).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x))
    expected = [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]

    # By hand: forward with the mirror, dL/dy, the Dense layer, then BPTT from the last state.
    last = bptt.hidden_states(layer, x)[:, -1]
    np.testing.assert_allclose(last, keras.ops.convert_to_numpy(layer(x)), atol=1e-5)
    y_pred = last @ np.asarray(dense.kernel, np.float64) + np.asarray(dense.bias, np.float64)
    dy = 2 * (y_pred - y) / y_pred.size
    mine = bptt.backward(layer, x, dy @ np.asarray(dense.kernel, np.float64).T)
    actual = bptt.keras_gradients(layer, mine) + [last.T @ dy, dy.sum(axis=0)]
    for a, e, w in zip(actual, expected, model.trainable_weights):
        assert_close(a, e, w.path)


@pytest.mark.parametrize(
    "kind, clip", [(kind, "global_clipnorm") for kind in LAYERS] + [("LSTM", "clipnorm")]
)
def test_one_training_step_by_hand_equals_keras_sgd(kind, clip):
    """Forward, BPTT, clipping, SGD update by hand == model.train_on_batch with keras SGD."""
    keras.utils.set_random_seed(15)
    layer, dense = LAYERS[kind](UNITS, dtype="float64"), keras.layers.Dense(1, dtype="float64")
    model = keras.Sequential([keras.Input((TIMESTEPS, FEATURES)), layer, dense])
    x, y = 2 * random(16, BATCH, TIMESTEPS, FEATURES), 3 + random(17, BATCH, 1)  # big errors: clipping acts
    clip_norm, learning_rate = 0.5, 0.1
    by_hand = sgd_by_hand.sgd_training_step(layer, dense, x, y, learning_rate, **{clip: clip_norm})

    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate, **{clip: clip_norm}), loss="mse", run_eagerly=True
    )
    keras_loss = model.train_on_batch(x, y)
    assert by_hand["loss"] == pytest.approx(float(keras_loss), rel=1e-6)  # Keras reports the loss as float32
    assert by_hand["grad_norm"] > clip_norm  # the clipping really changed the step
    if clip == "global_clipnorm":
        assert by_hand["clipped_norm"] == pytest.approx(clip_norm)
    else:  # each weight's gradient on its own is at most clip_norm; the global norm can be above it
        assert all(np.linalg.norm(g) <= clip_norm + 1e-9 for g in by_hand["gradients"])
    keras_weights = [w.numpy() for w in layer.trainable_weights + dense.trainable_weights]
    for mine, theirs in zip(by_hand["weights"][0] + by_hand["weights"][1], keras_weights):
        assert_close(mine, theirs, f"weights after one {clip} step")


def test_clipping_functions_follow_keras():
    gradients = [np.array([3.0, 4.0]), np.array([[12.0]])]  # norms 5 and 12, global norm 13
    clipped, norm = sgd_by_hand.clip_by_global_norm(gradients, 1.0)
    assert norm == pytest.approx(13.0)
    assert sgd_by_hand.global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped[0], [3 / 13, 4 / 13])  # one factor for all
    each = sgd_by_hand.clip_each_by_norm(gradients, 1.0)
    np.testing.assert_allclose(each[0], [0.6, 0.8])
    np.testing.assert_allclose(each[1], [[1.0]])
    unchanged, _ = sgd_by_hand.clip_by_global_norm(gradients, 20.0)
    np.testing.assert_array_equal(unchanged[1], gradients[1])


def test_bad_shapes_are_clear_errors():
    layer = build("SimpleRNN", seed=18)
    with pytest.raises(ValueError, match="d_outputs must have shape"):
        bptt.backward(layer, random(19, TIMESTEPS, FEATURES), random(20, TIMESTEPS + 1, UNITS))
    with pytest.raises(ValueError, match="one window"):
        bptt.backward(layer, random(21, TIMESTEPS), random(22, UNITS))


@pytest.mark.parametrize(
    "kind, function, stop_text, names",
    [
        ("SimpleRNN", bptt.simple_rnn_backward, "dpre = dh * activation_derivative(h)", ("dh", "dh_next")),
        ("LSTM", bptt.lstm_backward, "dc = dc_next + dh", ("dh", "dh_next", "dc_next")),
        ("GRU", bptt.gru_backward, "d_update_gate =", ("dh", "dh_next")),
    ],
)
def test_a_breakpoint_in_the_backward_loop_walks_back_one_step_per_stop(kind, function, stop_text, names):
    """Stopped inside the reversed loop, a student sees the named gradients of one time step per stop,
    from the last step back to the first: at the stop for step t, `dh` is the gradient the pass
    returns for h_t."""
    from debugger_stops import locals_at_each_stop

    layer = build(kind, seed=40)
    x = random(41, 1, TIMESTEPS, FEATURES)
    d_outputs = random(42, 1, TIMESTEPS, UNITS)
    stops, grads = locals_at_each_stop(function, stop_text, lambda: function(layer, x, d_outputs))
    assert [stop["t"] for stop in stops] == list(reversed(range(TIMESTEPS)))
    for stop in stops:
        assert set(names) <= set(stop), sorted(stop)
        np.testing.assert_allclose(stop["dh"], grads["dh"][:, stop["t"]], rtol=0, atol=1e-12)


JAX_CHECK = textwrap.dedent("""
    import jax, keras, numpy as np
    from utils import bptt
    jax.config.update("jax_enable_x64", True)
    for kind in ("SimpleRNN", "LSTM", "GRU"):
        layer = getattr(keras.layers, kind)(4, return_sequences=True, dtype="float64")
        layer.build((None, None, 3))
        rng = np.random.default_rng(0)
        layer.set_weights([rng.normal(scale=0.7, size=w.shape) for w in layer.get_weights()])
        x, g = rng.normal(size=(2, 6, 3)), rng.normal(size=(2, 6, 4))
        def loss(trainable, x):
            outputs, _ = layer.stateless_call(trainable, [], x)
            return (outputs * g).sum()
        weights = [np.asarray(w) for w in layer.trainable_weights]
        expected = jax.grad(loss, argnums=(0, 1))(weights, x)
        mine = bptt.backward(layer, x, g)
        for name, e in zip(("kernel", "recurrent_kernel", "bias"), expected[0]):
            np.testing.assert_allclose(mine[name], np.asarray(e), atol=1e-5, rtol=0, err_msg=kind + name)
        np.testing.assert_allclose(mine["dx"], np.asarray(expected[1]), atol=1e-5, rtol=0)
    print("jax ok")
""")


def test_equal_to_jax_grad_on_the_jax_backend():
    """On the JAX backend there is no tape: compare with jax.grad through the layer's stateless_call."""
    probe = subprocess.run([sys.executable, "-c", "import jax"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("jax is not installed (pip install jax to run the JAX comparison)")
    env = dict(os.environ, KERAS_BACKEND="jax")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", JAX_CHECK], capture_output=True, text=True, env=env, cwd=root, timeout=300
    )
    assert done.returncode == 0 and "jax ok" in done.stdout, done.stderr[-3000:]
