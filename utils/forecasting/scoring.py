"""Scoring forecasts in real units: many at once, and the predictions file."""

import pandas as pd

from utils.forecasting import metrics


def score_forecasts(actual, forecasts):
    """{name: {"rmse": ..., "mae": ...}} for every forecast in `forecasts` (name -> values in real units)."""
    return {name: metrics.score(actual, forecast) for name, forecast in forecasts.items()}


def save_predictions(path, date_labels, actual, forecasts):
    """Write the test period as CSV: one row per date, the actual value and every forecast (4 decimals)."""
    table = pd.DataFrame({"actual": actual, **forecasts}, index=pd.Index(date_labels, name="date"))
    table.to_csv(path, float_format="%.4f")
    return path
