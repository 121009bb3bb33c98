"""Case 17-3's rolling-origin pieces (utils/forecasting/ridge_correction.py, epoch_snapshots.py): the NumPy
ridge against scikit-learn's, the correction's epoch 0 against the ridge, the NumPy cells against Keras,
no test value in any choice, and a filled day on an origin's boundary."""

import numpy as np
import pandas as pd
import pytest

from utils.forecasting import ridge_correction as rc
from utils.forecasting import rolling_origin
from utils.forecasting.epoch_snapshots import CELLS, SnapshotTrainer, gru_forecast, network_forecast
from utils.forecasting.features import day_of_year_features

N, FIRST_TEST, BLOCK, WINDOW = 700, 560, 60, 5


def daily_series(n=N, seed=5):
    """A yearly cycle, a weekly bump and noise that carries over from day to day."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2001-01-01", periods=n, freq="D")
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.6 * noise[t - 1] + rng.normal(0, 1)
    values = 10 + 5 * np.sin(2 * np.pi * np.arange(n) / 365) + 2 * (dates.day_of_week == 5) + noise
    return values, day_of_year_features(dates)


def origins():
    return rolling_origin.rolling_origins(FIRST_TEST, BLOCK, 2)


def tiny_candidates(epochs=2):
    return [rc.Candidate("GRU", rc.PLAIN, WINDOW, 4, 1e-2, 64, epochs),
            rc.Candidate("ridge + GRU correction", rc.CORRECTION, WINDOW, 4, 1e-2, 64, epochs)]


def test_the_numpy_ridge_matches_scikit_learns():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    A, y = rng.normal(size=(200, 12)), rng.normal(size=200)
    for alpha in (0.01, 1.0, 30.0):
        weights, intercept = rc.solve_ridge(A, y, alpha)
        model = Ridge(alpha=alpha).fit(A, y)
        np.testing.assert_allclose(weights, model.coef_, rtol=1e-8, atol=1e-10)
        assert intercept == pytest.approx(model.intercept_, abs=1e-10)


def test_the_ridge_at_an_origin_reads_nothing_from_that_origin_on():
    values, features = daily_series()
    end = origins()[0].origin
    daily = rc.prepare_daily(values, features, end, "raw", 365, WINDOW)
    forecasts, ridge = rc.ridge_one_step(daily, end, BLOCK)
    changed = values.copy()
    changed[end:] = 1e3  # everything from the origin on
    daily2 = rc.prepare_daily(changed, features, end, "raw", 365, WINDOW)
    forecasts2, ridge2 = rc.ridge_one_step(daily2, end, BLOCK)
    assert ridge2.alpha == ridge.alpha and np.array_equal(ridge2.weights, ridge.weights)
    before = daily.positions <= end  # a forecast of step `end` reads only the steps before it
    np.testing.assert_array_equal(forecasts2[before], forecasts[before])


def test_the_corrections_epoch_0_is_exactly_the_ridge():
    values, features = daily_series()
    at = rc.prepare_at(values, features, FIRST_TEST, "raw", 365, WINDOW, BLOCK)
    trainer = SnapshotTrainer(WINDOW, at.correction.X.shape[2], 4, 1e-2, 64, seed=3, zero_head=True,
                              layer="GRU", unroll=True, graph_epochs=False)
    rows = at.correction.training_rows()
    snapshots = trainer.fit(at.correction.X[rows], at.correction.y[rows], 1)
    steps = np.arange(FIRST_TEST, N)
    corrected = at.correction.levels(gru_forecast(snapshots[0], at.correction.X[at.correction.rows(steps)]),
                                     at.correction.rows(steps))
    ridge = at.ridge_forecasts[at.daily.rows(steps)]
    np.testing.assert_array_equal(corrected, ridge)  # exactly: the head is zero, so 0 is added
    after = at.correction.levels(gru_forecast(snapshots[1], at.correction.X[at.correction.rows(steps)]),
                                 at.correction.rows(steps))
    assert not np.array_equal(after, ridge)  # one epoch moves it away


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("graph_epochs", [True, False])
def test_each_numpy_cell_matches_keras_predict_and_each_epoch_is_timed(cell, graph_epochs):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, WINDOW, 3)).astype("float32")
    y = (X[:, -1, 0] * 0.5 + X[:, :, 1].mean(axis=1)).astype("float32")
    trainer = SnapshotTrainer(WINDOW, 3, 6, 1e-2, 32, seed=7, layer=cell, unroll=cell == "GRU",
                              graph_epochs=graph_epochs)
    snapshots = trainer.fit(X, y, 2)
    assert trainer.model.layers[0].__class__.__name__ == cell
    for weights in (snapshots[0], snapshots[-1]):
        trainer.model.set_weights(weights)
        keras_out = trainer.model.predict(X, verbose=0)[:, 0]
        np.testing.assert_allclose(network_forecast(cell, weights, X), keras_out, atol=2e-5)
        np.testing.assert_allclose(trainer.forecast(weights, X), keras_out, atol=2e-5)
    assert not np.allclose(trainer.forecast(snapshots[0], X), trainer.forecast(snapshots[-1], X))
    assert len(trainer.epoch_seconds) == 2 and all(s > 0 for s in trainer.epoch_seconds)
    trainer.fit(X, y, 1)
    assert len(trainer.epoch_seconds) == 3  # every epoch of every fit


def test_a_trainer_refuses_a_cell_it_cannot_build():
    with pytest.raises(ValueError, match="layer must be one of"):
        SnapshotTrainer(WINDOW, 3, 6, 1e-2, 32, seed=7, layer="Transformer")


@pytest.fixture(scope="module")
def runs():
    """The protocol on a series and on a copy whose test values are replaced, and with a filled day."""
    values, features = daily_series()
    altered = values.copy()
    altered[FIRST_TEST:] = np.random.default_rng(9).uniform(-50, 80, N - FIRST_TEST)
    first, second = origins()
    skip = [second.origin, second.origin - 1]  # filled days on both sides of an origin's boundary
    return {
        "original": rc.run(values, features, FIRST_TEST, origins(), "raw", 365, 42, tiny_candidates()),
        "altered": rc.run(altered, features, FIRST_TEST, origins(), "raw", 365, 42, tiny_candidates()),
        "gap": rc.run(values, features, FIRST_TEST, origins(), "raw", 365, 42, tiny_candidates(), skip),
        "skip": skip,
        "values": values,
    }


def test_no_test_value_reaches_any_choice(runs):
    original, altered = runs["original"], runs["altered"]
    assert (altered.pick, altered.epochs, altered.refit) == (original.pick, original.epochs, original.refit)
    assert altered.trace == original.trace
    assert altered.ridge_rmse == original.ridge_rmse and altered.ridge_alphas == original.ridge_alphas
    for name in original.scores:
        np.testing.assert_array_equal(altered.scores[name].per_origin, original.scores[name].per_origin)
        assert rc.weights_sha256(altered.finals[name][2]) == rc.weights_sha256(original.finals[name][2])
    assert np.array_equal(altered.test_ridge.weights, original.test_ridge.weights)
    # the first test day's forecasts read only days before the test: the same (to rounding, as BLAS
    # may sum a row in another order when the other rows change)
    for name in original.forecasts:
        assert altered.forecasts[name][0] == pytest.approx(original.forecasts[name][0], rel=1e-12)
        assert not np.array_equal(altered.forecasts[name], original.forecasts[name])


def test_the_correction_starts_from_the_ridge_at_every_origin(runs):
    result = runs["original"]
    correction = result.scores["ridge + GRU correction"]
    np.testing.assert_array_equal(correction.per_origin[:, 0], result.ridge_rmse)
    assert np.isinf(result.scores["GRU"].per_origin[:, 0]).all()  # an untrained plain GRU is no choice
    assert "the rule, fixed in advance" in result.pick_rule


def test_a_filled_day_on_an_origin_boundary_is_never_a_target_or_a_score(runs):
    result, skip = runs["gap"], runs["skip"]
    for name, (data, _, _, _) in result.finals.items():
        assert not np.isin(skip, data.positions).any(), name  # no sample predicts a filled day
    assert not np.isin(skip, result.test_steps).any()
    at = rc.prepare_at(runs["values"], daily_series()[1], origins()[1].origin, "raw", 365, WINDOW, BLOCK,
                       skip)
    assert not np.isin(skip, at.daily.positions).any() and not np.isin(skip, at.correction.positions).any()
    # the day before the boundary is the last training step of origin 2; its neighbours still train
    assert origins()[1].origin - 2 in at.daily.positions
    # the scores at the second origin count one day fewer than its block, the first origin's none fewer
    second = [s for s in origins()[1].validation if s not in skip]
    assert len(second) == BLOCK - 1
    assert np.isfinite(result.scores["ridge + GRU correction"].per_origin).all()


def test_validation_only_stops_before_the_test_and_scores_as_a_normal_run(runs):
    """benchmarks/choose_gru.py's path: with the test days cut off, the same choices and no test forecast."""
    values, features = daily_series()
    only = rc.run(values[:FIRST_TEST], features[:FIRST_TEST], FIRST_TEST, origins(), "raw", 365, 42,
                  tiny_candidates(), validation_only=True)
    normal = runs["original"]
    assert only.forecasts is None and only.finals is None
    assert only.test_ridge is None and only.test_prepared is None
    assert (only.pick, only.epochs, only.refit) == (normal.pick, normal.epochs, normal.refit)
    assert only.ridge_rmse == normal.ridge_rmse and only.ridge_alphas == normal.ridge_alphas
    for name in normal.scores:
        np.testing.assert_array_equal(only.scores[name].per_origin, normal.scores[name].per_origin)
    assert only.trace == normal.trace + ["validation only: the test period was not forecast"]


@pytest.mark.parametrize("cell", CELLS)
def test_a_compiled_epoch_makes_the_same_updates_as_keras_fit(cell):
    """One compiled epoch over the samples in order equals Keras's fit(shuffle=False) for one epoch from the
    same weights with a fresh Adam: the same mini-batches (the last one smaller) and the same updates."""
    import keras

    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, WINDOW, 2)).astype("float32")  # 3 batches of 16 and one of 2
    y = (X[:, -1, 0] - 0.3 * X[:, 0, 1]).astype("float32")
    trainer = SnapshotTrainer(WINDOW, 2, 4, 1e-2, 16, seed=3, layer=cell)
    assert trainer._epoch is not None  # the TensorFlow backend: a compiled epoch
    trainer._reset()
    trainer._epoch(X, y, np.arange(len(X), dtype="int32"))
    compiled = trainer.model.get_weights()
    same = keras.models.clone_model(trainer.model)
    same.set_weights(trainer.initial_weights)
    same.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="mse")
    same.fit(X, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for ours, keras_weights in zip(compiled, same.get_weights()):
        np.testing.assert_allclose(ours, keras_weights, atol=1e-5)
    assert not np.allclose(compiled[0], trainer.initial_weights[0])  # the epoch did move the weights
