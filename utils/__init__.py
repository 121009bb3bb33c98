"""Shared helpers for the Week 17 case scripts, in layers: recurrent/ (the lesson's arithmetic),
forecasting/ (the pipeline), loading/ (CSV files and calendars), language/ (Case 17-1's text),
showing/ (plots and tables), plumbing/ (command line, errors, paths, run-time)."""

import sys

# The scripts print a few symbols (∂, ‖, °, ±). A console or file whose encoding cannot show
# one (a Windows console set to cp1252, say) gets "?" in its place instead of a crash.
for _stream in (sys.stdout, sys.stderr):
    if hasattr(_stream, "reconfigure") and (_stream.encoding or "").lower().replace("-", "") != "utf8":
        _stream.reconfigure(errors="replace")
