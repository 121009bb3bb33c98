"""utils.loading.step_words: the words and default season read from the dates."""

import dataclasses

import pandas as pd
import pytest

from utils.loading.step_words import describe_steps, step_kind


@pytest.mark.parametrize(
    "freq, kind, season, ago, last",
    [
        ("MS", "month", 12, "a year ago", "last month"),
        ("ME", "month", 12, "a year ago", "last month"),
        ("QS", "quarter", 4, "a year ago", "last quarter"),
        ("W-SUN", "week", 52, "a year ago", "last week"),
        ("D", "day", 365, "a year ago", "yesterday"),
        ("B", "business day", 5, "a week ago", "the last business day"),
        ("h", "hour", 24, "a day ago", "last hour"),
        ("10min", "step", 12, "a season ago", "the last step"),
    ],
)
def test_each_step_gets_its_words_and_season(freq, kind, season, ago, last):
    words = describe_steps(pd.date_range("2001-01-01", periods=40, freq=freq))
    assert (words.kind, words.season, words.season_ago, words.last_step) == (kind, season, ago, last)
    assert words.note  # always a sentence to print


def test_season_flag_overrides_the_default_and_rewrites_the_words():
    daily = pd.date_range("2001-01-01", periods=40, freq="D")
    assert describe_steps(daily, season=7).season_ago == "a week ago"
    odd = describe_steps(daily, season=30)
    assert (odd.season, odd.season_ago) == (30, "30 days ago") and "--season" in odd.note
    assert describe_steps(daily, season=365) == describe_steps(daily)


def test_weekly_words_never_say_month():
    words = describe_steps(pd.date_range("2001-01-07", periods=300, freq="W"))
    assert "month" not in " ".join(map(str, dataclasses.astuple(words))).lower()
    assert words.count(1) == "1 week" and words.count(3) == "3 weeks"


def test_too_short_an_index_is_a_neutral_step():
    assert step_kind(pd.DatetimeIndex(["2001-01-01"])) == "step"
