"""Load a dated series from a CSV file and check it (reading.py, dates.py and numbers.py do the reading).

`load_series` accepts a CSV with a date column and a numeric value column, in the shapes
real exports come in: a title line above the header, semicolons or tabs instead of commas,
decimal commas, day-first dates, time-zone offsets, NA or - for a missing value, newest
dates first, a footer line. Every interpretation it makes is printed as one "Note: ..."
line; every problem it cannot repair ends in a `BadInputError` that names the line of the
file and says how to fix it. Nothing is guessed silently.
"""

import io
import warnings
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
    path = Path(csv_path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise BadInputError(f"data file {path} {what}; pass an existing CSV file with --csv")
    if date_col == value_col:
        raise BadInputError(f"--date-col and --value-col both name {date_col!r}; the dates and the values must be two columns")
    text, notes = read_text(path)
    head = text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    head = [line.rstrip("\r") for line in head]
    header_line, delimiter, date_at, value_at, date_name, value_name, header_notes = find_header(path, head, date_col, value_col)
    notes += header_notes
    if delimiter != ",":
        notes.append(f"columns are separated by {DELIMITER_NAMES[delimiter]}")
    if header_line > 0:
        notes.append(f"skipped {header_line} line(s) above the header (a title?): {show_first(x for x in head[:header_line] if x.strip())}")
    body_start = 0
    for _ in range(header_line):
        body_start = text.index("\n", body_start) + 1
    line_of = lambda row: line_number(row, header_line)
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

    dates, date_notes = parse_dates(date_text.reset_index(drop=True), lambda i: line_of(rows[i]))
    dates = dates.to_numpy()
    bad = np.flatnonzero(pd.isna(dates))
    footer = (len(bad) and len(bad) <= MAX_FOOTER_LINES and bad[0] == len(dates) - len(bad) and len(bad) < len(dates)
              and pd.to_numeric(value_text.iloc[bad], errors="coerce").isna().all())
    if footer:
        # Only the last few lines are neither dates nor numbers: a footer ("Source: ..."), not data.
        notes.append(f"skipped {len(bad)} line(s) below the data that are not dates (a footer?): {show_first(date_text.iloc[bad])}")
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

    values, value_notes = parse_values(value_text.where(~value_missing, "0"), delimiter, value_name)
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
