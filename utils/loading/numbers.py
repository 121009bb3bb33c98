"""Reading a column of numbers: decimal commas and thousands separators.

Missing-value marks (NA, -, an empty cell: reading.MISSING_MARKS) are not read here: series.py
hands them over as "0" and puts NaN in their place afterwards.
"""

import pandas as pd

_DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:[.\s\u00a0\u202f]\d{3})+|\d*),\d+"
_THOUSANDS_COMMA = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def parse_values(text, delimiter, value_col):
    """(floats with NaN where a cell is not a number, notes): decimal commas read when the file uses them."""
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
        no_thousands = text.str.replace(r"[.\s\u00a0\u202f](?=\d{3}(?:\D|$))", "", regex=True)
        value = pd.to_numeric(no_thousands.str.replace(",", ".", regex=False), errors="coerce")
        read_as = f"{example!r} is {value[has_comma].iloc[0]:g}"
        return value, [f"read ',' as the decimal mark in {value_col!r} ({read_as})"]
    if thousands:
        value = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        read_as = f"{example!r} is {value[has_comma].iloc[0]:g}"
        return value, [f"read ',' as a thousands separator in {value_col!r} ({read_as})"]
    return pd.to_numeric(text, errors="coerce"), []
