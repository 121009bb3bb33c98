"""utils/recurrent/gradients.py: gradient norms checked on a case with a known answer, and the recall task."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so plain `pytest` finds utils

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.recurrent import gradients, memory_tasks  # noqa: E402
from utils.showing import gradient_plots  # noqa: E402


def linear_recurrence(a, timesteps):
    """A 1-unit linear SimpleRNN computing h_t = a·h_{t-1} + x_t (kernel 1, recurrent kernel a, no bias).

    Its output is h_T, so d h_T / d x_t = a^(T-1-t) for 0-based t (a^(T-t) counting from 1).
    """
    layer = keras.layers.SimpleRNN(1, activation="linear", use_bias=False)
    model = keras.Sequential([keras.Input((timesteps, 1)), layer])
    layer.set_weights([np.ones((1, 1), np.float32), np.full((1, 1), a, np.float32)])
    return model


def output_itself(y_true, y_pred):
    """'Loss' = the model's output h_T, one value per sample."""
    return y_pred[:, 0]


@pytest.mark.parametrize("a", [0.5, 1.2, -0.9])
def test_gradient_norms_match_the_linear_recurrence(a):
    timesteps = 20
    model = linear_recurrence(a, timesteps)
    x = np.random.default_rng(0).normal(size=(5, timesteps, 1)).astype(np.float32)
    expected = np.abs(a) ** (timesteps - 1 - np.arange(timesteps))  # |a|^(T-t), t counted from 1

    norms = gradients.input_gradient_norms(model, x, np.zeros(5), output_itself)
    assert norms.shape == (timesteps,)
    np.testing.assert_allclose(norms, expected, rtol=1e-5)

    per_sample = gradients.input_gradient_norms(model, x, np.zeros(5), output_itself, per_sample=True)
    assert per_sample.shape == (5, timesteps)
    np.testing.assert_allclose(per_sample, np.tile(expected, (5, 1)), rtol=1e-5)
    # first / last = |a|^(T-1): vanishing for |a| < 1, exploding for |a| > 1
    assert gradients.gradient_ratio(norms) == pytest.approx(abs(a) ** (timesteps - 1), rel=1e-5)


def test_gradient_norms_do_not_depend_on_the_batch_size():
    """Per-sample losses are summed, not averaged: one sample gives the same norms as many."""
    model = keras.Sequential(
        [keras.Input((8, 2)), keras.layers.GRU(3), keras.layers.Dense(1, activation="sigmoid")]
    )
    x = np.random.default_rng(1).normal(size=(6, 8, 2)).astype(np.float32)
    y = np.array([0, 1, 1, 0, 1, 0], np.float32)
    all_rows = gradients.input_gradient_norms(model, x, y, keras.losses.binary_crossentropy, per_sample=True)
    first_only = gradients.input_gradient_norms(model, x[:1], y[:1], keras.losses.binary_crossentropy)
    np.testing.assert_allclose(first_only, all_rows[0], rtol=1e-5)
    assert np.all(all_rows > 0)


def test_a_batch_averaged_loss_is_a_clear_error():
    model = linear_recurrence(0.5, 4)
    x = np.ones((3, 4, 1), np.float32)
    with pytest.raises(ValueError, match="per-sample"):
        gradients.input_gradient_norms(model, x, np.zeros(3), keras.losses.MeanSquaredError())


def test_other_backends_are_a_clear_error(monkeypatch):
    model = linear_recurrence(0.5, 4)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(NotImplementedError, match="TensorFlow"):
        gradients.input_gradient_norms(model, np.ones((1, 4, 1), np.float32), np.zeros(1), output_itself)


def test_weight_gradient_norms_name_every_weight():
    model = linear_recurrence(1.2, 5)
    x = np.ones((2, 5, 1), np.float32)
    norms = gradients.weight_gradient_norms(model, x, np.zeros(2), output_itself)
    assert len(norms) == 2 and all(name.endswith(("kernel", "recurrent_kernel")) for name in norms)
    # h_T = sum_t a^(T-1-t) * kernel * x_t, so d h_T / d kernel = sum_t a^(T-1-t) for x = 1
    kernel_name = next(name for name in norms if name.endswith("/kernel"))
    assert norms[kernel_name] == pytest.approx(sum(1.2**k for k in range(5)), rel=1e-5)


def test_recall_task_puts_the_label_in_the_first_step():
    X, y = memory_tasks.make_recall_task(500, 30, np.random.default_rng(3))
    assert X.shape == (500, 30, 1) and y.shape == (500,)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(X[:, 0, 0])) == {-1.0, 1.0}
    # the label is the first value's sign
    np.testing.assert_array_equal(y, (X[:, 0, 0] > 0).astype(np.float32))
    assert 0.4 < y.mean() < 0.6  # both classes, about half each: chance is 0.5
    # The later steps are noise that carries nothing about the label.
    later_mean = X[:, 1:, 0].mean(axis=1)
    assert abs(later_mean[y == 1].mean() - later_mean[y == 0].mean()) < 0.05
    assert 0.8 < X[:, 1:, 0].std() < 1.2


def test_recall_label_does_not_depend_on_the_later_steps():
    """Same seed, different lengths and noise: same first values, same labels, different later steps."""
    X_short, y_short = memory_tasks.make_recall_task(200, 5, np.random.default_rng(7))
    X_long, y_long = memory_tasks.make_recall_task(200, 60, np.random.default_rng(7), noise_std=3.0)
    np.testing.assert_array_equal(X_short[:, 0, 0], X_long[:, 0, 0])
    np.testing.assert_array_equal(y_short, y_long)
    assert not np.allclose(X_short[:, 1:5, 0], X_long[:, 1:5, 0])


def test_recall_task_refuses_empty_shapes():
    with pytest.raises(ValueError):
        memory_tasks.make_recall_task(10, 0, np.random.default_rng(0))


def test_gradient_ratio_and_first_nan_epoch():
    assert gradients.gradient_ratio([1e-6, 1.0, 2.0]) == pytest.approx(5e-7)
    assert gradients.gradient_ratio([1.0, 0.0]) == float("inf")
    assert np.isnan(gradients.gradient_ratio([0.0, 0.0]))
    assert memory_tasks.first_nan_epoch([1.0, 0.5, 0.4]) is None
    assert memory_tasks.first_nan_epoch([1.0, float("inf"), float("nan")]) == 2
    assert memory_tasks.first_nan_epoch([float("nan")]) == 1


# ---------------------------------------------------------------------------
# The adding problem
# ---------------------------------------------------------------------------


def test_adding_task_marks_two_steps_and_adds_their_numbers():
    X, y = memory_tasks.make_adding_task(2000, 11, np.random.default_rng(5))
    assert X.shape == (2000, 11, 2) and y.shape == (2000,)
    assert X.dtype == np.float32 and y.dtype == np.float32
    values, markers = X[:, :, 0], X[:, :, 1]
    assert values.min() >= 0.0 and values.max() < 1.0
    np.testing.assert_array_equal(markers.sum(axis=1), 2)  # exactly two marked steps
    assert set(np.unique(markers)) == {0.0, 1.0}
    half = 6  # ceil(11 / 2): one marker in steps 0..5, the other in 6..10
    assert (markers[:, :half].sum(axis=1) == 1).all() and (markers[:, half:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)  # the target is the marked sum
    # every position in each half is used, so the network cannot learn a fixed position
    assert set(np.argmax(markers[:, :half], axis=1)) == set(range(half))


def test_adding_task_mean_baseline_is_one_sixth():
    """Always predicting 1.0 scores 1/6 in expectation; remembering only the second number scores 1/12."""
    X, y = memory_tasks.make_adding_task(200_000, 4, np.random.default_rng(0))
    assert np.mean((y - 1.0) ** 2) == pytest.approx(memory_tasks.ADDING_MEAN_BASELINE_MSE, rel=0.02)
    second = (X[:, 2:, 0] * X[:, 2:, 1]).sum(axis=1)
    assert np.mean((y - (second + 0.5)) ** 2) == pytest.approx(1 / 12, rel=0.02)


def test_adding_task_is_reproducible_and_refuses_bad_shapes():
    a = memory_tasks.make_adding_task(10, 5, np.random.default_rng(1))
    b = memory_tasks.make_adding_task(10, 5, np.random.default_rng(1))
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="timesteps"):
        memory_tasks.make_adding_task(10, 1, np.random.default_rng(0))


# ---------------------------------------------------------------------------
# The cell-state path: the product of the forget gates equals dc_T/dc_t from the tape
# ---------------------------------------------------------------------------


def test_keep_gate_path_is_the_reversed_product():
    gates = np.array([[0.5, 0.9], [0.8, 0.1], [0.25, 1.0]])
    path = gradients.keep_gate_path({"forget_gate": gates})
    np.testing.assert_allclose(path, [[0.8 * 0.25, 0.1 * 1.0], [0.25, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="update_gate"):
        gradients.keep_gate_path({"forget_gate": gates}, gate="update_gate")


def _lstm_layer(units=4, features=3, forget_bias=None, seed=0):
    keras.utils.set_random_seed(seed)
    options = {} if forget_bias is None else {
        "unit_forget_bias": False, "bias_initializer": gradients.memory_gate_bias("LSTM", units, forget_bias)}
    layer = keras.layers.LSTM(units, **options)
    keras.Sequential([keras.Input((None, features)), layer])
    return layer


def _tape_cell_path_jacobian(layer, x, t, hold_gates_fixed):
    """dc_T/dc_t (0-based t) through Keras's own LSTMCell, by tf.GradientTape.

    The cell is run step by step from zero states. From step t+1 on, with hold_gates_fixed the
    hidden state fed to the next step is wrapped in tf.stop_gradient: the gates still get the
    same VALUES, but the tape no longer follows c -> h -> gates, so only the cell path is left.
    """
    import tensorflow as tf

    cell = layer.cell
    units = cell.units
    h = tf.zeros((1, units))
    c = tf.zeros((1, units))
    for s in range(t + 1):  # up to and including step t
        _, (h, c) = cell(x[None, s], [h, c])
    c_t = tf.Variable(c)  # the point we differentiate from
    with tf.GradientTape() as tape:
        c = tf.identity(c_t)
        for s in range(t + 1, len(x)):
            h_in = tf.stop_gradient(h) if hold_gates_fixed else h
            _, (h, c) = cell(x[None, s], [h_in, c])
    return tape.jacobian(c, c_t).numpy().reshape(units, units)


@pytest.mark.parametrize("forget_bias", [None, 3.0])
def test_forget_gate_product_equals_the_tapes_cell_path(forget_bias):
    from utils.recurrent import cells

    layer = _lstm_layer(forget_bias=forget_bias)
    x = np.random.default_rng(2).normal(size=(12, 3)).astype(np.float32)
    trace = cells.run_cell(layer, x)  # the NumPy mirror: its own gates, from the layer's weights
    path = gradients.keep_gate_path(trace, "forget_gate")
    for t in (0, 5, 11):
        jacobian = _tape_cell_path_jacobian(layer, x, t, hold_gates_fixed=True)
        # with the gates' inputs held fixed, dc_T/dc_t is diagonal, and the diagonal is the product
        np.testing.assert_allclose(np.diag(jacobian), path[t], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(jacobian - np.diag(np.diag(jacobian)), 0.0, atol=1e-7)


def test_the_full_cell_jacobian_also_has_paths_through_h():
    """Without holding the gates fixed the Jacobian is a full matrix: the product of gates is one path of
    several."""
    from utils.recurrent import cells

    layer = _lstm_layer(seed=3)
    x = np.random.default_rng(4).normal(size=(6, 3)).astype(np.float32)
    path = gradients.keep_gate_path(cells.run_cell(layer, x), "forget_gate")
    full = _tape_cell_path_jacobian(layer, x, 0, hold_gates_fixed=False)
    off_diagonal = full - np.diag(np.diag(full))
    assert np.abs(off_diagonal).max() > 1e-4
    assert not np.allclose(np.diag(full), path[0], rtol=1e-3)


# ---------------------------------------------------------------------------
# Clipping: what clipnorm does to the gradient, and what it does not do to Adam's step
# ---------------------------------------------------------------------------


def _one_step(optimizer, gradient_values):
    """Apply one update with the given gradients to zero-initialised variables; return the steps taken."""
    variables = [keras.Variable(np.zeros_like(g)) for g in gradient_values]
    optimizer.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gradient_values], variables))
    return [-np.asarray(v.numpy()) for v in variables]  # SGD moves against the gradient


def test_clipnorm_rescales_each_gradient_above_the_limit_to_norm_one():
    big = np.full((3, 4), 10.0, np.float32)  # norm 10 * sqrt(12), far above 1
    small = np.array([0.3, -0.4], np.float32)  # norm 0.5, below 1
    # SGD with learning rate 1 moves each weight by exactly its (clipped) gradient
    step_big, step_small = _one_step(keras.optimizers.SGD(learning_rate=1.0, clipnorm=1.0), [big, small])
    assert np.linalg.norm(step_big) == pytest.approx(1.0, rel=1e-5)  # rescaled to norm 1 ...
    # ... same direction
    np.testing.assert_allclose(step_big / np.linalg.norm(step_big), big / np.linalg.norm(big), rtol=1e-5)
    # below the limit: untouched (clipnorm is per tensor)
    np.testing.assert_allclose(step_small, small, rtol=1e-6)


def test_global_clipnorm_rescales_all_gradients_together():
    big = np.full((3, 4), 10.0, np.float32)
    small = np.array([0.3, -0.4], np.float32)
    steps = _one_step(keras.optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0), [big, small])
    joint = np.sqrt(sum(np.sum(s ** 2) for s in steps))
    assert joint == pytest.approx(1.0, rel=1e-5)
    scale = 1.0 / np.sqrt(np.sum(big ** 2) + np.sum(small ** 2))
    np.testing.assert_allclose(steps[1], small * scale, rtol=1e-5)  # the small one shrinks too


def test_clipnorm_does_not_cap_adams_step():
    """Adam's first step is about learning_rate per weight whatever the gradient's size, clipped or not."""
    rng = np.random.default_rng(0)
    direction = rng.normal(size=(50,)).astype(np.float32)
    steps = {}
    for size in (1e-2, 1.0, 1e3):
        gradient = direction / np.linalg.norm(direction) * size
        steps[size] = _one_step(keras.optimizers.Adam(learning_rate=0.01, clipnorm=1.0), [gradient])[0]
    for size, step in steps.items():
        # Keras's Adam at step 1: m = 0.1 g, v = 0.001 g^2,
        # step = lr * sqrt(1 - 0.999) / (1 - 0.9) * m / (sqrt(v) + 1e-7) = lr * g / (|g| + 3e-6):
        # each weight moves by ~0.01, so the step's norm is ~0.01 * sqrt(50) = 0.07 for a gradient of
        # norm 1e-2 (not clipped) and 1e3 (clipped to 1) alike. (Elements near 3e-6 would move less.)
        assert np.linalg.norm(step) == pytest.approx(0.01 * np.sqrt(50), rel=0.02), size
    # a tiny gradient is scaled up, not down: Adam rescales it
    assert np.linalg.norm(steps[1e-2]) > 5 * 1e-2


# ---------------------------------------------------------------------------
# Plots: real values on the axes, PNG written headless
# ---------------------------------------------------------------------------


def test_gradient_and_memory_plots(tmp_path):
    from utils.showing import plotting

    norms = np.geomspace(1e-20, 1.0, 30)
    fig = gradient_plots.plot_gradient_norms(
        {
            "GRU": {"fresh": norms, "after training": norms[::-1]},
            "GRU, gates open": {"fresh": norms, "after training": np.full(30, np.nan)},
        },
        "t",
    )
    assert len(fig.axes) == 2 and fig.axes[0].get_yscale() == "log"
    assert fig.axes[0].lines[1].get_linestyle() == ":"  # a "gates open" variant is dotted
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), norms)
    assert plotting.save_figure(fig, tmp_path / "g.png", show=False).stat().st_size > 0

    fig = gradient_plots.plot_mse_by_length(
        [10, 50, 100], {"LSTM": [0.01, 0.02, 0.16]}, baselines={"predict the mean": 1 / 6}
    )
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.01, 0.02, 0.16])
    assert ax.lines[1].get_ydata()[0] == pytest.approx(1 / 6)  # the baseline line at its MSE
    assert "0.167" in ax.get_legend().get_texts()[1].get_text()
    assert plotting.save_figure(fig, tmp_path / "m.png", show=False).stat().st_size > 0
