"""Data loading and calendars: a CSV file read step by step into a dated series, its gaps, and
the words for its steps (months, days, ...)."""
