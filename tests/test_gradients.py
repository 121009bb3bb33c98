"""utils/gradients.py: gradient norms checked on a case with a known answer, and the recall task."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so plain `pytest` finds utils

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import gradients  # noqa: E402


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
    model = keras.Sequential([keras.Input((8, 2)), keras.layers.GRU(3), keras.layers.Dense(1, activation="sigmoid")])
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
    X, y = gradients.make_recall_task(500, 30, np.random.default_rng(3))
    assert X.shape == (500, 30, 1) and y.shape == (500,)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(X[:, 0, 0])) == {-1.0, 1.0}
    np.testing.assert_array_equal(y, (X[:, 0, 0] > 0).astype(np.float32))  # the label is the first value's sign
    assert 0.4 < y.mean() < 0.6  # both classes, about half each: chance is 0.5
    # The later steps are noise that carries nothing about the label.
    later_mean = X[:, 1:, 0].mean(axis=1)
    assert abs(later_mean[y == 1].mean() - later_mean[y == 0].mean()) < 0.05
    assert 0.8 < X[:, 1:, 0].std() < 1.2


def test_recall_label_does_not_depend_on_the_later_steps():
    """Same seed, different lengths and noise: same first values, same labels, different later steps."""
    X_short, y_short = gradients.make_recall_task(200, 5, np.random.default_rng(7))
    X_long, y_long = gradients.make_recall_task(200, 60, np.random.default_rng(7), noise_std=3.0)
    np.testing.assert_array_equal(X_short[:, 0, 0], X_long[:, 0, 0])
    np.testing.assert_array_equal(y_short, y_long)
    assert not np.allclose(X_short[:, 1:5, 0], X_long[:, 1:5, 0])


def test_recall_task_refuses_empty_shapes():
    with pytest.raises(ValueError):
        gradients.make_recall_task(10, 0, np.random.default_rng(0))


def test_gradient_ratio_and_first_nan_epoch():
    assert gradients.gradient_ratio([1e-6, 1.0, 2.0]) == pytest.approx(5e-7)
    assert gradients.gradient_ratio([1.0, 0.0]) == float("inf")
    assert np.isnan(gradients.gradient_ratio([0.0, 0.0]))
    assert gradients.first_nan_epoch([1.0, 0.5, 0.4]) is None
    assert gradients.first_nan_epoch([1.0, float("inf"), float("nan")]) == 2
    assert gradients.first_nan_epoch([float("nan")]) == 1
