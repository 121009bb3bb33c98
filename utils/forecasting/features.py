"""Extra input features computed from the dates themselves.

A recurrent network can read more than one number per time step. Besides the value of
the series, a daily series knows *when* each value was measured, and for anything with
a yearly cycle (temperatures, daylight, sales) the time of year says a lot.
"""

import numpy as np
import pandas as pd


def day_of_year_features(index):
    """The day of the year of every date as a point on a circle: columns (sin, cos).

    index: the dates (a pandas DatetimeIndex, or anything `pd.DatetimeIndex` accepts).
    Returns a float32 array of shape (len(index), 2).

    Why a circle and not the plain day number 1..365? The day number jumps from 365
    back to 1 between 31 December and 1 January, although the two days are neighbours
    and have the same weather. On a circle the year closes on itself: the angle
    2π · (day - 1) / days_in_year puts 31 December right next to 1 January, and sin
    and cos together name every day uniquely (sin alone gives two dates mirrored around its
    peak in early April the same value: 15 March and about 20 April). Both lie in -1..1, so
    they need no scaling.

    1 January is (sin, cos) = (0, 1); early April (0.25 of a year later) is about (1, 0);
    early July about (0, -1). Leap years have 366 days, so the angle takes the length
    of each date's own year and every year goes exactly once around the circle.
    """
    dates = pd.DatetimeIndex(index)
    days_in_year = np.where(dates.is_leap_year, 366.0, 365.0)
    angle = 2 * np.pi * (dates.day_of_year.to_numpy() - 1) / days_in_year
    return np.column_stack([np.sin(angle), np.cos(angle)]).astype("float32")
