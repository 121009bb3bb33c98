"""Reading a column of numbers: decimal commas, thousands separators and missing-value marks."""


import pandas as pd

_DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:[.\s\u00a0\u202f]\d{3})+|\d*),\d+"
_THOUSANDS_COMMA = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def parse_values(text, delimiter, value_col):
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
