"""utils.forecasting.diebold_mariano: the test tells apart what differs, and not what does not."""

import numpy as np
import pytest

from utils.forecasting import diebold_mariano


def test_a_clearly_better_forecast_is_detected_with_the_right_sign():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, 200)
    result = diebold_mariano.dm_test(noise * 2.0 + rng.normal(0, 0.3, 200), noise)
    assert result.statistic > 0 and result.p_value < 1e-6 and result.n == 200
    flipped = diebold_mariano.dm_test(noise, noise * 2.0 + rng.normal(0, 0.3, 200))
    assert flipped.statistic < 0 and flipped.p_value < 1e-6


def test_equally_good_forecasts_are_rejected_about_5_percent_of_the_time():
    rng = np.random.default_rng(1)
    p_values = [
        diebold_mariano.dm_test(rng.normal(0, 1, 30), rng.normal(0, 1, 30)).p_value for _ in range(2000)
    ]
    rejected = np.mean(np.array(p_values) < 0.05)
    assert 0.03 < rejected < 0.075  # the HLN correction keeps the size near 5 % even with 30 errors


def test_the_statistic_matches_the_formula_by_hand():
    e1 = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
    e2 = np.array([0.5, -1.0, 0.5, 1.0, -2.0])
    d = e1**2 - e2**2  # 0.75, 3, 0, 8, -3
    n = 5
    dm = d.mean() / np.sqrt(np.mean((d - d.mean()) ** 2) / n)
    hln = dm * np.sqrt((n + 1 - 2 + 0) / n)
    result = diebold_mariano.dm_test(e1, e2)
    assert result.statistic == pytest.approx(hln)
    from scipy import stats

    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(hln), n - 1))


def test_it_agrees_with_statsmodels_where_statsmodels_has_the_test():
    stattools = pytest.importorskip("statsmodels.tsa.stattools")
    if not hasattr(stattools, "diebold_mariano_test"):
        pytest.skip("this statsmodels has no diebold_mariano_test")
    rng = np.random.default_rng(2)
    e1, e2 = rng.normal(0, 1.2, 40), rng.normal(0, 1, 40)
    ours = diebold_mariano.dm_test(e1, e2)
    # errors = actual - forecast, so forecasts -e against actual 0; lags=0: one-step errors, no HAC lags
    theirs = stattools.diebold_mariano_test(np.zeros(40), -e1, -e2, lags=0, harvey_adj=True, horizon=1)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-6)
    assert abs(ours.statistic) == pytest.approx(abs(theirs.statistic), rel=1e-6)


def test_identical_errors_give_p_one_and_bad_shapes_are_refused():
    e = np.array([1.0, 2.0, -1.0])
    assert diebold_mariano.dm_test(e, e) == (0.0, 1.0, 3)
    with pytest.raises(ValueError):
        diebold_mariano.dm_test(e, e[:2])
    with pytest.raises(ValueError):
        diebold_mariano.dm_test(e[:1], e[:1])


def test_the_verdict_says_no_clear_difference_unless_p_is_below_5_percent():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 1, 100)
    sentence, result = diebold_mariano.verdict(
        "LSTM", noise * 1.01, "ridge", noise + rng.normal(0, 0.1, 100), "°C"
    )
    assert result.p_value >= 0.05 and sentence.startswith(
        "no clear difference between the LSTM and the ridge"
    )
    sentence, result = diebold_mariano.verdict("LSTM", noise * 0.5, "ridge", noise, "°C")
    assert result.p_value < 0.05
    assert sentence.startswith("the LSTM is more accurate than the ridge, RMSE 50.0 % lower")
    sentence, _ = diebold_mariano.verdict("LSTM", noise * 2, "ridge", noise)
    assert sentence.startswith("the ridge is more accurate than the LSTM, RMSE 50.0 % lower")
