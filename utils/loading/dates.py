"""Reading a column of dates as spreadsheets, loggers and finance sites write them."""

import re
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from utils.loading.calendar import step_kind
from utils.plumbing.errors import BadInputError

# A time of day followed by a zone: "00:00:00+01:00", "00:00Z", "12:00 UTC". The time is required,
# so the "-13" of "2010-01-13" is never taken for an offset.
_ZONE = r"^(.*\d:\d\d(?::\d\d(?:\.\d*)?)?)\s*(Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)$"
# Day and month as numbers, either order: 13/01/2010, 01.13.2010, 13-1-10, optionally a time after.
_DAY_MONTH = r"^(\d{1,2})([./-])(\d{1,2})[./-](\d{4}|\d{2})(\s.*|T.*)?$"


def _zone_free_dates(text):
    """Parse ISO-like dates whose time-zone offsets differ or must go: (dates, note)."""
    parts = text.str.extract(_ZONE)
    zoned = parts[0].notna().to_numpy()
    local_text = text.where(~zoned, parts[0])
    zones = pd.unique(parts[1].dropna())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            local = pd.to_datetime(local_text, format="ISO8601", errors="coerce")
        except ValueError:
            local = pd.Series(pd.NaT, index=text.index)
    shown = ", ".join("Z, i.e. UTC" if z == "Z" else str(z) for z in zones[:3])
    shown += ", ..." if len(zones) > 3 else ""
    offsets = f"UTC offsets {shown}" if len(zones) > 1 else f"UTC offset {shown}"
    known = local.dropna()
    steps = np.diff(known.to_numpy())
    sub_daily = len(steps) and np.median(steps) < np.timedelta64(1, "D")
    if len(zones) > 1 and sub_daily:
        # Hourly data across a clock change: local times repeat or skip an hour; UTC stays even.
        utc = pd.to_datetime(text.where(zoned, text + "Z"), format="ISO8601", utc=True, errors="coerce")
        return utc.dt.tz_localize(None), (
            f"the times carry {offsets} (a clock change): converted to UTC so they stay evenly spaced")
    if len(known) and (known == known.dt.normalize()).all():
        return local, f"dropped the time zone ({offsets}): one value per local calendar date"
    return local, f"dropped the time zone ({offsets}): each time is read as the local time it shows"


def _iso_dates(text):
    """(dates with NaT where a cell is no ISO date, notes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except ValueError:  # pandas refuses offsets that differ (daylight saving) or only some cells have
            dates = None
    if dates is None or dates.dt.tz is not None:
        dates, note = _zone_free_dates(text)
        return dates, [note]
    return dates, []


def _misfit(dates):
    """How badly one reading of ambiguous dates fits a regular series: 0 is perfect.

    Dates out of order (either way round) count 1 plus; otherwise the share of the
    regular grid the dates leave empty.
    """
    known = pd.DatetimeIndex(dates.dropna())
    if len(known) < 3:
        return 0.0
    if not (known.is_monotonic_increasing or known.is_monotonic_decreasing) or known.has_duplicates:
        return 2.0
    known = known.sort_values()
    kind = step_kind(known)
    if kind in ("monthly", "quarterly", "yearly"):
        freq = {"monthly": "M", "quarterly": "Q", "yearly": "Y"}[kind]
        periods = known.to_period(freq)
        size = (periods[-1] - periods[0]).n + 1
        return 1.0 - periods.nunique() / size
    if kind == "business-daily":
        size = len(pd.bdate_range(known[0], known[-1]))
    else:
        step = np.median(np.diff(known.to_numpy()))
        size = (known[-1] - known[0]) / pd.Timedelta(step) + 1
    if size > 50 * len(known):
        return 1.0
    return max(0.0, 1.0 - len(known) / size)


def _choose_order(text, day_first, month_first, notes, line_of):
    """Keep the day-first or the month-first reading of numeric dates: (dates, notes).

    A cell that only one order can read (13/01/2010 is no month-first date) settles it;
    when every cell reads both ways (all days 12 or less), keep the order that makes a
    regular series, and day first on a tie; each way the note says why.
    """
    day_ok, month_ok = day_first.notna().to_numpy(), month_first.notna().to_numpy()
    only_day, only_month = np.flatnonzero(day_ok & ~month_ok), np.flatnonzero(month_ok & ~day_ok)

    def sample(rows):  # the first of `rows`, for a message
        return f"{text.iloc[rows[0]]!r} on line {line_of(rows[0])}"

    if len(only_day) and len(only_month):
        raise BadInputError(
            f"dates mix day-first ({sample(only_day)}) and month-first ({sample(only_month)}) order; "
            "write every date the same way, best as YYYY-MM-DD")
    if len(only_day):
        return day_first, notes + [f"dates read day first (DD/MM/YYYY), as {sample(only_day)} shows"]
    if len(only_month):
        return month_first, notes + [f"dates read month first (MM/DD/YYYY), as {sample(only_month)} shows"]
    day_misfit, month_misfit = _misfit(day_first), _misfit(month_first)
    if day_misfit <= month_misfit:
        why = ("only that order gives evenly spaced dates" if day_misfit < month_misfit
               else "both orders fit, and day first is the order used in most of the world")
        chosen, order = day_first, "day first (DD/MM/YYYY)"
    else:
        why = "only that order gives evenly spaced dates"
        chosen, order = month_first, "month first (MM/DD/YYYY)"
    return chosen, notes + [
        f"dates like {text.iloc[0]!r} could be day or month first: read {order} because {why}; "
        "if that is wrong, write the dates as YYYY-MM-DD"]


def _plain_day_month_dates(text, line_of):
    """The common shape, 13/01/2010 with no time: both orders parsed at C speed. None for any other shape."""
    match = re.fullmatch(_DAY_MONTH, str(text.iloc[0]))
    if not match or match.group(5):
        return None
    sep, year = match.group(2), "%Y" if len(match.group(4)) == 4 else "%y"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        day_first = pd.to_datetime(text, format=f"%d{sep}%m{sep}{year}", errors="coerce")
        month_first = pd.to_datetime(text, format=f"%m{sep}%d{sep}{year}", errors="coerce")
    if (day_first.isna() & month_first.isna()).any():
        return None  # some cell has another shape: the general reading below names it
    notes = ["two-digit years read as 1969-2068 (e.g. 10 is 2010)"] if year == "%y" else []
    return _choose_order(text, day_first, month_first, notes, line_of)


def _day_month_dates(text, parts, line_of):
    """Dates written with numbers only, like 13/01/2010 or 13.01.10 09:00+01:00: (dates, notes)."""
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[2], errors="coerce")
    year = pd.to_numeric(parts[3], errors="coerce")
    short_year = parts[3].str.len() == 2
    year = year.where(~short_year, np.where(year < 69, 2000 + year, 1900 + year)).astype("Int64")
    rest = parts[4].fillna("")
    notes = ["two-digit years read as 1969-2068 (e.g. 10 is 2010)"] if short_year.any() else []

    def reading(day, month):  # rewritten as ISO text, so times and zones are read as in any ISO file
        month_text = month.astype("Int64").astype(str).str.zfill(2)
        day_text = day.astype("Int64").astype(str).str.zfill(2)
        iso = year.astype(str) + "-" + month_text + "-" + day_text + rest
        return _iso_dates(iso)

    day_first, zone_notes = reading(first, second)
    month_first, _ = reading(second, first)
    return _choose_order(text, day_first, month_first, notes + zone_notes, line_of)


def parse_dates(text, line_of):
    """(dates with NaT for cells that are not dates, notes). ISO first (fast), then other shapes."""
    starts_with_a_year = re.match(r"\d{4}", str(text.iloc[0])) is not None
    if starts_with_a_year:  # ISO 8601 (1981-01-31, 1981-01, 2015-03-29T00:00+01:00): the fast common case
        dates, notes = _iso_dates(text)
        if dates.notna().mean() >= 0.5:
            return dates, notes
    plain = _plain_day_month_dates(text, line_of)
    if plain is not None:
        return plain
    parts = text.str.extract(_DAY_MONTH)
    if parts[0].notna().mean() >= 0.5:
        return _day_month_dates(text, parts, line_of)
    # Month names and other shapes ("Jan 13 2010", "13 January 2010"): the format of the first
    # date, applied to all, so every row is read the same way.
    for dayfirst in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = guess_datetime_format(str(text.iloc[0]), dayfirst=dayfirst)
            try:
                guessed = pd.to_datetime(text, format=fmt, errors="coerce") if fmt else None
            except ValueError:  # e.g. a zone in the format, with offsets that differ
                guessed = None
        if guessed is not None and guessed.dt.tz is None:
            if guessed.notna().mean() >= 0.5:
                return guessed, [f"dates read with the format {fmt} (from {text.iloc[0]!r}); "
                                 "write them as YYYY-MM-DD to be sure"]
    return _iso_dates(text)  # no shape fits most cells: the caller names the first that is no date
