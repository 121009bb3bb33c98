"""Reading a CSV file as text: its encoding, its separator and the line that holds the header.

Also what series.py's checks share: the cells that mean "no value" (`MISSING_MARKS`), the line
number in the file of a data row (`line_number`) and a short list for a message (`show_first`).
"""

import codecs
import csv
import re

from utils.plumbing.errors import BadInputError

# Cells that spreadsheets, loggers and statistics sites write for "no value" (compared in lower case;
# "." is FRED's mark).
MISSING_MARKS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "."})
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_LINES = 30  # the header must be among the first 30 lines (titles above it are skipped)
MAX_FOOTER_LINES = 5  # up to 5 non-date lines at the end ("Source: ...") are skipped with a note

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def line_number(row_position, header_line=0):
    """Line number in the file of a data row (the header is on line `header_line` + 1)."""
    return int(row_position) + header_line + 2


def show_first(values, limit=3):
    """A short list for a message: 'a', 'b', 'c' (and 4 more)."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" (and {len(values) - limit} more)" if len(values) > limit else "")


def read_text(path):
    """The file's text, and notes; rejects workbooks, web pages and binary files in one line."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BadInputError(f"{path} cannot be read ({err.strerror}); check the file's permissions") from None
    notes = []
    save_as_csv = (
        "open it in the spreadsheet program and save it as CSV (File > Save As > CSV UTF-8), "
        "then pass the .csv with --csv"
    )
    if raw.startswith(b"PK\x03\x04"):
        raise BadInputError(
            f"{path} is a spreadsheet workbook (.xlsx or .ods, a zip archive), not a CSV file; {save_as_csv}"
        )
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadInputError(f"{path} is an Excel 97-2003 workbook (.xls), not a CSV file; {save_as_csv}")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16", errors="replace")
        notes.append(f"{path.name} is UTF-16 text (Excel's \"Unicode text\"): read as such")
    elif b"\x00" in raw[:4096]:
        raise BadInputError(
            f"{path} is a binary file, not a CSV text file; pass a CSV file (export or save the data as CSV)"
        )
    else:
        try:
            text = raw.decode("utf-8-sig")  # also drops the byte-order mark Excel writes at the start
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                raise BadInputError(
                    f"{path} is not a UTF-8 text file; save it as CSV (UTF-8) and try again"
                ) from None
            notes.append(
                f"{path.name} is not UTF-8: read it as Windows-1252 (Western European); "
                "save it as CSV UTF-8 to be sure"
            )
    if not text.strip():
        raise BadInputError(f"{path} is empty; pass a CSV with a header line and data rows")
    if text.lstrip()[:1] == "<" and re.search(r"<(html|table|!doctype)", text[:2000], re.IGNORECASE):
        raise BadInputError(
            f"{path} is a web page (HTML), not a CSV file; download the data as CSV instead "
            "(a CSV or Download link), or open it in a spreadsheet and save it as CSV"
        )
    if "\n" not in text and "\r" in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    return text, notes


def _fields(line, delimiter):
    """The cells of one line, unquoted and stripped."""
    try:
        return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def find_header(path, lines, date_col, value_col):
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
    usual_lines = (line for line in lines if line.strip() and len(_fields(line, delimiter)) == usual)
    header = next(usual_lines, lines[0])
    cells = _fields(header, delimiter)
    if value_col in cells and "" in cells:  # pandas' to_csv writes the date index as an unnamed first column
        return lines.index(header), delimiter, cells.index(""), cells.index(value_col), "", value_col, [
            f"no column {date_col!r}: reading the unnamed column {cells.index('') + 1} as the dates"]
    columns = ", ".join(repr(c) for c in cells)
    missing, flag = (date_col, "--date-col") if date_col not in cells else (value_col, "--value-col")
    where = f" (read with {DELIMITER_NAMES[delimiter]} between columns)" if delimiter != "," else ""
    raise BadInputError(
        f"{path} has no column {missing!r}; its columns are {columns}{where}: choose one with {flag}"
    )


def _mode(counts):
    return max(set(counts), key=counts.count) if counts else 0
