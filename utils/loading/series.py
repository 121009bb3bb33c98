"""Load a dated series from a CSV file and check it, one small step at a time.

`load_series` accepts a CSV with a date column and a numeric value column, in the shapes
real exports come in: a title line above the header, semicolons or tabs instead of commas,
decimal commas, day-first dates, time-zone offsets, NA or - for a missing value, newest
dates first, a footer line. Every interpretation it makes is printed as one "Note: ..."
line; every problem it cannot repair ends in a `BadInputError` that names the line of the
file and says how to fix it. Nothing is guessed silently.

`load_series` reads as a list of the steps below, in the order it takes them: check the
request, read the text, find the header, read the two columns, skip empty rows, check
that every row has a date, read the dates (and skip a footer), read the values (and count
the missing ones), put the dates oldest first, check the order, build the series.
reading.py (the text and the header), dates.py and numbers.py do the parsing; the steps
here decide what to do with what they return.
"""

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from utils.loading.calendar import MAX_MISSING_FRACTION, step_kind
from utils.loading.dates import parse_dates
from utils.loading.numbers import parse_values
from utils.loading.reading import (
    DELIMITER_NAMES,
    HEADER_SEARCH_LINES,
    MAX_FOOTER_LINES,
    MISSING_MARKS,
    find_header,
    line_number,
    read_text,
    show_first,
)
from utils.plumbing.errors import BadInputError


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
    path = check_request(csv_path, date_col, value_col)
    text, notes = read_text(path)  # notes collect here and are handed to `note` only at the end
    header = locate_header(path, text, date_col, value_col, notes)
    cells = read_columns(path, text, header)
    cells = skip_empty_rows(path, cells, header, notes)
    check_dates_present(path, cells, header)
    cells, dates = read_dates(path, cells, header, date_col, notes)
    values, n_missing = read_values(path, cells, header, notes)
    index, values, cells = oldest_first(pd.DatetimeIndex(dates), values, cells, notes)
    index = one_value_per_day(index, notes)
    check_order(path, index, cells, header)
    series = build_series(index, values, n_missing, header, date_col, notes)
    for text_of_note in notes:
        note(f"Note: {text_of_note}")
    return series


@dataclass(frozen=True)
class Header:
    """Where the header line is and what it says (found by `reading.find_header`)."""

    line: int  # 0-based line of the header in the file (lines above it are a title)
    delimiter: str
    date_at: int  # column positions of the dates and the values
    value_at: int
    date_name: str  # the names as the file spells them ("" for pandas' unnamed index column)
    value_name: str

    def line_of(self, row):
        """The line in the file of data row `row` (rows count from 0 below the header)."""
        return line_number(row, self.line)


@dataclass
class Cells:
    """The date and value cells still in play, as stripped text, and the data row each came from."""

    date_text: pd.Series
    value_text: pd.Series
    rows: np.ndarray  # data-row positions: header.line_of(rows[i]) is the line in the file
    value_missing: np.ndarray  # True where the value cell is a missing mark (NA, -, empty, ...)

    def keep(self, mask):
        """The cells where boolean array `mask` is True."""
        return Cells(self.date_text[mask], self.value_text[mask], self.rows[mask], self.value_missing[mask])


def check_request(csv_path, date_col, value_col):
    """The path as a Path, once it names a file and the two column names differ."""
    path = Path(csv_path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise BadInputError(f"data file {path} {what}; pass an existing CSV file with --csv")
    if date_col == value_col:
        raise BadInputError(
            f"--date-col and --value-col both name {date_col!r}; the dates and the values must be two columns"
        )
    return path


def locate_header(path, text, date_col, value_col, notes):
    """The `Header`: the first of the top lines that names both columns; notes a delimiter and a title."""
    head = text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    head = [line.rstrip("\r") for line in head]
    line, delimiter, date_at, value_at, date_name, value_name, header_notes = find_header(
        path, head, date_col, value_col
    )
    header = Header(line, delimiter, date_at, value_at, date_name, value_name)
    notes += header_notes
    if header.delimiter != ",":
        notes.append(f"columns are separated by {DELIMITER_NAMES[header.delimiter]}")
    if header.line > 0:
        title = show_first(x for x in head[:header.line] if x.strip())
        notes.append(f"skipped {header.line} line(s) above the header (a title?): {title}")
    return header


def read_columns(path, text, header):
    """`Cells` of the date and value columns, every row below the header, as stripped text."""
    body_start = 0  # where the header line starts in `text`
    for _ in range(header.line):
        body_start = text.index("\n", body_start) + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = pd.read_csv(
                io.StringIO(text[body_start:] if body_start else text),
                sep=header.delimiter,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                usecols=[header.date_at, header.value_at],
                header=0,
            )
    except pd.errors.EmptyDataError:
        raise BadInputError(f"{path} is empty; pass a CSV with a header line and data rows") from None
    except (pd.errors.ParserError, ValueError, OSError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise BadInputError(
            f"{path} cannot be read as CSV ({first_line}); check that every row has the same columns"
        ) from None
    # usecols keeps the two columns in file order, whichever of them was asked for first.
    positions = sorted([header.date_at, header.value_at])
    date_text = table.iloc[:, positions.index(header.date_at)].fillna("").astype(str).str.strip()
    value_text = table.iloc[:, positions.index(header.value_at)].fillna("").astype(str).str.strip()
    value_missing = value_text.str.lower().isin(MISSING_MARKS).to_numpy()
    return Cells(date_text, value_text, np.arange(len(table)), value_missing)


def skip_empty_rows(path, cells, header, notes):
    """The cells without rows whose date and value are both empty; fails when no row is left."""
    blank = (cells.date_text == "").to_numpy() & cells.value_missing
    if blank.any():
        lines = [str(header.line_of(r)) for r in cells.rows[blank]]
        more = ", ..." if len(lines) > 3 else ""
        notes.append(f"skipped {len(lines)} empty row(s) (line {', '.join(lines[:3])}{more})")
        cells = cells.keep(~blank)
    if len(cells.rows) == 0:
        raise BadInputError(f"{path} has a header but no data rows; add data rows")
    return cells


def check_dates_present(path, cells, header):
    """Fail on the first row that has a value but an empty date cell."""
    empty = np.flatnonzero(cells.date_text.to_numpy() == "")
    if len(empty):
        raise BadInputError(
            f"{path} line {header.line_of(cells.rows[empty[0]])}: the {header.date_name!r} cell is empty "
            f"({len(empty)} empty in all); fill in the missing dates or delete those rows"
        )


def read_dates(path, cells, header, date_col, notes):
    """(cells, dates as a datetime64 array): every date parsed, a footer skipped, or a BadInputError."""
    rows = cells.rows
    dates, date_notes = parse_dates(cells.date_text.reset_index(drop=True), lambda i: header.line_of(rows[i]))
    dates = dates.to_numpy()
    cells, dates = skip_footer(cells, dates, notes)
    bad = np.flatnonzero(pd.isna(dates))
    if len(bad):
        raise_bad_date(path, cells, bad[0], header, date_col)
    notes += date_notes  # after the footer's note: the notes follow the file from top to bottom
    return cells, dates


def skip_footer(cells, dates, notes):
    """(cells, dates) without the last few lines when only they are neither dates nor numbers."""
    bad = np.flatnonzero(pd.isna(dates))
    footer = (
        len(bad)
        and len(bad) <= MAX_FOOTER_LINES
        and bad[0] == len(dates) - len(bad)
        and len(bad) < len(dates)
        and pd.to_numeric(cells.value_text.iloc[bad], errors="coerce").isna().all()
    )
    if not footer:
        return cells, dates
    # Only the last few lines are neither dates nor numbers: a footer ("Source: ..."), not data.
    shown = show_first(cells.date_text.iloc[bad])
    notes.append(f"skipped {len(bad)} line(s) below the data that are not dates (a footer?): {shown}")
    keep = np.arange(len(dates)) < bad[0]
    return cells.keep(keep), dates[keep]


def raise_bad_date(path, cells, row, header, date_col):
    """Fail on the date cell at `row`, with a hint that fits what the column holds."""
    if header.date_at == 0 and header.date_name == "":
        raise BadInputError(f"{path} has no column {date_col!r}; choose the date column with --date-col")
    hint = "use dates like 1981-01-31 (or 1981-01 for months)"
    if pd.to_numeric(cells.date_text, errors="coerce").between(1, 80000).all():
        hint = (
            "these look like Excel day numbers: format the column as dates in the spreadsheet "
            "and save it as CSV again"
        )
    raise BadInputError(
        f"{path} line {header.line_of(cells.rows[row])}: {cells.date_text.iloc[row]!r} in "
        f"{header.date_name!r} is not a date; {hint}"
    )


def read_values(path, cells, header, notes):
    """(floats with NaN where a value is missing, how many are missing): every other cell a number."""
    value_text, value_missing = cells.value_text, cells.value_missing
    zeros_for_missing = value_text.where(~value_missing, "0")  # parsed, then set back to NaN below
    values, value_notes = parse_values(zeros_for_missing, header.delimiter, header.value_name)
    values = values.to_numpy(dtype=float, copy=True)
    bad = np.flatnonzero(~np.isfinite(values) & ~value_missing)
    if len(bad):
        raise BadInputError(
            f"{path} line {header.line_of(cells.rows[bad[0]])}: {value_text.iloc[bad[0]]!r} in "
            f"{header.value_name!r} is not a number; "
            "correct that cell (use a dot as the decimal mark, no units or thousands separators)"
        )
    notes += value_notes
    values[value_missing] = np.nan
    n_missing = int(value_missing.sum())
    if n_missing:
        note_missing_values(path, cells, n_missing, header, notes)
    return values, n_missing


def note_missing_values(path, cells, n_missing, header, notes):
    """Note how many values are missing and what becomes of them; fail when more than 5 % are."""
    value_missing, n_values = cells.value_missing, len(cells.value_missing)
    marks = sorted(set(cells.value_text[value_missing].str.upper()), key=len)
    shown = ", ".join(repr(m) if m else "empty" for m in marks[:4])
    first_line = header.line_of(cells.rows[np.flatnonzero(value_missing)[0]])
    if n_missing == n_values or n_missing > MAX_MISSING_FRACTION * n_values:
        raise BadInputError(
            f"{path} line {first_line}: the {header.value_name!r} cell is "
            f"{'empty' if not marks[0] else repr(marks[0])} "
            f"({n_missing} of {n_values} values missing, more than {MAX_MISSING_FRACTION:.0%}); "
            "fill in the missing values or delete those rows"
        )
    present = np.flatnonzero(~value_missing)
    inside = int(value_missing[present[0]:present[-1]].sum())
    fate = []
    if inside:
        fate.append(f"{inside} inside the series are gaps to fill")
    if n_missing - inside:
        fate.append(f"{n_missing - inside} at its start or end are dropped")
    notes.append(
        f"{n_missing} value(s) of {header.value_name!r} are missing ({shown}; first on line {first_line}): "
        + ", ".join(fate)
    )


def oldest_first(index, values, cells, notes):
    """(index, values, cells) reversed when every date is older than the one above it."""
    steps = np.diff(index.to_numpy())
    if len(steps) > 1 and (steps < np.timedelta64(0)).all():
        notes.append("the file lists the newest date first: reversed to oldest first")
        cells = Cells(
            cells.date_text.iloc[::-1],
            cells.value_text.iloc[::-1],
            cells.rows[::-1],
            cells.value_missing[::-1],
        )
        return index[::-1], values[::-1], cells
    return index, values, cells


def one_value_per_day(index, notes):
    """The index, or its calendar dates when a daily series was logged at differing times of day."""
    steps = np.diff(index.to_numpy())
    if len(steps) and np.timedelta64(23, "h") <= np.median(steps) <= np.timedelta64(25, "h"):
        days = index.normalize()
        if not (index == days).all() and (index - days).nunique() > 1:
            notes.append(
                "daily values at differing times of day: one value per calendar date, the time dropped"
            )
            return days
    return index


def check_order(path, index, cells, header):
    """Fail on the first date that appears twice, or else on the first that goes back in time."""
    duplicated = np.flatnonzero(index.duplicated())
    if len(duplicated):
        row = duplicated[0]
        raise BadInputError(
            f"{path} line {header.line_of(cells.rows[row])}: the date {cells.date_text.iloc[row]} appears "
            f"twice ({index[row]}); keep one row per date"
        )
    backwards = np.flatnonzero(np.diff(index.to_numpy()) < np.timedelta64(0))
    if len(backwards):
        row = backwards[0] + 1
        raise BadInputError(
            f"{path} line {header.line_of(cells.rows[row])}: dates go back in time "
            f"({cells.date_text.iloc[row]} after {cells.date_text.iloc[row - 1]}); "
            "sort the file by date, oldest first"
        )


def build_series(index, values, n_missing, header, date_col, notes):
    """The float Series named after the value column, missing values dropped; notes a business-day series."""
    index = pd.DatetimeIndex(index, name=header.date_name or date_col)
    series = pd.Series(values, index=index, name=header.value_name)
    if n_missing:
        series = series.dropna()
    if step_kind(series.index) == "business-daily":
        notes.append("the dates run Monday to Friday: read as a business-day series (weekends are not gaps)")
    return series
