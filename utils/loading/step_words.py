"""What one time step of a series is, in words, and the length of its cycle (the season).

A script that forecasts a student's own series must not call its steps "months" or its
seasonal baseline "a year ago" when the data are weekly sales. `describe_steps(index)`
reads the step from the dates and returns the words and the default season:

  step            season  the seasonal-naive forecast is ...   the naive one is ...
  month           12      a year ago                          last month
  quarter         4       a year ago                          last quarter
  week            52      a year ago                          last week
  day             365     a year ago (same day last year)     yesterday
  business day    5       a week ago                          the last business day
  hour            24      a day ago                           last hour
  anything else   12      a season ago (a neutral guess)      the last step

Daily data: 365, not 7. A series measured every day of the week (weather, energy, river
levels) usually cycles with the year, and that is the shipped temperature series; a series
of business days already gets 5. A shop open every day has a weekly cycle: pass --season 7
(the words then say "a week ago"). The season is a default, never a verdict: `--season`
overrides it, and `StepWords.with_season` rewrites the words to match.
"""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from utils.loading import calendar


@dataclass(frozen=True)
class StepWords:
    """The words for one time step of a series and its default season.

    kind: "month", "quarter", "week", "day", "business day", "hour", "year" or "step";
    step / steps: the noun, singular and plural ("month", "months");
    season: the default cycle length in steps;
    season_ago: when the value one season back was measured ("a year ago");
    same_step_last_season: the seasonal-naive forecast in words ("same month last year");
    last_step: the naive forecast in words ("last month");
    note: one sentence on why this season, to print.
    """

    kind: str
    step: str
    steps: str
    season: int
    season_ago: str
    same_step_last_season: str
    last_step: str
    note: str

    def count(self, n):
        """'1 month', '32 months'."""
        return f"{n} {self.step if n == 1 else self.steps}"

    def date(self, timestamp):
        """A date as short as the step allows: '1975-12' for months, '1981-01-31' for days."""
        if self.kind in ("month", "quarter", "year"):
            return timestamp.strftime("%Y-%m")
        if self.kind == "hour" or (self.kind == "step" and (timestamp.hour or timestamp.minute)):
            return timestamp.strftime("%Y-%m-%d %H:%M")
        return timestamp.strftime("%Y-%m-%d")

    def with_season(self, season):
        """The same words for another season length (what --season asks for)."""
        if season == self.season:
            return self
        known = _SPANS.get(self.kind, {}).get(season)
        if known:
            ago, same = known
        else:
            ago, same = f"{self.count(season)} ago", f"the value {self.count(season)} before"
        return replace(self, season=season, season_ago=ago, same_step_last_season=same,
                       note=f"season set to {self.count(season)} by --season")


# For each kind of step, the season lengths that have a name: season -> (season_ago, same_step_last_season).
_SPANS = {
    "month": {12: ("a year ago", "same month last year"), 3: ("a quarter ago", "same month last quarter")},
    "quarter": {4: ("a year ago", "same quarter last year")},
    "week": {52: ("a year ago", "same week last year"), 4: ("4 weeks ago", "same week 4 weeks before")},
    "day": {365: ("a year ago", "same day last year"), 7: ("a week ago", "same weekday last week")},
    "business day": {5: ("a week ago", "same weekday last week")},
    "hour": {24: ("a day ago", "same hour yesterday"), 168: ("a week ago", "same hour last week")},
}

_WORDS = {
    # kind: (step, steps, default season, last_step, why)
    "month": ("month", "months", 12, "last month", "monthly data: a season is 12 months, one year"),
    "quarter": ("quarter", "quarters", 4, "last quarter", "quarterly data: a season is 4 quarters, one year"),
    "week": ("week", "weeks", 52, "last week", "weekly data: a season is 52 weeks, about one year"),
    "day": ("day", "days", 365, "yesterday",
            "daily data: a season is 365 days, one year (for a weekly cycle, pass --season 7)"),
    "business day": ("business day", "business days", 5, "the last business day",
                     "business-day data: a season is 5 business days, one week"),
    "hour": ("hour", "hours", 24, "last hour", "hourly data: a season is 24 hours, one day"),
}


def step_kind(index):
    """The kind of step of a DatetimeIndex: "month", "quarter", "year", "week", "day",
    "business day", "hour", or "step" when none of these fits (utils.loading.calendar.step_kind
    reads the calendar steps; hours are added here)."""
    index = pd.DatetimeIndex(index)
    kind = calendar.step_kind(index)
    if kind:
        return {"monthly": "month", "quarterly": "quarter", "yearly": "year", "weekly": "week",
                "daily": "day", "business-daily": "business day"}[kind]
    if len(index) >= 2 and np.median(np.diff(index.to_numpy())) == np.timedelta64(1, "h"):
        return "hour"
    return "step"


def describe_steps(index, season=None):
    """The `StepWords` of a regular DatetimeIndex; `season` (from --season) overrides the default."""
    kind = step_kind(index)
    if kind in _WORDS:
        step, steps, default, last, why = _WORDS[kind]
        ago, same = _SPANS[kind][default]
        words = StepWords(kind, step, steps, default, ago, same, last, why)
    elif kind == "year":
        words = StepWords("year", "year", "years", 12, "12 years ago", "the value 12 years before",
                          "last year",
                          "yearly data has no cycle within the year; 12 years is only a neutral guess: "
                          "set --season to the cycle you expect")
    else:
        words = StepWords("step", "step", "steps", 12, "a season ago", "the value a season before",
                          "the last step",
                          "the dates do not step by a known calendar unit; 12 steps is only a neutral guess: "
                          "set --season to the cycle you expect")
    return words if season is None else words.with_season(season)
