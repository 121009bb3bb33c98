"""utils.loading: loading a dated series from a CSV, and making its dates regular."""

import numpy as np
import pandas as pd
import pytest

from utils.loading.calendar import (
    calendar_frequency,
    dates_after,
    fill_gaps,
    regular_dates,
    step_kind,
)
from utils.loading.series import load_series
from utils.plumbing.errors import BadInputError
from utils.plumbing.paths import data_file


def write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_the_shipped_milk_data():
    series = load_series(data_file("monthly_milk_production.csv"), "Date", "Production")
    assert len(series) == 168
    assert series.index[0] == pd.Timestamp("1962-01-01") and series.index[-1] == pd.Timestamp("1975-12-01")
    assert series.iloc[0] == 589.0 and series.dtype == float


def test_loads_the_shipped_temperatures_and_fills_the_two_missing_new_years_eves():
    series = load_series(data_file("daily_min_temperatures.csv"), "Date", "Temp")
    filled, missing = fill_gaps(series)
    assert len(series) == 3650 and len(filled) == 3652
    assert missing == [pd.Timestamp("1984-12-31"), pd.Timestamp("1988-12-31")]
    # filled from the past only: the last value before the gap, never the day after it
    assert filled["1984-12-31"] == filled["1984-12-30"]
    assert filled["1988-12-31"] == filled["1988-12-30"]


def test_a_gap_is_filled_from_the_past_only_so_later_values_never_reach_it():
    dates = pd.date_range("2020-01-01", periods=60, freq="D")
    series = pd.Series(np.arange(60.0), index=dates).drop(dates[[10, 29, 30]])
    filled, missing = fill_gaps(series)
    later_changed = series.copy()
    later_changed[later_changed.index > dates[30]] += 1000.0  # everything after the last gap
    filled_again, _ = fill_gaps(later_changed)
    assert missing == list(dates[[10, 29, 30]])
    assert filled[dates[10]] == 9.0 and filled[dates[29]] == 28.0 and filled[dates[30]] == 28.0
    assert (filled_again[: dates[30]] == filled[: dates[30]]).all()


def test_dates_are_parsed_and_whitespace_is_tolerated(tmp_path):
    path = write(tmp_path, "when, value\n2020-01-01, 1.5\n2020-01-02, 2\n")
    series = load_series(path, "when", "value")
    assert list(series) == [1.5, 2.0]


@pytest.mark.parametrize(
    "text, words",
    [
        ("Date,Production\n1962-01,589\n1962-02,abc\n", ["line 3", "'abc'", "not a number"]),
        ("Date,Production\n1962-01,589\n1962-02,\n", ["line 3", "empty"]),
        ("Date,Production\n1962-01,589\nnot-a-date,561\n", ["line 3", "not a date"]),
        ("Date,Production\n1962-01,589\n1962-01,561\n", ["line 3", "twice"]),
        ("Date,Production\n1962-02,589\n1962-01,561\n", ["line 3", "sort"]),
        ("Date,Production\n", ["no data rows"]),
        ("", ["empty"]),
        ("Date,Production\n1962-01,inf\n", ["not a number"]),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, words):
    with pytest.raises(BadInputError) as caught:
        load_series(write(tmp_path, text), "Date", "Production")
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_a_missing_column_lists_the_columns_that_exist(tmp_path):
    path = write(tmp_path, "Month,Milk\n1962-01,589\n")
    with pytest.raises(BadInputError, match="no column 'Production'.*'Month', 'Milk'.*--value-col"):
        load_series(path, "Month", "Production")


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        load_series(tmp_path / "nope.csv", "Date", "Value")
    with pytest.raises(BadInputError, match="is a folder"):
        load_series(tmp_path, "Date", "Value")


def test_a_windows_1252_file_is_read_with_a_note_and_an_undecodable_one_is_rejected(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("Date,Température\n2020-01-01,1\n2020-01-02,2\n".encode("cp1252"))
    notes = []
    assert list(load_series(path, "Date", "Température", note=notes.append)) == [1.0, 2.0]
    assert any("Windows-1252" in n for n in notes)
    path.write_bytes(b"Date,Value\n2020-01-01,1\x81\x8d\n")
    with pytest.raises(BadInputError, match="UTF-8"):
        load_series(path, "Date", "Value")


def test_monthly_dates_on_any_day_of_the_month_are_put_on_the_first():
    month_ends = pd.date_range("2000-01-31", periods=30, freq="ME").delete(2)  # March 2000 is missing
    series = pd.Series(np.arange(30.0)[np.arange(30) != 2], index=month_ends)
    filled, missing = fill_gaps(series)
    assert list(filled.index[:4]) == list(
        pd.to_datetime(["2000-01-01", "2000-02-01", "2000-03-01", "2000-04-01"])
    )
    assert missing == [pd.Timestamp("2000-03-01")]
    assert filled.iloc[2] == 1.0  # the value before the gap


def test_calendar_frequency_is_recognised():
    assert calendar_frequency(pd.date_range("2000-01-01", periods=5, freq="MS")) == "M"
    assert calendar_frequency(pd.date_range("2000-01-01", periods=5, freq="QS")) == "Q"
    assert calendar_frequency(pd.date_range("2000-01-01", periods=5, freq="YS")) == "Y"
    assert calendar_frequency(pd.date_range("2000-01-01", periods=5, freq="D")) is None


def test_an_irregular_series_is_rejected():
    index = pd.DatetimeIndex([pd.Timestamp("2000-01-01") + pd.Timedelta(hours=h) for h in (0, 24, 48, 84)])
    with pytest.raises(BadInputError, match="not evenly spaced"):
        regular_dates(index)


def test_too_many_gaps_are_rejected_rather_than_invented():
    index = pd.date_range("2000-01-01", periods=100, freq="D").delete(range(10, 20))
    with pytest.raises(BadInputError, match="10 of 100 dates are missing"):
        fill_gaps(pd.Series(1.0, index=index))


def test_dates_after_continues_a_regular_index():
    monthly, _ = fill_gaps(pd.Series([1.0, 2.0], index=pd.to_datetime(["1975-11-01", "1975-12-01"])))
    assert list(dates_after(monthly.index, 2)) == list(pd.to_datetime(["1976-01-01", "1976-02-01"]))
    daily, _ = fill_gaps(pd.Series([1.0, 2.0], index=pd.to_datetime(["1990-12-30", "1990-12-31"])))
    assert dates_after(daily.index, 1)[0] == pd.Timestamp("1991-01-01")


@pytest.mark.parametrize(
    "index, kind",
    [
        (pd.date_range("2000-01-01", periods=30, freq="D"), "daily"),
        (pd.date_range("2000-01-01", periods=30, freq="D").delete([3, 10]), "daily"),  # gaps keep the kind
        (pd.bdate_range("2000-01-03", periods=30), "business-daily"),
        (pd.bdate_range("2000-01-03", periods=30).delete([4, 9]), "business-daily"),  # holidays keep the kind
        # Monday to Friday of one week: no weekend spanned
        (pd.date_range("2000-01-03", periods=5, freq="D"), "daily"),
        (pd.date_range("2000-01-02", periods=30, freq="W"), "weekly"),
        (pd.date_range("2000-01-01", periods=30, freq="MS"), "monthly"),
        (pd.date_range("2000-01-31", periods=30, freq="ME"), "monthly"),
        (pd.date_range("2000-01-01", periods=12, freq="QS"), "quarterly"),
        (pd.date_range("2000-01-01", periods=12, freq="YS"), "yearly"),
        (pd.date_range("2000-01-01", periods=48, freq="h"), None),
        (pd.date_range("2000-01-01", periods=30, freq="2D"), None),
        (pd.DatetimeIndex(["2000-01-01"]), None),
    ],
)
def test_step_kind_names_how_the_dates_step(index, kind):
    assert step_kind(index) == kind


def test_a_business_day_series_has_no_weekend_gaps_and_continues_on_monday():
    days = pd.bdate_range("2021-01-04", periods=60).delete([10, 30])  # two holidays
    filled, missing = fill_gaps(pd.Series(np.arange(58.0), index=days))
    assert missing == [days[0] + pd.offsets.BDay(10), days[0] + pd.offsets.BDay(30)]
    assert len(filled) == 60 and (filled.index.dayofweek < 5).all()
    assert filled.index.freqstr == "B"
    assert filled.iloc[10] == filled.iloc[9]  # the business day before the gap
    friday = filled.index[filled.index.dayofweek == 4][-1]
    monday_after = dates_after(filled.index[: filled.index.get_loc(friday) + 1], 2)
    assert list(monday_after) == [friday + pd.Timedelta(days=3), friday + pd.Timedelta(days=4)]


def test_a_daily_series_with_a_few_weekend_rows_is_told_how_to_become_a_business_day_series():
    days = pd.bdate_range("2021-01-04", periods=100).append(pd.DatetimeIndex(["2021-01-09"])).sort_values()
    with pytest.raises(BadInputError, match=r"only 1 date\(s\) fall on a weekend"):
        fill_gaps(pd.Series(1.0, index=days))
