"""Load a dated series from a CSV file, check it, and make its dates regular.

`load_series` accepts any CSV with a date column and a numeric value column. Every
problem a student's file can have ends in a `BadInputError` that names the line
of the file and says how to fix it.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from utils.errors import BadInputError

# Gaps are filled by interpolation, but only a few: past this share the data would be invented.
MAX_MISSING_FRACTION = 0.05


def _line(row_position):
    """Line number in the file of a data row (line 1 is the header)."""
    return int(row_position) + 2


def load_series(csv_path, date_col, value_col):
    """Read `date_col` and `value_col` of a CSV into a float Series indexed by date.

    Checks, each failing with a `BadInputError`: the file exists and is a readable CSV,
    both columns exist (the message lists the columns that do), every date parses,
    no cell is empty or non-numeric, and dates are unique and in increasing order.
    """
    path = Path(csv_path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise BadInputError(f"data file {path} {what}; pass an existing CSV file with --csv")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise BadInputError(f"{path} is empty; pass a CSV with a header line and data rows") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{path} is not a UTF-8 text file; save it as CSV (UTF-8) and try again") from None
    except (pd.errors.ParserError, OSError) as err:
        first_line = str(err).strip().splitlines()[0]
        raise BadInputError(f"{path} cannot be read as CSV ({first_line}); check the file is comma-separated") from None

    for flag, column in (("--date-col", date_col), ("--value-col", value_col)):
        if column not in table.columns:
            columns = ", ".join(repr(c) for c in table.columns)
            raise BadInputError(f"{path} has no column {column!r}; its columns are {columns}: choose one with {flag}")
    if len(table) == 0:
        raise BadInputError(f"{path} has a header but no data rows; add data rows")

    date_text = table[date_col].str.strip()
    value_text = table[value_col].str.strip()
    for column, text in ((date_col, date_text), (value_col, value_text)):
        empty = np.flatnonzero(text.to_numpy() == "")
        if len(empty):
            raise BadInputError(
                f"{path} line {_line(empty[0])}: the {column!r} cell is empty ({len(empty)} empty in all); "
                "fill in the missing values or delete those rows"
            )

    dates = pd.to_datetime(date_text, format="ISO8601", errors="coerce")
    if dates.isna().any():  # not ISO (YYYY-MM-DD or YYYY-MM): let pandas guess the format
        dates = pd.to_datetime(date_text, format="mixed", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        raise BadInputError(
            f"{path} line {_line(bad[0])}: {date_text.iloc[bad[0]]!r} in {date_col!r} is not a date; "
            "use dates like 1981-01-31 (or 1981-01 for months)"
        )

    values = pd.to_numeric(value_text, errors="coerce")
    bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
    if len(bad):
        raise BadInputError(
            f"{path} line {_line(bad[0])}: {value_text.iloc[bad[0]]!r} in {value_col!r} is not a number; "
            "correct that cell (use a dot as the decimal mark, no units or thousands separators)"
        )

    duplicated = np.flatnonzero(dates.duplicated().to_numpy())
    if len(duplicated):
        row = duplicated[0]
        raise BadInputError(
            f"{path} line {_line(row)}: the date {date_text.iloc[row]} appears twice; keep one row per date"
        )
    backwards = np.flatnonzero(np.diff(dates.to_numpy()) < np.timedelta64(0))
    if len(backwards):
        row = backwards[0] + 1
        raise BadInputError(
            f"{path} line {_line(row)}: dates go back in time ({date_text.iloc[row]} after {date_text.iloc[row - 1]}); "
            "sort the file by date, oldest first"
        )

    return pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(dates, name=date_col), name=value_col)


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
            raise BadInputError(f"two dates fall in the same period ({periods[periods.duplicated()][0]}); keep one value per period")
        return pd.period_range(periods[0], periods[-1], freq=freq).to_timestamp()
    if step_kind(index) == "business-daily":
        grid = pd.date_range(index[0], index[-1], freq="B")
        step_words = "business-day"
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
    """Make the series regular, filling each missing date by linear interpolation.

    Returns `(filled_series, filled_dates)`. Monthly, quarterly and yearly dates are put
    on the first day of their period; a business-daily series gets business days only
    (its weekends are not gaps, and its index has frequency "B"). A series with more than
    5 % of its dates missing is rejected: that much interpolation would invent the data
    rather than repair it.
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
            hint = (f" (only {weekend.sum()} date(s) fall on a weekend: delete those rows and the file is read "
                    "as a Monday-to-Friday business-day series)")
        raise BadInputError(
            f"{len(missing)} of {len(grid)} dates are missing (more than {MAX_MISSING_FRACTION:.0%}){hint}; "
            "fill the gaps in the file or use a complete series"
        )
    filled = series.reindex(grid).interpolate(method="linear")
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
