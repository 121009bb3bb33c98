"""Load a dated series from a CSV file, check it, and make its dates regular.

`load_series` accepts a CSV with a date column and a numeric value column, in the shapes
real exports come in: a title line above the header, semicolons or tabs instead of commas,
decimal commas, day-first dates, time-zone offsets, NA or - for a missing value, newest
dates first, a footer line. Every interpretation it makes is printed as one "Note: ..."
line; every problem it cannot repair ends in a `BadInputError` that names the line of the
file and says how to fix it. Nothing is guessed silently.
"""

import codecs
import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from utils.errors import BadInputError

# Gaps are filled by interpolation, but only a few: past this share the data would be invented.
MAX_MISSING_FRACTION = 0.05

# Cells that spreadsheets, loggers and statistics sites write for "no value" (compared in lower case;
# "." is FRED's mark).
MISSING_MARKS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "."})
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_LINES = 30  # the header must be among the first 30 lines (titles above it are skipped)
MAX_FOOTER_LINES = 5  # up to 5 non-date lines at the end ("Source: ...") are skipped with a note

_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
# A time of day followed by a zone: "00:00:00+01:00", "00:00Z", "12:00 UTC". The time is required,
# so the "-13" of "2010-01-13" is never taken for an offset.
_ZONE = r"^(.*\d:\d\d(?::\d\d(?:\.\d*)?)?)\s*(Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)$"
# Day and month as numbers, either order: 13/01/2010, 01.13.2010, 13-1-10, optionally a time after.
_DAY_MONTH = r"^(\d{1,2})([./-])(\d{1,2})[./-](\d{4}|\d{2})(\s.*|T.*)?$"
_DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:[.\s\u00a0\u202f]\d{3})+|\d*),\d+"
_THOUSANDS_COMMA = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def _line(row_position, header_line=0):
    """Line number in the file of a data row (the header is on line `header_line` + 1)."""
    return int(row_position) + header_line + 2


def _show(values, limit=3):
    """A short list for a message: 'a', 'b', 'c' (and 4 more)."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" (and {len(values) - limit} more)" if len(values) > limit else "")


def _read_text(path):
    """The file's text, and notes; rejects workbooks, web pages and binary files in one line."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BadInputError(f"{path} cannot be read ({err.strerror}); check the file's permissions") from None
    notes = []
    save_as_csv = "open it in the spreadsheet program and save it as CSV (File > Save As > CSV UTF-8), then pass the .csv with --csv"
    if raw.startswith(b"PK\x03\x04"):
        raise BadInputError(f"{path} is a spreadsheet workbook (.xlsx or .ods, a zip archive), not a CSV file; {save_as_csv}")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadInputError(f"{path} is an Excel 97-2003 workbook (.xls), not a CSV file; {save_as_csv}")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16", errors="replace")
        notes.append(f"{path.name} is UTF-16 text (Excel's \"Unicode text\"): read as such")
    elif b"\x00" in raw[:4096]:
        raise BadInputError(f"{path} is a binary file, not a CSV text file; pass a CSV file (export or save the data as CSV)")
    else:
        try:
            text = raw.decode("utf-8-sig")  # also drops the byte-order mark Excel writes at the start
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                raise BadInputError(f"{path} is not a UTF-8 text file; save it as CSV (UTF-8) and try again") from None
            notes.append(f"{path.name} is not UTF-8: read it as Windows-1252 (Western European); save it as CSV UTF-8 to be sure")
    if not text.strip():
        raise BadInputError(f"{path} is empty; pass a CSV with a header line and data rows")
    if text.lstrip()[:1] == "<" and re.search(r"<(html|table|!doctype)", text[:2000], re.IGNORECASE):
        raise BadInputError(f"{path} is a web page (HTML), not a CSV file; download the data as CSV instead (a CSV or Download link), or open it in a spreadsheet and save it as CSV")
    if "\n" not in text and "\r" in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    return text, notes


def _fields(line, delimiter):
    """The cells of one line, unquoted and stripped."""
    try:
        return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def _find_header(path, lines, date_col, value_col):
    """(header line number 0-based, delimiter, date position, value position, date name, value name, notes).

    The header is the first line that names both columns: that fixes the delimiter too,
    and any title lines above it are skipped. Column names match exactly, or else ignoring
    case when exactly one column matches (with a note).
    """
    for exact in (True, False):
        for number, line in enumerate(lines):
            for delimiter in DELIMITERS:
                if delimiter not in line:  # one cell cannot name two columns
                    continue
                cells = _fields(line, delimiter)
                names = cells if exact else [c.lower() for c in cells]
                wanted = (date_col, value_col) if exact else (date_col.lower(), value_col.lower())
                if all(names.count(w) == 1 for w in wanted):
                    date_at, value_at = names.index(wanted[0]), names.index(wanted[1])
                    notes = []
                    if not exact:
                        notes.append(f"no column {date_col!r}/{value_col!r} with that exact spelling: "
                                     f"using {cells[date_at]!r} and {cells[value_at]!r}")
                    return number, delimiter, date_at, value_at, cells[date_at], cells[value_at], notes
    # Not found: name the columns the file does have, read with its most likely delimiter.
    counts = {d: [len(_fields(line, d)) for line in lines if line.strip()] for d in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: (max(counts[d], default=0) > 1, _mode(counts[d])))
    usual = _mode(counts[delimiter])
    header = next((line for line in lines if line.strip() and len(_fields(line, delimiter)) == usual), lines[0])
    cells = _fields(header, delimiter)
    if value_col in cells and "" in cells:  # pandas' to_csv writes the date index as an unnamed first column
        return lines.index(header), delimiter, cells.index(""), cells.index(value_col), "", value_col, [
            f"no column {date_col!r}: reading the unnamed column {cells.index('') + 1} as the dates"]
    columns = ", ".join(repr(c) for c in cells)
    missing, flag = (date_col, "--date-col") if date_col not in cells else (value_col, "--value-col")
    where = f" (read with {_DELIMITER_NAMES[delimiter]} between columns)" if delimiter != "," else ""
    raise BadInputError(f"{path} has no column {missing!r}; its columns are {columns}{where}: choose one with {flag}")


def _mode(counts):
    return max(set(counts), key=counts.count) if counts else 0


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
    shown = ", ".join("Z, i.e. UTC" if z == "Z" else str(z) for z in zones[:3]) + (", ..." if len(zones) > 3 else "")
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
        except ValueError:  # pandas refuses offsets that differ (daylight saving) or that only some cells have
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
    sample = lambda rows: f"{text.iloc[rows[0]]!r} on line {line_of(rows[0])}"
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
        iso = year.astype(str) + "-" + month.astype("Int64").astype(str).str.zfill(2) + "-" + day.astype("Int64").astype(str).str.zfill(2) + rest
        return _iso_dates(iso)

    day_first, zone_notes = reading(first, second)
    month_first, _ = reading(second, first)
    return _choose_order(text, day_first, month_first, notes + zone_notes, line_of)


def _parse_dates(text, line_of):
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


def _parse_values(text, delimiter, value_col):
    """(floats with NaN where a cell is not a number, notes): decimal commas are read when the file uses them."""
    if not text.str.contains(",", regex=False).any():
        return pd.to_numeric(text, errors="coerce"), []
    has_comma = text.str.contains(",", regex=False)
    with_comma = text[has_comma]
    decimal = bool(with_comma.str.fullmatch(_DECIMAL_COMMA).all())
    thousands = bool(with_comma.str.fullmatch(_THOUSANDS_COMMA).all())
    dots_elsewhere = bool(text[~has_comma].str.contains(".", regex=False).any())
    if decimal and thousands:  # every cell like "1,234": the dots elsewhere, or else the delimiter, decide
        decimal = not dots_elsewhere and delimiter != ","
        thousands = not decimal
    example = with_comma.iloc[0]
    if decimal:
        plain = text.str.replace(r"[.\s\u00a0\u202f](?=\d{3}(?:\D|$))", "", regex=True).str.replace(",", ".", regex=False)
        value = pd.to_numeric(plain, errors="coerce")
        return value, [f"read ',' as the decimal mark in {value_col!r} ({example!r} is {value[has_comma].iloc[0]:g})"]
    if thousands:
        value = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        return value, [f"read ',' as a thousands separator in {value_col!r} ({example!r} is {value[has_comma].iloc[0]:g})"]
    return pd.to_numeric(text, errors="coerce"), []


def load_series(csv_path, date_col, value_col, note=print):
    """Read `date_col` and `value_col` of a CSV into a float Series indexed by date.

    Repaired, each with a one-line note passed to `note` (default: printed as "Note: ..."):
    a title above the header, a delimiter other than a comma, decimal commas, day-first or
    month-first dates, a time-zone offset (dropped: one value per local date), times of day
    that differ on a daily series, dates newest first, empty lines, a footer, and missing
    values (NA, -, an empty cell: up to 5 % of the rows, left as gaps for `fill_gaps`).
    A business-day (Monday to Friday) series is named in a note too.
    Checks, each failing with a `BadInputError`: the file exists and is a CSV text file (not a
    workbook), both columns exist (the message lists the columns that do), every date parses,
    every value is a number, and dates are unique and in order.
    """
    path = Path(csv_path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise BadInputError(f"data file {path} {what}; pass an existing CSV file with --csv")
    if date_col == value_col:
        raise BadInputError(f"--date-col and --value-col both name {date_col!r}; the dates and the values must be two columns")
    text, notes = _read_text(path)
    head = text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    head = [line.rstrip("\r") for line in head]
    header_line, delimiter, date_at, value_at, date_name, value_name, header_notes = _find_header(path, head, date_col, value_col)
    notes += header_notes
    if delimiter != ",":
        notes.append(f"columns are separated by {_DELIMITER_NAMES[delimiter]}")
    if header_line > 0:
        notes.append(f"skipped {header_line} line(s) above the header (a title?): {_show(x for x in head[:header_line] if x.strip())}")
    body_start = 0
    for _ in range(header_line):
        body_start = text.index("\n", body_start) + 1
    line_of = lambda row: _line(row, header_line)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = pd.read_csv(io.StringIO(text[body_start:] if body_start else text), sep=delimiter, dtype=str,
                                keep_default_na=False, skipinitialspace=True, skip_blank_lines=False,
                                usecols=[date_at, value_at], header=0)
    except pd.errors.EmptyDataError:
        raise BadInputError(f"{path} is empty; pass a CSV with a header line and data rows") from None
    except (pd.errors.ParserError, ValueError, OSError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise BadInputError(f"{path} cannot be read as CSV ({first_line}); check that every row has the same columns") from None
    positions = sorted([date_at, value_at])
    date_text = table.iloc[:, positions.index(date_at)].fillna("").astype(str).str.strip()
    value_text = table.iloc[:, positions.index(value_at)].fillna("").astype(str).str.strip()
    # Row numbers from here on index the table; line_of(row) is the line in the file.
    rows = np.arange(len(table))

    value_missing = value_text.str.lower().isin(MISSING_MARKS).to_numpy()
    blank = (date_text == "").to_numpy() & value_missing
    if blank.any():
        keep = ~blank
        lines = [str(line_of(r)) for r in rows[blank]]
        notes.append(f"skipped {len(lines)} empty row(s) (line {', '.join(lines[:3])}{', ...' if len(lines) > 3 else ''})")
        date_text, value_text, rows, value_missing = date_text[keep], value_text[keep], rows[keep], value_missing[keep]
    if len(rows) == 0:
        raise BadInputError(f"{path} has a header but no data rows; add data rows")

    empty = np.flatnonzero(date_text.to_numpy() == "")
    if len(empty):
        raise BadInputError(
            f"{path} line {line_of(rows[empty[0]])}: the {date_name!r} cell is empty ({len(empty)} empty in all); "
            "fill in the missing dates or delete those rows"
        )

    dates, date_notes = _parse_dates(date_text.reset_index(drop=True), lambda i: line_of(rows[i]))
    dates = dates.to_numpy()
    bad = np.flatnonzero(pd.isna(dates))
    footer = (len(bad) and len(bad) <= MAX_FOOTER_LINES and bad[0] == len(dates) - len(bad) and len(bad) < len(dates)
              and pd.to_numeric(value_text.iloc[bad], errors="coerce").isna().all())
    if footer:
        # Only the last few lines are neither dates nor numbers: a footer ("Source: ..."), not data.
        notes.append(f"skipped {len(bad)} line(s) below the data that are not dates (a footer?): {_show(date_text.iloc[bad])}")
        keep = np.arange(len(dates)) < bad[0]
        date_text, value_text, rows, value_missing, dates = date_text[keep], value_text[keep], rows[keep], value_missing[keep], dates[keep]
        bad = bad[:0]
    if len(bad):
        if date_at == 0 and date_name == "":
            raise BadInputError(f"{path} has no column {date_col!r}; choose the date column with --date-col")
        hint = "use dates like 1981-01-31 (or 1981-01 for months)"
        if pd.to_numeric(date_text, errors="coerce").between(1, 80000).all():
            hint = "these look like Excel day numbers: format the column as dates in the spreadsheet and save it as CSV again"
        raise BadInputError(
            f"{path} line {line_of(rows[bad[0]])}: {date_text.iloc[bad[0]]!r} in {date_name!r} is not a date; {hint}"
        )
    notes += date_notes

    values, value_notes = _parse_values(value_text.where(~value_missing, "0"), delimiter, value_name)
    values = values.to_numpy(dtype=float, copy=True)
    bad = np.flatnonzero(~np.isfinite(values) & ~value_missing)
    if len(bad):
        raise BadInputError(
            f"{path} line {line_of(rows[bad[0]])}: {value_text.iloc[bad[0]]!r} in {value_name!r} is not a number; "
            "correct that cell (use a dot as the decimal mark, no units or thousands separators)"
        )
    notes += value_notes
    values[value_missing] = np.nan
    n_missing = int(value_missing.sum())
    if n_missing:
        marks = sorted(set(value_text[value_missing].str.upper()), key=len)
        shown = ", ".join(repr(m) if m else "empty" for m in marks[:4])
        first_line = line_of(rows[np.flatnonzero(value_missing)[0]])
        if n_missing == len(values) or n_missing > MAX_MISSING_FRACTION * len(values):
            raise BadInputError(
                f"{path} line {first_line}: the {value_name!r} cell is {'empty' if not marks[0] else repr(marks[0])} "
                f"({n_missing} of {len(values)} values missing, more than {MAX_MISSING_FRACTION:.0%}); "
                "fill in the missing values or delete those rows"
            )
        present = np.flatnonzero(~value_missing)
        inside = int(value_missing[present[0]:present[-1]].sum())
        fate = []
        if inside:
            fate.append(f"{inside} inside the series are gaps to fill")
        if n_missing - inside:
            fate.append(f"{n_missing - inside} at its start or end are dropped")
        notes.append(f"{n_missing} value(s) of {value_name!r} are missing ({shown}; first on line {first_line}): "
                     + ", ".join(fate))

    index = pd.DatetimeIndex(dates)
    steps = np.diff(index.to_numpy())
    if len(steps) > 1 and (steps < np.timedelta64(0)).all():
        notes.append("the file lists the newest date first: reversed to oldest first")
        index, values, rows, date_text = index[::-1], values[::-1], rows[::-1], date_text.iloc[::-1]
        steps = np.diff(index.to_numpy())
    if len(steps) and np.timedelta64(23, "h") <= np.median(steps) <= np.timedelta64(25, "h"):
        days = index.normalize()
        if not (index == days).all() and (index - days).nunique() > 1:
            notes.append("daily values at differing times of day: one value per calendar date, the time dropped")
            index = days

    duplicated = np.flatnonzero(index.duplicated())
    if len(duplicated):
        row = duplicated[0]
        raise BadInputError(
            f"{path} line {line_of(rows[row])}: the date {date_text.iloc[row]} appears twice ({index[row]}); keep one row per date"
        )
    backwards = np.flatnonzero(np.diff(index.to_numpy()) < np.timedelta64(0))
    if len(backwards):
        row = backwards[0] + 1
        raise BadInputError(
            f"{path} line {line_of(rows[row])}: dates go back in time ({date_text.iloc[row]} after "
            f"{date_text.iloc[row - 1]}); sort the file by date, oldest first"
        )

    series = pd.Series(values, index=pd.DatetimeIndex(index, name=date_name or date_col), name=value_name)
    if n_missing:
        series = series.dropna()
    if step_kind(series.index) == "business-daily":
        notes.append("the dates run Monday to Friday: read as a business-day series (weekends are not gaps)")
    for text_of_note in notes:
        note(f"Note: {text_of_note}")
    return series


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
    kind = step_kind(index)
    if kind in ("daily", "business-daily"):  # named frequencies "D" and "B", which the frequency words rely on
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
