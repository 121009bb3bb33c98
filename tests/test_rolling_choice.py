"""utils.forecasting.{candidates, epoch_snapshots, rolling_choice}: the hybrid starts as SARIMA, the
NumPy forward pass is Keras's, and the protocol never reads the test period."""

import numpy as np
import pytest

from utils.forecasting import baselines, candidates, rolling_choice, rolling_origin, sarima
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


@pytest.mark.parametrize("key", ["naive", "seasonal_naive", "seasonal_naive_plus_last_change"])
def test_a_correction_on_a_simple_baseline_starts_as_that_baseline(key):
    """With a zero prediction, the correction's forecast IS its base's, to the last bit."""
    values = monthly_with_level_shift()
    base = candidates.reference_one_step(values, FIRST_TEST, 12, key)
    data, reason = candidates.prepare_hybrid(values, FIRST_TEST, 12, 12, base)
    assert reason is None
    steps = np.arange(FIRST_TEST, len(values))
    expected = {
        "naive": baselines.naive(values, steps),
        "seasonal_naive": baselines.seasonal_naive(values, steps, 12),
        "seasonal_naive_plus_last_change": baselines.seasonal_naive_plus_last_change(values, steps, 12),
    }[key]
    rows = data.rows(steps)
    np.testing.assert_array_equal(data.levels(np.zeros(len(rows)), rows), expected)


def test_the_protocol_bases_the_correction_on_the_best_reference_and_its_epoch_0_is_that_reference():
    rng = np.random.default_rng(3)
    months = np.arange(120)
    # A random walk with a small yearly cycle: last month's value is the best reference, not SARIMA.
    values = 500 + np.cumsum(rng.normal(0, 5, 120)) + 2 * np.sin(2 * np.pi * months / 12)
    small = rolling_choice.default_candidates(
        window=12, units=4, max_epochs=2, hybrid_window=12, hybrid_units=4, hybrid_max_epochs=2
    )
    result = rolling_choice.run(values, FIRST_TEST, 12, seed=1, candidates=small)
    means = {key: scores.best_score for key, scores in result.reference_scores.items()}
    assert set(means) == set(candidates.REFERENCES)
    assert result.reference == min(means, key=means.get)
    correction = next(c.name for c in result.candidates if c.kind == "hybrid")
    if result.reference != "sarima":
        assert correction == f"{rolling_choice.REFERENCE_LABELS[result.reference]} + LSTM correction"
    epoch_0 = result.scores[correction].per_origin[:, 0]
    np.testing.assert_array_equal(epoch_0, result.reference_scores[result.reference].per_origin[:, 0])
    assert any("is the base of the correction" in line for line in result.trace)
    assert any(f"rule: {result.rule}" in line for line in result.trace)


def scores_of(per_origin_by_name):
    return {name: rolling_origin.summarise(name, rows) for name, rows in per_origin_by_name.items()}


def test_the_correction_is_kept_when_a_plain_network_is_lower_but_not_clearly_better():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, 24)
    errors = {"plain": noise * 0.97, "correction": noise[::-1].copy()}  # near-equal, unrelated errors
    scores = scores_of({"plain": [[np.inf, 0.97, 1.2]] * 2, "correction": [[1.1, 1.0, 1.05]] * 2})
    pick, kind, rule, p_value = rolling_choice.choose_pick(scores, ["correction"], errors.get)
    assert (pick, kind) == ("correction", "correction_kept")
    assert p_value >= 0.05 and "not clearly better" in rule
    # The old rule, the lowest mean, would have picked the plain network.
    assert rolling_choice.choose_pick(scores, ["correction"], errors.get, prefer_nested=False)[0] == "plain"


def test_a_plain_network_clearly_better_at_the_origins_is_picked():
    rng = np.random.default_rng(0)
    errors = {"plain": rng.normal(0, 0.3, 24), "correction": rng.normal(0, 3.0, 24)}
    scores = scores_of({"plain": [[np.inf, 0.3]] * 2, "correction": [[3.0, 3.1]] * 2})
    pick, kind, _, p_value = rolling_choice.choose_pick(scores, ["correction"], errors.get)
    assert (pick, kind) == ("plain", "plain_clearly_better") and p_value < 0.05
    # A correction with the lowest mean is picked without a test.
    scores = scores_of({"plain": [[np.inf, 3.0]] * 2, "correction": [[0.3, 3.1]] * 2})
    picked = rolling_choice.choose_pick(scores, ["correction"], errors.get)
    assert picked[:2] == ("correction", "correction_lowest")


def test_the_epoch_guard_keeps_a_correction_at_epoch_0_unless_its_epochs_are_clearly_better():
    values = monthly_with_level_shift()
    small = rolling_choice.default_candidates(
        window=12, units=4, max_epochs=2, hybrid_window=12, hybrid_units=4, hybrid_max_epochs=3
    )
    free = rolling_choice.run(values, FIRST_TEST, 12, seed=1, candidates=small)
    guarded = rolling_choice.run(
        values, FIRST_TEST, 12, seed=1, candidates=small, guard_correction_epochs=True
    )
    correction = next(c.name for c in guarded.candidates if c.kind == "hybrid")
    assert np.isnan(free.correction_p_value)  # off by default
    # Three epochs of 4 units at a shifted level: lower at the origins than epoch 0, but not clearly.
    assert free.scores[correction].best > 0 and guarded.correction_p_value >= 0.05
    assert guarded.scores[correction].best == 0
    assert guarded.scores[correction].best_score == free.scores[correction].mean[0]
    assert any("stays at epoch 0" in line for line in guarded.trace)


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
    kind = next(c.kind for c in first.candidates if c.name == first.pick)  # a correction is named after its
    same = next(c.name for c in scored.candidates if c.kind == kind and c.target == first.candidates[  # base
        [c.name for c in first.candidates].index(first.pick)].target)
    assert not np.array_equal(scored.scores[same].per_origin[1], first.scores[first.pick].per_origin[1])


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


def test_validation_only_stops_before_the_test_and_scores_as_a_normal_run():
    """benchmarks/choose_milk.py's path: the same choices, no test forecast, even with the test cut off."""
    values = monthly_with_level_shift()
    small = rolling_choice.default_candidates(
        window=12, units=4, max_epochs=3, hybrid_units=4, hybrid_max_epochs=3
    )
    normal = rolling_choice.run(values, FIRST_TEST, 12, seed=1, candidates=small)
    only = rolling_choice.run(values[:FIRST_TEST], FIRST_TEST, 12, seed=1, candidates=small,
                              validation_only=True)
    assert normal.forecasts is not None and len(normal.forecasts) == len(values) - FIRST_TEST
    assert only.forecasts is None and only.weights is None and only.prepared is None
    assert only.candidate_forecasts == {} and only.weights_sha256 == ""
    assert (only.pick, only.epochs, only.refit, only.reference) == (
        normal.pick, normal.epochs, normal.refit, normal.reference)
    assert list(only.scores) == list(normal.scores)
    for name in normal.scores:
        np.testing.assert_array_equal(only.scores[name].per_origin, normal.scores[name].per_origin)
    for key in normal.reference_scores:
        assert only.reference_scores[key].best_score == normal.reference_scores[key].best_score
    assert only.trace[-1] == "validation only: the test period was not forecast"
    assert only.trace[:-1] == normal.trace
