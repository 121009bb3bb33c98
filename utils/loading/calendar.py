"""The calendar of a series: how its dates step, their complete run, gaps filled, the dates after the end."""


import numpy as np
import pandas as pd

from utils.plumbing.errors import BadInputError

# Gaps are filled from the past, but only a few: past this share the data would be invented.
MAX_MISSING_FRACTION = 0.05


def calendar_frequency(index):
    """"M", "Q" or "Y" when the dates step by calendar months, quarters or years, else None."""
    if len(index) < 2:
        return None
    median_days = np.median(np.diff(index.to_numpy()) / np.timedelta64(1, "D"))
    for low, high, freq in ((28, 31, "M"), (89, 92, "Q"), (365, 366, "Y")):
        if low <= median_days <= high:
            return freq
    return None


_CALENDAR_KINDS = {"M": "monthly", "Q": "quarterly", "Y": "yearly"}


def step_kind(index):
    """How the dates of `index` step, in words: the contract other modules rely on.

    Returns one of
      "daily"          the typical step is one day and weekends are present (or the dates span
                       no weekend);
      "business-daily" the typical step is one day, no date is a Saturday or Sunday, and the dates
                       span at least one weekend: a Monday-to-Friday series (stock closes), whose
                       weekends are not gaps;
      "weekly"         the typical step is 7 days;
      "monthly", "quarterly", "yearly"   calendar periods (see `calendar_frequency`);
      None             fewer than 2 dates, or any other step (hourly, every 2 days, ...).
    "Typical" is the median step, so a few missing dates do not change the kind. Any
    DatetimeIndex works, regular or not; the result for `fill_gaps`'s output is the same as
    for its input.
    """
    index = pd.DatetimeIndex(index)
    if len(index) < 2:
        return None
    freq = calendar_frequency(index)
    if freq:
        return _CALENDAR_KINDS[freq]
    steps_in_days = np.diff(index.to_numpy()) / np.timedelta64(1, "D")
    median_days = np.median(steps_in_days)
    if median_days == 7:
        return "weekly"
    if median_days != 1:
        return None
    weekdays = index.dayofweek
    spans_a_weekend = (index[-1] - index[0]) >= pd.Timedelta(days=7) or weekdays[-1] < weekdays[0]
    if spans_a_weekend and (weekdays < 5).all():
        return "business-daily"
    return "daily"


def regular_dates(index):
    """The complete, evenly spaced run of dates from the first to the last date of `index`.

    Calendar months, quarters and years (unequal lengths in days) are stepped as such,
    on the first day of each period; a business-daily series (see `step_kind`) by business
    days, Monday to Friday (frequency "B"); anything else by its typical fixed step.
    Raises `BadInputError` for an irregular series, whose dates fall off that grid.
    """
    if len(index) < 2:
        return pd.DatetimeIndex(index)
    freq = calendar_frequency(index)
    if freq:
        periods = index.to_period(freq)
        if periods.has_duplicates:
            raise BadInputError(
                f"two dates fall in the same period ({periods[periods.duplicated()][0]}); "
                "keep one value per period"
            )
        return pd.period_range(periods[0], periods[-1], freq=freq).to_timestamp()
    kind = step_kind(index)
    if kind in ("daily", "business-daily"):  # named frequencies "D" and "B": the frequency words rely on them
        grid = pd.date_range(index[0], index[-1], freq=kind[0].upper())
        step_words = "1-day" if kind == "daily" else "business-day"
    else:
        step = pd.Timedelta(np.median(np.diff(index.to_numpy())))
        if step <= pd.Timedelta(0):
            raise BadInputError("most dates repeat the date before them; keep one row per date")
        grid = pd.date_range(index[0], index[-1], freq=step)
        step_words = str(step)
    off_grid = index.difference(grid)
    if len(off_grid):
        raise BadInputError(
            f"dates are not evenly spaced ({off_grid[0]} is off the {step_words} step from {index[0]}); "
            "the series must be regular (every day, every month, ...)"
        )
    return grid


def fill_gaps(series):
    """Make the series regular, filling each missing date with the last value before it.

    Only the past fills a gap: interpolating would take half of each filled value from the day
    after the gap, which may lie in the next period (the validation or the test period), and a
    forecast would then see a value from its own future. A filled date is not a measurement:
    the cases leave filled dates out of every score.

    Returns `(filled_series, filled_dates)`. Monthly, quarterly and yearly dates are put
    on the first day of their period; a business-daily series gets business days only
    (its weekends are not gaps, and its index has frequency "B"). A series with more than
    5 % of its dates missing is rejected: that much filling would invent the data rather
    than repair it.
    """
    freq = calendar_frequency(series.index)
    if freq:
        series = series.set_axis(series.index.to_period(freq).to_timestamp().rename(series.index.name))
    grid = regular_dates(series.index)
    missing = grid.difference(series.index)
    if len(missing) > MAX_MISSING_FRACTION * len(grid):
        weekend = series.index.dayofweek >= 5
        hint = ""
        if step_kind(series.index) == "daily" and 0 < weekend.sum() <= MAX_MISSING_FRACTION * len(series):
            hint = (f" (only {weekend.sum()} date(s) fall on a weekend: delete those rows and the file "
                    "is read as a Monday-to-Friday business-day series)")
        raise BadInputError(
            f"{len(missing)} of {len(grid)} dates are missing (more than {MAX_MISSING_FRACTION:.0%}){hint}; "
            "fill the gaps in the file or use a complete series"
        )
    filled = series.reindex(grid).ffill()  # the first date is never missing: the grid starts on it
    filled.index.name = series.index.name
    return filled, list(missing)


def dates_after(index, steps):
    """The `steps` dates that follow the last date of a regular index (as returned by `fill_gaps`).

    Calendar months, quarters and years continue as such; a business-daily index continues
    on business days (after a Friday comes the Monday); anything else by its last step.
    """
    freq = calendar_frequency(index)
    if freq:
        return pd.period_range(index[-1].to_period(freq) + 1, periods=steps, freq=freq).to_timestamp()
    if step_kind(index) == "business-daily":
        return pd.date_range(index[-1] + pd.offsets.BDay(1), periods=steps, freq="B")
    step = index[-1] - index[-2]
    return pd.DatetimeIndex([index[-1] + step * k for k in range(1, steps + 1)])
