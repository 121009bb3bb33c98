"""utils.forecasting.rolling_origin: origins before the test period, and the mean over them."""

import numpy as np
import pytest

from utils.forecasting import rolling_origin
from utils.plumbing.errors import BadInputError


def test_the_milk_origins_are_112_and_124_each_validated_on_the_next_12_months():
    origins = rolling_origin.rolling_origins(136, 12, 2)
    assert [o.origin for o in origins] == [112, 124]
    assert [o.n_train for o in origins] == [112, 124]
    np.testing.assert_array_equal(origins[0].validation, np.arange(112, 124))
    np.testing.assert_array_equal(origins[1].validation, np.arange(124, 136))


def test_origins_never_reach_the_test_period_and_each_validates_after_its_own_training():
    for n_before_test, length, count in ((136, 12, 2), (2921, 365, 3), (50, 5, 4)):
        origins = rolling_origin.rolling_origins(n_before_test, length, count)
        assert len(origins) == count
        assert origins[-1].validation[-1] == n_before_test - 1
        for origin in origins:
            assert origin.validation[0] == origin.origin and len(origin.validation) == length


def test_too_few_origins_or_too_little_training_is_refused():
    with pytest.raises(ValueError):
        rolling_origin.rolling_origins(136, 12, 1)
    with pytest.raises(BadInputError, match="before the test period"):
        rolling_origin.rolling_origins(30, 12, 2, min_train=12)


def test_evaluate_averages_over_origins_and_picks_the_lowest_mean_setting():
    origins = rolling_origin.rolling_origins(40, 10, 2)
    curves = {20: [np.inf, 3.0, 1.0, 2.0], 30: [np.inf, 1.0, 2.0, 2.5]}  # per origin: a score per epoch count
    results = rolling_origin.evaluate(
        {"a": lambda origin: curves[origin.origin], "b": lambda origin: 2.0 if origin.origin == 20 else 0.5},
        origins,
    )
    np.testing.assert_allclose(results["a"].mean, [np.inf, 2.0, 1.5, 2.25])
    assert results["a"].best == 2 and results["a"].best_score == 1.5
    assert results["b"].best_score == 1.25 and rolling_origin.choose(results) == "b"
    text = rolling_origin.table(results, origins)
    assert [o.origin for o in origins] == [20, 30]
    assert "origin 20" in text and "origin 30" in text
    row_b = next(line for line in text.splitlines() if line.strip().startswith("b "))
    assert "1.250" in row_b and "<-" in row_b


def test_evaluate_refuses_a_candidate_whose_settings_change_between_origins():
    origins = rolling_origin.rolling_origins(40, 10, 2)
    with pytest.raises(ValueError, match="different number"):
        rolling_origin.evaluate({"a": lambda origin: np.ones(origin.origin // 10)}, origins)
