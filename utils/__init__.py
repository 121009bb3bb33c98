"""Shared helpers for the Week 17 case scripts: data, windows, baselines, metrics, plots, run-time."""
