"""utils.forecasting.features: the day of the year as a point on a circle (moved here from
test_case_gru.py)."""

import numpy as np
import pandas as pd

from utils.forecasting.features import day_of_year_features


def test_day_of_year_features_put_the_year_on_a_circle():
    dates = pd.date_range("1987-01-01", "1989-12-31", freq="D")  # 1988 is a leap year
    features = day_of_year_features(dates)
    assert features.shape == (len(dates), 2) and features.dtype == np.float32
    np.testing.assert_allclose((features**2).sum(axis=1), 1.0, atol=1e-6)  # every day on the unit circle
    np.testing.assert_allclose(features[0], [0.0, 1.0], atol=1e-6)  # 1 January: angle 0
    sin, cos = day_of_year_features(pd.to_datetime(["1987-07-02", "1987-04-02"])).T
    assert cos[0] < -0.99 and sin[1] > 0.99  # half a year on: the opposite side; a quarter: the top
    # neighbours stay neighbours, across New Year too: every step between days is the same size
    steps = np.linalg.norm(np.diff(features, axis=0), axis=1)
    assert steps.max() - steps.min() < 1e-4 and steps.max() < 0.02
    # and each year goes round once: no two days of 1988 share a point
    one_year = features[(dates.year == 1988)]
    assert len(np.unique(np.round(one_year, 5), axis=0)) == 366


def test_day_of_year_features_accept_plain_date_strings():
    np.testing.assert_allclose(
        day_of_year_features(["2001-01-01"]), day_of_year_features(pd.DatetimeIndex(["2001-01-01"]))
    )


def test_business_days_keep_their_place_in_the_year():
    """A Monday-to-Friday index: each date keeps its own day of the year (the weekend days are simply
    absent)."""
    business = pd.bdate_range("2001-01-01", "2001-12-31")
    every_day = pd.date_range("2001-01-01", "2001-12-31")
    np.testing.assert_array_equal(
        day_of_year_features(business), day_of_year_features(every_day)[every_day.isin(business)]
    )
