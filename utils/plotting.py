"""Plots for the case scripts: every figure is saved as a PNG, and shown only when a screen exists.

Plots are drawn in real units (pounds per cow, degrees Celsius), never in the scaled
values the network sees.
"""

import os
import sys

import matplotlib

from utils.errors import BadInputError


def display_available():
    """True when a window can be opened: always on Windows and macOS, on Linux only with a display."""
    if sys.platform.startswith("win") or sys.platform == "darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if not display_available():
    # No screen (a server, CI, SSH): draw off-screen so plt.show() can never hang or fail.
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)


def save_figure(fig, path, show=False):
    """Save `fig` as a PNG at `path`; show it in a window only if asked and a screen exists.

    Returns the path written.
    """
    if fig.get_layout_engine() is None:  # figures made with layout="constrained" lay themselves out
        fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as err:
        raise BadInputError(f"cannot write {path} ({err.strerror}); pick a writable --output-dir") from None
    if show and display_available() and matplotlib.get_backend().lower() != "agg":
        plt.show()
    plt.close(fig)
    return path


def plot_loss(history, title="Training and validation loss"):
    """Loss per epoch from a Keras `History` (training, and validation if present)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = range(1, len(history.history["loss"]) + 1)
    ax.plot(epochs, history.history["loss"], label="training")
    if "val_loss" in history.history:
        ax.plot(epochs, history.history["val_loss"], label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({history.model.loss if isinstance(history.model.loss, str) else 'loss'})")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_forecast(history_series, test_dates, actual, predictions, unit, title):
    """The series, the test period's actual values, and each forecast (a dict label → values).

    `history_series` is a pandas Series of the data before the test period (drawn in grey).
    """
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(history_series.index, history_series.values, color="0.6", label="training data")
    ax.plot(test_dates, actual, color="black", linewidth=2, label="actual (test)")
    for label, values in predictions.items():
        ax.plot(test_dates, values, linestyle="--", marker=".", label=label)
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.legend()
    return fig


def plot_future(series, future_dates, future_values, unit, title):
    """The whole series and the forecast beyond its last date."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(series.index, series.values, color="black", label="data")
    ax.plot(future_dates, future_values, color="tab:red", marker="o", label="forecast")
    ax.axvline(series.index[-1], color="0.6", linestyle=":")
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.legend()
    return fig
