"""utils.forecasting.{candidates, epoch_snapshots, rolling_choice}: the hybrid starts as SARIMA, the
NumPy forward pass is Keras's, and the protocol never reads the test period."""

import numpy as np
import pytest

from utils.forecasting import candidates, rolling_choice, sarima
from utils.forecasting.epoch_snapshots import SnapshotTrainer, forecast


def monthly_with_level_shift(n=120, seed=0, shift_at=92, shift=-40.0):
    """Trend + yearly cycle + noise, with a level shift at month `shift_at` (in the validation blocks)."""
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    return (
        600
        + 1.5 * months
        + 40 * np.sin(2 * np.pi * months / 12)
        + shift * (months >= shift_at)
        + rng.normal(0, 4, n)
    )


FIRST_TEST = 100  # 20 test months; origins at 76 and 88, each validated on 12 months


@pytest.mark.parametrize("target", ["seasonal", "seasonal-diff"])
def test_plain_windows_give_back_the_series_exactly_and_are_scaled_before_the_origin(target):
    values = monthly_with_level_shift()
    data = candidates.prepare_plain(values, 76, target, 12, window=12)
    np.testing.assert_allclose(data.levels(data.y), values[data.positions], atol=1e-3)  # float32 targets
    train = data.training_rows()
    assert data.y[train].min() == pytest.approx(-1) and data.y[train].max() == pytest.approx(1)
    changed = values.copy()
    changed[76:] += 500.0
    other = candidates.prepare_plain(changed, 76, target, 12, window=12)
    np.testing.assert_array_equal(other.X[train], data.X[train])
    assert other.info == data.info


def test_the_hybrid_predicts_sarimas_residual_and_a_zero_prediction_is_sarima():
    values = monthly_with_level_shift()
    data, reason = candidates.prepare_hybrid(values, FIRST_TEST, 12, window=12)
    assert reason is None
    np.testing.assert_allclose(data.levels(data.y), values[data.positions], atol=1e-3)
    test_rows = data.rows(np.arange(FIRST_TEST, len(values)))
    reference = sarima.one_step_forecasts(values, FIRST_TEST, 12)["forecasts"]
    np.testing.assert_allclose(data.levels(np.zeros(len(test_rows)), test_rows), reference, rtol=1e-9)
    assert data.positions[0] == candidates.hybrid_burn_in(12) + 12  # no window reads the filter's start


def test_numpy_forward_pass_matches_keras_and_a_zero_head_predicts_zero():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (40, 12, 2)).astype("float32")
    y = rng.normal(0, 0.5, 40).astype("float32")
    trainer = SnapshotTrainer(12, 2, 8, 1e-2, 16, seed=42, zero_head=True)
    snapshots = trainer.fit(X, y, epochs=3)
    assert len(snapshots) == 4
    np.testing.assert_array_equal(forecast(snapshots[0], X), np.zeros(40))
    np.testing.assert_allclose(
        forecast(snapshots[-1], X), trainer.model.predict(X, verbose=0)[:, 0], atol=1e-5
    )
    assert not np.allclose(forecast(snapshots[-1], X), 0)
    again = trainer.fit(X, y, epochs=3)  # a second fit starts afresh: the same weights
    for a, b in zip(again[-1], snapshots[-1]):
        np.testing.assert_array_equal(a, b)


def test_the_protocol_never_reads_the_test_period():
    values = monthly_with_level_shift()
    small = rolling_choice.default_candidates(
        window=12, units=4, max_epochs=3, hybrid_units=4, hybrid_max_epochs=3
    )
    first = rolling_choice.run(values, FIRST_TEST, 12, seed=1, candidates=small)
    changed = values.copy()
    changed[FIRST_TEST:] = np.random.default_rng(9).normal(300, 50, len(values) - FIRST_TEST)
    second = rolling_choice.run(changed, FIRST_TEST, 12, seed=1, candidates=small)
    assert [o.origin for o in first.origins] == [76, 88]
    assert (second.pick, second.epochs, second.refit) == (first.pick, first.epochs, first.refit)
    for name in first.scores:
        np.testing.assert_array_equal(second.scores[name].per_origin, first.scores[name].per_origin)
    assert second.weights_sha256 == first.weights_sha256
    assert second.fitted == first.fitted
    assert second.trace == first.trace
    assert not np.allclose(
        second.forecasts, first.forecasts
    )  # one-step forecasts do read the values before each step


def test_sarima_with_fixed_parameters_gives_the_fitted_one_step_forecasts():
    """Case 17-2's Step 7 reruns SARIMA with the parameters fitted before the test on a longer series."""
    values = monthly_with_level_shift()
    fitted, params = candidates.sarima_one_step(values, FIRST_TEST, 12)
    np.testing.assert_allclose(candidates.sarima_with_params(values, params, 12), fitted, rtol=1e-9)
    longer = np.append(values, values[-1])  # a placeholder step: its forecast reads only the steps before it
    np.testing.assert_allclose(
        candidates.sarima_with_params(longer, params, 12)[: len(values)], fitted, rtol=1e-9
    )


def small_candidates():
    return rolling_choice.default_candidates(
        window=12, units=4, max_epochs=3, hybrid_units=4, hybrid_max_epochs=3
    )


def test_a_filled_last_validation_step_is_no_score_and_no_target():
    """A gap on the last step before the test, filled: whatever value fills it, no validation score, no
    choice and no refit comparison changes (it is no window's input before the test either)."""
    values = monthly_with_level_shift()
    gap = FIRST_TEST - 1  # the last step of origin 88's block
    values[gap] = values[gap - 1]  # as fill_gaps fills it: the value before
    other = values.copy()
    other[gap] += 200.0  # another filled value, far off
    small = small_candidates()
    first = rolling_choice.run(values, FIRST_TEST, 12, seed=1, candidates=small, unscored_steps=[gap])
    second = rolling_choice.run(other, FIRST_TEST, 12, seed=1, candidates=small, unscored_steps=[gap])
    for name in first.scores:
        np.testing.assert_array_equal(second.scores[name].per_origin, first.scores[name].per_origin)
    assert (second.pick, second.epochs, second.refit) == (first.pick, first.epochs, first.refit)
    assert (second.refit_rmse, second.no_refit_rmse, second.refit_p_value) == (
        first.refit_rmse, first.no_refit_rmse, first.refit_p_value)
    assert any("1 filled step(s) before the test are no measurement" in line for line in first.trace)
    scored = rolling_choice.run(other, FIRST_TEST, 12, seed=1, candidates=small)  # the step counted
    assert not np.array_equal(scored.scores[first.pick].per_origin[1], first.scores[first.pick].per_origin[1])


def test_a_filled_step_inside_a_validation_block_is_left_out_of_every_score_and_target():
    """The protocol's scores equal those computed by hand without the filled step: at the origin whose
    block holds it (it is not scored) and at the later origin (it is no training target)."""
    values = monthly_with_level_shift()
    gap = 80  # inside origin 76's block, before origin 88
    values[gap] = values[gap - 1]
    plain = small_candidates()[0]
    result = rolling_choice.run(values, FIRST_TEST, 12, seed=1, candidates=[plain], unscored_steps=[gap])
    for row, origin in enumerate(result.origins):
        data = candidates.prepare_plain(values, origin.origin, plain.target, 12, plain.window)
        train = data.training_rows()
        train = train[data.positions[train] != gap]
        trainer = SnapshotTrainer(plain.window, 1, plain.units, plain.learning_rate, plain.batch_size, seed=1)
        snapshots = trainer.fit(data.X[train], data.y[train], plain.max_epochs)
        scored = origin.validation[origin.validation != gap]
        rows = data.rows(scored)
        by_hand = [np.sqrt(np.mean((values[scored] - data.levels(forecast(w, data.X[rows]), rows)) ** 2))
                   for w in snapshots[1:]]
        np.testing.assert_allclose(result.scores[plain.name].per_origin[row, 1:], by_hand, rtol=1e-12)
