"""Shared helpers for the Week 17 case scripts: data, windows, baselines, metrics, plots, run-time."""

import sys

# The scripts print a few symbols (∂, ‖, °, ±). A console or file whose encoding cannot show
# one (a Windows console set to cp1252, say) gets "?" in its place instead of a crash.
for _stream in (sys.stdout, sys.stderr):
    if hasattr(_stream, "reconfigure") and (_stream.encoding or "").lower().replace("-", "") != "utf8":
        _stream.reconfigure(errors="replace")
