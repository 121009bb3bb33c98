"""utils.loading.series.load_series on CSV files the way real exports arrive.

A table of file shapes, each ending either in a loaded series with a one-line note saying
how the file was read, or in one BadInputError line naming the problem and the fix; a
round-trip property (any supported dialect gives back the same dates and values); a
property that no malformed file ends in anything but a series or a BadInputError; and the
end-to-end guarantees of a case script (exit code 2, one line on stderr, data/ untouched).
"""

import codecs

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_failure, data_fingerprint, run_script

from utils.loading.calendar import fill_gaps, step_kind
from utils.loading.series import load_series
from utils.plumbing.errors import BadInputError

LSTM = "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py"


def rows(dates, values, fmt="%Y-%m-%d", sep=",", decimal="."):
    """CSV data lines for `dates` (strftime `fmt`) and `values` (written with `decimal`)."""
    return "".join(f"{d.strftime(fmt)}{sep}{str(v).replace('.', decimal)}\n" for d, v in zip(dates, values))


DAYS = pd.date_range("2010-01-01", periods=40, freq="D")
MONTHS = pd.date_range("2010-01-01", periods=40, freq="MS")
BUSINESS = pd.bdate_range("2020-01-01", periods=60)
VALUES = [round(10 + 0.5 * i, 1) for i in range(60)]
BERLIN = pd.date_range("2015-03-20", "2015-04-10", tz="Europe/Berlin")  # clocks go forward on 29 March
AUTUMN = pd.date_range("2015-10-24 20:00", periods=12, freq="h", tz="Europe/Berlin")  # and back on 25 October


# name -> (file text or bytes, value column, expected dates, expected first values, words in one note)
LOADS = {
    "daily, UTC offset changing at daylight saving": (
        "Date,Value\n" + "".join(f"{t.isoformat(sep=' ')},{i}\n" for i, t in enumerate(BERLIN)), "Value",
        pd.date_range("2015-03-20", "2015-04-10"), [0.0, 1.0],
        ["time zone", "+01:00", "+02:00", "local calendar date"],
    ),
    "hourly, across the autumn clock change (the local 02:00 repeats)": (
        "Date,Value\n" + "".join(f"{t.isoformat()},{i}\n" for i, t in enumerate(AUTUMN)), "Value",
        AUTUMN.tz_convert("UTC").tz_localize(None), [0.0, 1.0], ["+02:00, +01:00", "converted to UTC"],
    ),
    "day-first dates": (
        "Date,Value\n" + rows(DAYS, VALUES, "%d/%m/%Y"), "Value", DAYS, VALUES[:2],
        ["day first", "13/01/2010"],
    ),
    "month-first dates": (
        "Date,Value\n" + rows(DAYS, VALUES, "%m/%d/%Y"), "Value", DAYS, VALUES[:2],
        ["month first", "01/13/2010"],
    ),
    "ambiguous day-first monthly dates": (
        "Date,Value\n" + rows(MONTHS, VALUES, "%d.%m.%Y"), "Value", MONTHS, VALUES[:2],
        ["day or month first", "read day first", "YYYY-MM-DD"],
    ),
    "ambiguous month-first monthly dates": (
        "Date,Value\n" + rows(MONTHS, VALUES, "%m/%d/%Y"), "Value", MONTHS, VALUES[:2],
        ["day or month first", "read month first"],
    ),
    "two-digit years": (
        "Date,Value\n" + rows(DAYS, VALUES, "%d.%m.%y"), "Value", DAYS, VALUES[:2], ["two-digit years"],
    ),
    "business days": (
        "Date,Close\n" + rows(BUSINESS, VALUES), "Close", BUSINESS, VALUES[:2],
        ["Monday to Friday", "weekends are not gaps"],
    ),
    "semicolons and decimal commas": (
        "Date;Production\n" + rows(MONTHS, VALUES, "%Y-%m", ";", ","), "Production", MONTHS, VALUES[:2],
        ["decimal mark", "'10,0' is 10"],
    ),
    "decimal commas with thousands dots": (
        "Date;Value\n" + rows(MONTHS, [f"1.{600 + i},5" for i in range(40)], "%Y-%m", ";"), "Value", MONTHS,
        [1600.5, 1601.5], ["decimal mark"],
    ),
    "tabs": (
        "Date\tValue\n" + rows(MONTHS, VALUES, "%Y-%m", "\t"), "Value", MONTHS, VALUES[:2],
        ["separated by tabs"],
    ),
    "quoted thousands separators": (
        "Date,Value\n" + "".join(f'{d:%Y-%m},"1,{600 + i}.5"\n' for i, d in enumerate(MONTHS)), "Value",
        MONTHS, [1600.5, 1601.5], ["thousands separator"],
    ),
    "a title above the header": (
        "Monthly milk production, pounds per cow\n\nDate,Value\n" + rows(MONTHS, VALUES, "%Y-%m"), "Value",
        MONTHS, VALUES[:2], ["skipped 2 line(s) above the header", "Monthly milk production"],
    ),
    "trailing empty lines": (
        "Date,Value\n" + rows(MONTHS, VALUES, "%Y-%m") + "\n,\n", "Value", MONTHS, VALUES[:2],
        ["2 empty row(s)", "line 42"],
    ),
    "an unnamed index column": (
        ",Date,Value\n" + "".join(f"{i},{d:%Y-%m},{v}\n" for i, (d, v) in enumerate(zip(MONTHS, VALUES))),
        "Value", MONTHS, VALUES[:2], [],
    ),
    "a date index saved by pandas without a name": (
        ",Value\n" + rows(MONTHS, VALUES), "Value", MONTHS, VALUES[:2], ["unnamed column 1 as the dates"],
    ),
    "NA for a missing value": (
        "Date,Value\n" + rows(DAYS, ["NA" if i == 5 else v for i, v in enumerate(VALUES[:40])]), "Value",
        DAYS.delete(5), VALUES[:2], ["1 value(s)", "'NA'", "line 7", "1 inside the series are gaps to fill"],
    ),
    "a dash for a missing value": (
        "Date,Value\n" + rows(DAYS, ["-" if i == 5 else v for i, v in enumerate(VALUES[:40])]), "Value",
        DAYS.delete(5), VALUES[:2], ["'-'"],
    ),
    "an empty value at the end": (
        "Date,Value\n" + rows(DAYS, VALUES[:39] + [""]), "Value", DAYS[:-1], VALUES[:2],
        ["empty", "line 41", "1 at its start or end are dropped"],
    ),
    "newest date first": (
        "Date,Value\n" + rows(DAYS[::-1], VALUES[:40][::-1]), "Value", DAYS, VALUES[:2],
        ["newest date first"],
    ),
    "a footer": (
        "Date,Value\n" + rows(MONTHS, VALUES, "%Y-%m") + "Source: a statistics office,\n", "Value", MONTHS,
        VALUES[:2], ["footer", "Source"],
    ),
    "month names": (
        "Date,Value\n" + rows(DAYS, VALUES, "%b %d %Y"), "Value", DAYS, VALUES[:2], ["format %b %d %Y"],
    ),
    "other capitals in the column names": (
        "date,value\n" + rows(MONTHS, VALUES, "%Y-%m"), "Value", MONTHS, VALUES[:2],
        ["exact spelling", "'value'"],
    ),
    "differing times of day": (
        "Date,Value\n"
        + "".join(f"{d:%Y-%m-%d} 09:{i:02d},{v}\n" for i, (d, v) in enumerate(zip(DAYS, VALUES))),
        "Value", DAYS, VALUES[:2], ["times of day", "calendar date"],
    ),
    "a byte-order mark": (
        codecs.BOM_UTF8 + ("Date,Value\n" + rows(MONTHS, VALUES, "%Y-%m")).encode(), "Value", MONTHS,
        VALUES[:2], [],
    ),
    "UTF-16 with tabs (Excel's Unicode text)": (
        ("Date\tValue\n" + rows(MONTHS, VALUES, "%Y-%m", "\t")).encode("utf-16"), "Value", MONTHS, VALUES[:2],
        ["UTF-16"],
    ),
    "Windows line ends": (
        "Date,Value\r\n" + rows(MONTHS, VALUES, "%Y-%m").replace("\n", "\r\n"), "Value", MONTHS, VALUES[:2],
        [],
    ),
}


def write(tmp_path, content, name="series.csv"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("shape", LOADS)
def test_each_export_shape_loads_and_says_how_it_was_read(tmp_path, shape):
    content, value_col, dates, first_values, words = LOADS[shape]
    notes = []
    series = load_series(write(tmp_path, content), "Date", value_col, note=notes.append)
    assert series.dtype == float
    assert list(series.index) == list(dates)
    assert list(series.iloc[:2]) == pytest.approx(first_values)
    assert all(note.startswith("Note: ") and "\n" not in note for note in notes)
    for word in words:
        assert any(word in note for note in notes), (word, notes)
    if not words:
        assert notes == []


def test_notes_are_printed_on_stdout_by_default(tmp_path, capsys):
    load_series(write(tmp_path, "Date;Value\n" + rows(MONTHS, VALUES, "%Y-%m", ";", ",")), "Date", "Value")
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "Note: columns are separated by semicolons",
        "Note: read ',' as the decimal mark in 'Value' ('10,0' is 10)",
    ]


def test_the_shipped_files_load_without_any_note(capsys):
    from utils.plumbing.paths import data_file

    load_series(data_file("monthly_milk_production.csv"), "Date", "Production")
    load_series(data_file("daily_min_temperatures.csv"), "Date", "Temp")
    assert capsys.readouterr().out == ""


def test_a_business_day_series_fills_holidays_and_keeps_weekends_out(tmp_path):
    holidays = BUSINESS.delete([10, 20])
    series = load_series(write(tmp_path, "Date,Close\n" + rows(holidays, VALUES)), "Date", "Close",
                         note=lambda n: None)
    filled, missing = fill_gaps(series)
    assert step_kind(filled.index) == "business-daily" and filled.index.freqstr == "B"
    assert missing == [BUSINESS[10], BUSINESS[20]] and len(filled) == len(BUSINESS)


def test_a_missing_value_becomes_a_gap_that_fill_gaps_fills(tmp_path):
    series = load_series(
        write(tmp_path, "Date,Value\n" + rows(DAYS, ["NA" if i == 5 else float(i) for i in range(40)])),
        "Date", "Value", note=lambda n: None,
    )
    filled, missing = fill_gaps(series)
    assert missing == [DAYS[5]] and filled[DAYS[5]] == 4.0  # the day before


# name -> (file text or bytes, file name, value column, words the one-line error must contain)
FAILS = {
    "an .xlsx workbook": (b"PK\x03\x04" + bytes(200), "series.xlsx", "Value", ["workbook", "save it as CSV"]),
    "an .xls workbook": (
        b"\xd0\xcf\x11\xe0" + bytes(200), "series.xls", "Value", ["Excel 97-2003", "save it as CSV"],
    ),
    "a web page": (
        "<!DOCTYPE html>\n<html><table><tr><td>1</td></tr></table></html>\n", "series.csv", "Value",
        ["web page", "download the data as CSV"],
    ),
    "a binary file": (b"\x00\x01\x02" * 100, "series.csv", "Value", ["binary"]),
    "a wrong column in a semicolon file": (
        "Datum;Wert\n2020-01;1,5\n", "series.csv", "Value",
        ["no column 'Date'", "'Datum', 'Wert'", "semicolons", "--date-col"],
    ),
    "too many missing values": (
        "Date,Value\n" + rows(DAYS, ["NA" if i % 5 == 0 else 1.0 for i in range(40)]), "series.csv", "Value",
        ["line 2", "'NA'", "8 of 40", "more than 5%"],
    ),
    "day-first and month-first mixed": (
        "Date,Value\n13/01/2010,1\n01/14/2010,2\n", "series.csv", "Value",
        ["mix day-first", "line 2", "line 3", "YYYY-MM-DD"],
    ),
    "Excel day numbers as dates": (
        "Date,Value\n40179,1\n40180,2\n", "series.csv", "Value", ["line 2", "Excel day numbers"],
    ),
    "a bad date inside the data": (
        "Date,Value\n" + rows(DAYS[:5], VALUES) + "soon,3\n" + rows(DAYS[5:9], VALUES), "series.csv", "Value",
        ["line 7", "'soon'", "not a date"],
    ),
    "an empty date with a value": (
        "Date,Value\n2020-01-01,1\n,2\n2020-01-03,3\n", "series.csv", "Value",
        ["line 3", "'Date' cell is empty"],
    ),
    "a date twice once the time zone is dropped": (
        "Date,Value\n2015-03-29T00:00:00+01:00,1\n2015-03-29T00:00:00+02:00,2\n2015-03-31T00:00:00+02:00,3\n",
        "series.csv", "Value", ["line 3", "appears twice"],
    ),
    "the same column twice": ("Date,Value\n2020-01-01,1\n", "series.csv", "Date", ["both name 'Date'"]),
    "units in the values": (
        "Date,Value\n2020-01-01,1 kg\n2020-01-02,2 kg\n", "series.csv", "Value",
        ["line 2", "'1 kg'", "not a number"],
    ),
}


@pytest.mark.parametrize("shape", FAILS)
def test_each_unusable_shape_ends_in_one_line_naming_the_fix(tmp_path, shape):
    content, name, value_col, words = FAILS[shape]
    with pytest.raises(BadInputError) as caught:
        load_series(write(tmp_path, content, name), "Date", value_col, note=lambda n: None)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


# ---- properties ------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = dict(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def dialect_files(draw):
    """A regular series written the way some export would write it: (bytes, dates, values)."""
    kind = draw(st.sampled_from(["D", "B", "MS"]))
    n = draw(st.integers(20, 60))  # 20 days from the 1st: a day of 13 or more makes the day order certain
    dates = pd.date_range("2011-03-01", periods=n, freq=kind)
    values = np.round(
        np.array(draw(st.lists(st.floats(-1e5, 1e5, allow_nan=False), min_size=n, max_size=n))), 3
    )
    sep = draw(st.sampled_from([",", ";", "\t"]))
    decimal = draw(st.sampled_from([".", ","])) if sep != "," else "."
    fmt = draw(st.sampled_from(
        ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%dT00:00:00+01:00", "%Y-%m-%d %H:%M"]
    ))
    if kind == "MS" and fmt in ("%d/%m/%Y", "%d.%m.%Y"):
        fmt = "%Y-%m-%d"  # every day is 01: either order fits, covered by the table above
    body = [f"{d.strftime(fmt)}{sep}{repr(float(v)).replace('.', decimal)}" for d, v in zip(dates, values)]
    if draw(st.booleans()):
        body = body[::-1]
    lines = [f"Date{sep}Value"] + body
    if draw(st.booleans()):
        lines = ["Exported series", ""] + lines
    if draw(st.booleans()):
        lines.append("")
    text = "\n".join(lines) + "\n"
    encoded = text.encode("utf-8-sig" if draw(st.booleans()) else "utf-8")
    return encoded, dates, values


@settings(**SETTINGS)
@given(dialect_files())
def test_every_supported_dialect_gives_back_the_same_series(tmp_path, written):
    content, dates, values = written
    series = load_series(write(tmp_path, content), "Date", "Value", note=lambda n: None)
    assert list(series.index) == list(dates)
    np.testing.assert_allclose(series.to_numpy(), values, rtol=1e-12, atol=0)


CELLS = st.sampled_from([
    "", " ", "NA", "-", ".", "nan", "inf", "-inf", "1e400", "abc", "1,5", "1.234,5", "1,234.5", "12:00", "0",
    "-3.5", "2020-01-01", "2020-01-02", "2020-02-30", "2020-13-01", "13/01/2020", "01/13/2020", "31.12.1999",
    "2020-01", "2020-01-01T00:00:00+01:00", "2020-01-02T00:00:00+02:00", "2020-01-01 00:00 UTC", "9999-99-99",
    "0001-01-01",
    "Jan 1 2020", "40179", '"', '""', "Date", "Value", "\u00e9t\u00e9", "\u2028", "\x00",
])


@st.composite
def malformed_files(draw):
    """Files a student might pass: random cells under a plausible header, or plain noise."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    sep = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    header = draw(st.sampled_from([
        f"Date{sep}Value", f"{sep}Date{sep}Value", f"Value{sep}Date", "Date", f"date{sep}value", "",
        f"Date{sep}Date",
    ]))
    body = draw(st.lists(st.lists(CELLS, min_size=0, max_size=4).map(sep.join), max_size=25))
    text = "\n".join([header] + body) + draw(st.sampled_from(["", "\n", "\n\n", "\r\n"]))
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])), errors="replace")


@settings(**{**SETTINGS, "max_examples": 300})
@given(malformed_files())
def test_no_malformed_file_ends_in_a_traceback(tmp_path, content):
    path = write(tmp_path, content)
    try:
        series = load_series(path, "Date", "Value", note=lambda n: None)
    except BadInputError as err:
        assert "\n" not in str(err) and str(err)
        return
    assert series.dtype == float and np.isfinite(series.to_numpy()).all()
    assert isinstance(series.index, pd.DatetimeIndex) and series.index.tz is None
    assert series.index.is_monotonic_increasing and series.index.is_unique
    try:
        fill_gaps(series)
    except BadInputError as err:
        assert "\n" not in str(err)


# ---- end to end: a case script on such files ---------------------------------------------------

def test_a_case_script_prints_the_notes_and_fails_cleanly_on_an_unusable_shape(tmp_path):
    """One run per guarantee, before Keras is imported: exit code 2, one line on stderr, data/ untouched."""
    before = data_fingerprint()
    workbook = write(tmp_path, b"PK\x03\x04" + bytes(100), "milk.xlsx")
    result = run_script(LSTM, "--csv", workbook, "--no-show", "--output-dir", tmp_path / "out1", timeout=120)
    assert_clean_failure(result, "workbook", "save it as CSV")
    # A semicolon, decimal-comma, day-first file that loads but is too short: the notes come first, on stdout.
    short = write(tmp_path, "Date;Production\n" + rows(MONTHS[:6], VALUES, "%d/%m/%Y", ";", ","), "short.csv")
    result = run_script(LSTM, "--csv", short, "--no-show", "--output-dir", tmp_path / "out2", timeout=120)
    assert_clean_failure(result)
    assert "Note: columns are separated by semicolons" in result.stdout
    assert "Note: read ',' as the decimal mark" in result.stdout
    assert "day or month first" in result.stdout
    assert data_fingerprint() == before
