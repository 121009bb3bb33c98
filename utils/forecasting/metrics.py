"""Regression metrics, the verdict sentence, and metrics.json."""

import json

import numpy as np


def rmse(actual, predicted):
    """Root mean squared error, in the units of the data."""
    error = np.asarray(actual, dtype="float64") - np.asarray(predicted, dtype="float64")
    return float(np.sqrt(np.mean(error**2)))


def mae(actual, predicted):
    """Mean absolute error, in the units of the data."""
    error = np.asarray(actual, dtype="float64") - np.asarray(predicted, dtype="float64")
    return float(np.mean(np.abs(error)))


def score(actual, predicted):
    """{"rmse": ..., "mae": ...} for one forecast."""
    return {"rmse": rmse(actual, predicted), "mae": mae(actual, predicted)}


def write_metrics(path, metrics):
    """Write `metrics` as indented JSON (floats kept to 7 significant digits, so tiny gradient norms
    stay readable) and return the path."""

    def tidy(value):
        if isinstance(value, dict):
            return {key: tidy(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [tidy(item) for item in value]
        if isinstance(value, (float, np.floating)):
            return float(f"{float(value):.7g}")
        if isinstance(value, np.integer):
            return int(value)
        return value

    with open(path, "w", encoding="utf-8") as handle:
        json.dump(tidy(metrics), handle, indent=2)
        handle.write("\n")
    return path


def best_by_rmse(scores):
    """The name with the lowest RMSE in `scores` (name -> score())."""
    return min(scores, key=lambda name: scores[name]["rmse"])


def verdict(model_name, model_rmse, baseline_name, baseline_rmse, unit="", period="the test period"):
    """One plain sentence: did the model beat the best simple baseline (chosen on validation), by how much.

    The percentage is relative to the baseline's RMSE: (baseline - model) / baseline.
    """
    unit = f" {unit}" if unit else ""
    reference = (
        f"the best simple baseline chosen on validation ({baseline_name}, RMSE {baseline_rmse:.3f}{unit})"
    )
    if baseline_rmse <= 0:
        return f"On {period} {reference} is exact; the {model_name} scored RMSE {model_rmse:.3f}{unit}."
    gain = 100 * (baseline_rmse - model_rmse) / baseline_rmse
    if model_rmse < baseline_rmse:
        return f"On {period} the {model_name} beat {reference} by {gain:.1f} % (RMSE {model_rmse:.3f}{unit})."
    return (f"On {period} the {model_name} did not beat {reference}: "
            f"its RMSE {model_rmse:.3f}{unit} is {-gain:.1f} % higher.")
