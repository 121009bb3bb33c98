"""utils.forecasting.windows and utils.forecasting.transforms: windows, the chronological split, scaling
and target transforms."""

import numpy as np
import pytest

from utils.forecasting import scaling, timeline, transforms, windows
from utils.plumbing.errors import BadInputError
from utils.showing import tables


def test_make_windows_pairs_each_window_with_the_next_target():
    series = np.arange(10.0)
    X, y, positions = windows.make_windows(series, series * 10, window=3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    assert list(X[0, :, 0]) == [0, 1, 2] and y[0] == 30 and positions[0] == 3
    assert list(X[-1, :, 0]) == [6, 7, 8] and y[-1] == 90 and positions[-1] == 9


def test_make_windows_keeps_features_and_skips_windows_touching_nan():
    features = np.column_stack([np.arange(8.0), -np.arange(8.0)])
    targets = np.arange(8.0)
    features[0, 0] = np.nan  # like the first step of a differenced series
    X, y, positions = windows.make_windows(features, targets, window=2)
    assert X.shape == (5, 2, 2)
    assert positions[0] == 3 and not np.isnan(X).any()


def test_course_test_size_is_the_last_32_of_156_windows():
    assert timeline.test_size(156) == 32
    assert timeline.test_size(10) == 2


def test_split_by_position_is_chronological():
    X, y, positions = windows.make_windows(np.arange(20.0), np.arange(20.0), window=4)
    X_train, X_test, y_train, y_test, test_positions = windows.split_by_position(
        X, y, positions, first_test_position=15
    )
    assert list(test_positions) == [15, 16, 17, 18, 19]
    assert y_train.max() < y_test.min()
    assert len(X_train) + len(X_test) == len(X)


def test_the_scaler_sees_only_training_values():
    train, test = np.array([0.0, 5.0, 10.0]), np.array([20.0])
    scaler = scaling.fit_scaler(train)
    assert scaling.scale(scaler, test)[0] == pytest.approx(2.0)  # above 1: the test value was never seen
    values = np.array([[0.0, 2.5], [10.0, np.nan]])
    assert np.allclose(scaling.unscale(scaler, scaling.scale(scaler, values)), values, equal_nan=True)


@pytest.mark.parametrize("target", transforms.TARGETS)
def test_true_targets_turn_back_into_the_true_values(target):
    rng = np.random.default_rng(0)
    values = 100 + np.cumsum(rng.normal(size=60))
    inputs, targets = transforms.inputs_and_targets(values, target, season=12)
    positions = np.arange(30, 60)
    levels = transforms.to_levels(targets[positions], values, positions, target, season=12)
    assert np.allclose(levels, values[positions])


def test_seasonal_diff_target_is_the_change_minus_last_seasons_change():
    values = np.arange(30.0) ** 2
    _, targets = transforms.inputs_and_targets(values, "seasonal-diff", season=12)
    t = 20
    assert targets[t] == pytest.approx((values[t] - values[t - 1]) - (values[t - 12] - values[t - 13]))
    assert np.isnan(targets[:13]).all() and not np.isnan(targets[13:]).any()


def test_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown target"):
        transforms.inputs_and_targets(np.arange(5.0), "log")


def test_fixed_test_size_keeps_the_courses_test_periods():
    assert timeline.fixed_test_size(168, course_window=12) == 32  # the milk's last 32 months
    assert timeline.fixed_test_size(3652) == 731  # the temperatures' last 20 % of days


def test_validation_size_is_whole_seasons_when_one_fits():
    assert timeline.validation_size(136, season=12) == 24  # 20 % is 27 months: 2 whole years
    assert timeline.validation_size(2921, season=365) == 365
    assert timeline.validation_size(100, season=52) == 20  # no whole season fits: plain 20 %
    assert timeline.validation_size(3) == 1


@pytest.mark.parametrize("window", [6, 12, 24])
def test_the_test_period_does_not_move_with_the_window(window):
    values = np.arange(168.0)
    inputs, targets = transforms.inputs_and_targets(values, "seasonal-diff", 12)
    periods = timeline.three_periods(168, timeline.fixed_test_size(168, course_window=12), 24)
    X, y, positions = windows.make_windows(inputs, targets, window)
    split = windows.split_three(X, y, positions, periods)
    assert list(split.test_positions) == list(range(136, 168))
    assert list(split.val_positions) == list(range(112, 136))
    assert split.train_positions.max() == 111 and len(split.X_train) == len(split.y_train)
    assert len(split.X_train) + len(split.X_val) + len(split.X_test) == len(X)


def test_three_periods_masks_and_sizes():
    periods = timeline.three_periods(100, n_test=20, n_validation=10)
    assert (periods.n_train, periods.n_validation, periods.n_test) == (70, 10, 20)
    assert periods.training().sum() == 70 and periods.before_test().sum() == 80
    with pytest.raises(BadInputError, match="too few"):
        timeline.three_periods(30, n_test=20, n_validation=10)


def test_a_window_too_long_for_training_is_one_clear_error():
    periods = timeline.three_periods(168, 32, 24)
    assert windows.check_window_fits(12, periods, first_input=1, first_target=13) == 112 - 13
    with pytest.raises(
        BadInputError, match=r"--window 100 leaves 11 training samples.*use --window 99 or less"
    ):
        windows.check_window_fits(100, periods, first_input=1, first_target=13)
    with pytest.raises(BadInputError, match="shorter --season"):
        windows.check_window_fits(2, periods, first_input=1, first_target=105)


def test_describe_periods_names_each_period_with_its_dates_and_length():
    import pandas as pd

    from utils.loading.step_words import describe_steps

    dates = pd.date_range("2000-01-01", periods=36, freq="MS")
    periods = timeline.three_periods(36, 6, 6)
    lines = tables.describe_periods(periods, dates, describe_steps(dates)).splitlines()
    assert [line.split()[0] for line in lines] == ["training", "validation", "test"]
    assert "24 months" in lines[0] and "weights are fitted here" in lines[0]
    assert "every choice is made here" in lines[1] and "6 months" in lines[1]
    assert "scored once" in lines[2] and "6 months" in lines[2]
    assert "2002-07" in lines[2] and "2002-12" in lines[2]
