"""utils.forecasting.ridge: the ridge reference with its alpha chosen on the validation windows."""

import numpy as np
import pytest

from utils.forecasting.ridge import ALPHAS, flatten_windows, ridge_on_validation


def windows_from(rows, window=4):
    """(samples, window, 1) windows, the shape the case scripts pass in."""
    return np.asarray(rows, dtype="float64").reshape(len(rows), window, -1)


def test_flatten_windows_keeps_one_row_per_window_in_time_order():
    X = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    flat = flatten_windows(X)
    assert flat.shape == (2, 6)
    assert list(flat[1]) == [6, 7, 8, 9, 10, 11]


def test_noise_free_linear_data_takes_the_smallest_penalty():
    rng = np.random.default_rng(0)
    weights = np.array([0.5, -1.0, 2.0, 0.3])
    X_train, X_val = rng.normal(size=(200, 4)), rng.normal(size=(50, 4))
    choice = ridge_on_validation(
        windows_from(X_train), X_train @ weights, windows_from(X_val), X_val @ weights
    )
    assert choice.alpha == min(ALPHAS)
    assert set(choice.validation_mse) == set(ALPHAS)
    np.testing.assert_allclose(choice.predict(windows_from(X_val)), X_val @ weights, atol=1e-3)


def test_few_noisy_samples_and_useless_inputs_take_a_larger_penalty():
    rng = np.random.default_rng(1)
    n_features = 40  # only the first matters
    X_train, X_val = rng.normal(size=(30, n_features)), rng.normal(size=(500, n_features))
    y_train = X_train[:, 0] + rng.normal(0, 1.0, 30)
    y_val = X_val[:, 0] + rng.normal(0, 1.0, 500)
    choice = ridge_on_validation(windows_from(X_train, 40), y_train, windows_from(X_val, 40), y_val)
    assert choice.alpha > 1.0
    # the chosen alpha really is the best of those tried, on validation
    assert choice.validation_mse[choice.alpha] == min(choice.validation_mse.values())
    assert choice.validation_mse[choice.alpha] < choice.validation_mse[min(ALPHAS)]


def test_a_tie_goes_to_the_larger_penalty():
    """A constant target: every alpha predicts it exactly, so the simplest model (largest alpha) is kept."""
    rng = np.random.default_rng(2)
    X_train, X_val = rng.normal(size=(100, 8)), rng.normal(size=(40, 8))
    choice = ridge_on_validation(
        windows_from(X_train, 8), np.full(100, 3.0), windows_from(X_val, 8), np.full(40, 3.0)
    )
    assert choice.alpha == max(ALPHAS)
    np.testing.assert_allclose(choice.predict(windows_from(X_val, 8)), 3.0)


def test_empty_validation_is_refused():
    with pytest.raises(ValueError, match="validation"):
        ridge_on_validation(np.zeros((5, 2, 1)), np.zeros(5), np.zeros((0, 2, 1)), np.zeros(0))


def test_an_alpha_at_the_edge_of_the_grid_is_warned_about():
    from utils.forecasting.ridge import RidgeChoice

    scores = {0.001: 1.0, 0.1: 2.0, 100.0: 3.0}
    assert "smallest of the 3 tried" in RidgeChoice(None, 0.001, scores).edge_warning()
    assert "largest" in RidgeChoice(None, 100.0, scores).edge_warning()
    assert RidgeChoice(None, 0.1, scores).edge_warning() == ""
