"""Plots for the case scripts: every figure is saved as a PNG, and shown only when a screen exists.

Data and forecasts are drawn in real units (pounds per cow, degrees Celsius), not in the scaled
values the network sees; only the loss curves are in the scaled units the loss is computed in.

Showing never stops a run. With a screen, `save_figure(..., show=True)` opens the window
without blocking (`plt.show(block=False)`), so the script, or a debugger stepping through
it, goes straight on to the next line. The windows stay open: when the script ends, one
blocking `plt.show()` (registered with `atexit` the first time a window opens) keeps them
on screen until the student closes them. Without a screen (a server, CI, the tests) the
Agg backend draws off-screen, no window opens and nothing is registered, so nothing waits.
"""

import atexit
import os
import sys

import matplotlib
import numpy as np

from utils.plumbing.errors import BadInputError


def display_available():
    """True when a window can be opened: always on Windows and macOS, on Linux only with a display."""
    if sys.platform.startswith("win") or sys.platform == "darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if not display_available():
    # No screen (a server, CI, SSH): draw off-screen so plt.show() can never hang or fail.
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)


def opens_windows():
    """True when matplotlib's backend draws in windows on a screen (TkAgg, QtAgg, macosx, ...).

    False for the off-screen Agg backend and for backends that draw inside a notebook or an
    IDE's interactive window (inline), where `plt.show()` never blocks anyway.
    """
    name = matplotlib.get_backend().lower()
    if name.startswith("module://"):  # inline and other third-party backends: not a window of ours
        return False
    try:
        from matplotlib.backends import (  # matplotlib 3.9 and later
            BackendFilter,
            backend_registry,
        )
    except ImportError:
        return name not in ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template", "nbagg", "webagg")
    windowed = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    return name in windowed and name not in ("nbagg", "notebook", "webagg")


_keep_open_registered = False


def keep_windows_open():
    """Block until the student closes every plot window; return at once if none is open.

    Registered with `atexit` by `save_figure` the first time it opens a window, so it runs once,
    when the script ends. Headless (or with --no-show) no window exists and it returns at once.
    """
    if not (opens_windows() and plt.get_fignums()):
        return
    print("The plot windows stay open until you close them (Ctrl+C here closes them all).", flush=True)
    try:
        plt.show(block=True)
    except KeyboardInterrupt:  # a student ending the run from the terminal: no traceback
        plt.close("all")


def save_figure(fig, path, show=False):
    """Save `fig` as a PNG at `path`; show it in a window only if asked and a screen exists.

    The window opens without blocking: the run (or the debugger) goes on at once, and every
    window stays until the run ends and the student closes it (see `keep_windows_open`).
    Returns the path written.
    """
    global _keep_open_registered
    if fig.get_layout_engine() is None:  # figures made with layout="constrained" lay themselves out
        fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as err:
        raise BadInputError(f"cannot write {path} ({err.strerror}); pick a writable --output-dir") from None
    if not (show and display_available()) or matplotlib.get_backend().lower() == "agg":
        plt.close(fig)
        return path
    if not opens_windows():  # inline (IDE interactive window): show it there, then let it go
        plt.show()
        plt.close(fig)
        return path
    plt.show(block=False)
    plt.pause(0.1)  # let the window draw itself before the script goes on
    if not _keep_open_registered:
        atexit.register(keep_windows_open)
        _keep_open_registered = True
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


def plot_validation_per_epoch(curves, chosen, unit, title, references=(), epoch0_labels=None):
    """Each candidate's validation RMSE after 0, 1, 2, ... epochs (a dict name -> values; inf = not allowed).

    `chosen` maps a name to its chosen epoch count (a dot); `references` is (label, rmse) pairs drawn as
    horizontal lines; `epoch0_labels` maps a name to a note on its epoch-0 point (a ring), e.g. "= SARIMA".
    """
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, values in curves.items():
        values = np.asarray(values, dtype="float64")
        shown = np.where(np.isfinite(values), values, np.nan)
        (line,) = ax.plot(np.arange(len(values)), shown, label=name)
        if name in chosen and np.isfinite(values[chosen[name]]):
            ax.plot(chosen[name], values[chosen[name]], "o", color=line.get_color())
        if epoch0_labels and name in epoch0_labels and np.isfinite(values[0]):
            ax.plot(0, values[0], "o", markerfacecolor="none", markersize=10, color=line.get_color(),
                    label=f"epoch 0 {epoch0_labels[name]}")
    for label, value in references:
        ax.axhline(value, color="0.5", linestyle=":", linewidth=1)
        ax.annotate(label, (ax.get_xlim()[1], value), ha="right", va="bottom", fontsize=8, color="0.3")
    ax.set_xlabel("epochs trained")
    ax.set_ylabel(f"validation RMSE ({unit}), mean over the origins")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_forecast(history_series, test_dates, actual, predictions, unit, title, first_validation=None):
    """Two panels: the whole series with its periods shaded, and the test period alone with each
    forecast (a dict label -> values), so a few test steps are not squeezed into a corner.

    `history_series` is a pandas Series of the data before the test period; `first_validation`, the
    first date of the validation period (None: training and validation are shaded as one).
    """
    fig, (whole, zoom) = plt.subplots(2, 1, figsize=(9, 7), height_ratios=(1, 1.4), layout="constrained")
    whole.plot(history_series.index, history_series.values, color="0.35", linewidth=1)
    whole.plot(test_dates, actual, color="black", linewidth=1)
    end_of_training = first_validation if first_validation is not None else test_dates[0]
    whole.axvspan(history_series.index[0], end_of_training, color="tab:blue", alpha=0.08,
                  label="training" if first_validation is not None else "training and validation")
    if first_validation is not None:
        whole.axvspan(first_validation, test_dates[0], color="tab:orange", alpha=0.15, label="validation")
    whole.axvspan(test_dates[0], test_dates[-1], color="tab:green", alpha=0.15, label="test")
    whole.set_ylabel(unit)
    whole.set_title("The whole series and its three periods", fontsize=10)
    whole.legend(loc="upper left", fontsize=8)
    zoom.plot(test_dates, actual, color="black", linewidth=2.2, label="actual")
    styles = [("tab:red", "-", "o"), ("tab:blue", "--", "s"), ("tab:green", ":", "^"),
              ("tab:purple", "-.", "v")]
    for (label, values), (color, line, marker) in zip(predictions.items(), styles * 3):
        zoom.plot(test_dates, values, color=color, linestyle=line, marker=marker, markersize=3.5,
                  linewidth=1.3, label=label)
    zoom.set_ylabel(unit)
    zoom.set_title(title, fontsize=10)
    zoom.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)  # below the data
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


def plot_series_and_cycle(series, unit, title, smooth_days=15):
    """A daily series and its yearly cycle, side by side.

    Left: the whole series. Right: every year drawn over the same January-to-December
    axis (thin lines), and the average of all years for each day of the year, smoothed
    over `smooth_days` days (thick line): the yearly cycle a model can count on.
    `series` is a pandas Series indexed by date (one value per day).
    """
    import pandas as pd

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    left.plot(series.index, series.values, color="0.3", linewidth=0.5)
    left.set_ylabel(unit)
    left.set_title(title)

    day_of_year = series.index.dayofyear
    for _, one_year in series.groupby(series.index.year):
        right.plot(one_year.index.dayofyear, one_year.values, linewidth=0.5, alpha=0.35)
    average = series.groupby(day_of_year).mean().rolling(smooth_days, center=True, min_periods=1).mean()
    right.plot(average.index, average.values, color="black", linewidth=2.5,
               label=f"average of all years ({smooth_days}-day smoothed)")
    month_starts = pd.date_range("2001-01-01", periods=12, freq="MS")
    right.set_xticks(month_starts.dayofyear, [name[0] for name in month_starts.strftime("%b")])
    right.set_xlabel("month")
    right.set_ylabel(unit)
    right.set_title("The yearly cycle: every year on one axis")
    right.legend(loc="lower center", fontsize=8)
    return fig


def plot_period(dates, actual, predictions, unit, title):
    """The actual values and each forecast (a dict label → values) over one period only.

    Unlike `plot_forecast` it draws no training data: for a close look at part of a long
    test period, where a whole series would squeeze the days together.
    """
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(dates, actual, color="black", linewidth=2, label="actual (test)")
    for label, values in predictions.items():
        ax.plot(dates, values, linestyle="--", marker=".", markersize=4, label=label)
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.legend()
    return fig


# One line style per reference, so that no two references look alike (the reference to beat is also thicker).
REFERENCE_STYLES = [("--", "0.25"), (":", "tab:red"), ("-.", "tab:purple"),
                    ((0, (6, 2, 1, 2, 1, 2)), "tab:brown"), ((0, (1, 3)), "0.45"), ((0, (8, 3)), "tab:olive")]


def plot_comparison(table, tasks, references=None):
    """Per task: test RMSE (dots on a zoomed axis, references as lines), seconds per epoch, and parameters.

    `table` has columns task, cell, params, seconds_per_epoch, rmse_mean, rmse_sd;
    `tasks` is a list of (task name, unit, {baseline name: RMSE}); `references` optionally names,
    per task, the baseline to beat (drawn thicker and labelled so).
    The RMSE axis does not start at 0 (the title says so): the models differ by a few percent, and
    dots, unlike bars, do not turn a cut axis into exaggerated lengths. A baseline far above the
    models (more than a quarter above the highest) stays in the legend, marked off the axis.
    """
    import numpy as np

    references = references or {}
    fig, axes = plt.subplots(len(tasks), 3, figsize=(13, 3.9 * len(tasks)), squeeze=False,
                             gridspec_kw={"width_ratios": [1.6, 1, 1]})
    for row_axes, (name, unit, baseline_rmse) in zip(axes, tasks):
        rows = table[table.task == name]
        x = np.arange(len(rows))
        colors = [f"C{i}" for i in x]
        ax = row_axes[0]
        spread = rows.rmse_sd.to_numpy() if (rows.rmse_sd > 0).any() else None  # one seed: no error bars
        ax.errorbar(x, rows.rmse_mean, yerr=spread, fmt="none", ecolor="0.35", capsize=4, zorder=2)
        ax.scatter(x, rows.rmse_mean, c=colors, s=70, zorder=3, edgecolors="black", linewidths=0.6)
        to_beat = references.get(name)
        top = max([*(rows.rmse_mean + rows.rmse_sd)] + ([baseline_rmse[to_beat]] if to_beat else []))
        shown = {b: v for b, v in baseline_rmse.items() if v <= 1.25 * top or b == to_beat}
        for i, (baseline, value) in enumerate(baseline_rmse.items()):
            style, color = REFERENCE_STYLES[i % len(REFERENCE_STYLES)]
            thick = baseline == to_beat
            label = f"{baseline} ({value:.2f}){' (to beat)' if thick else ''}"
            if baseline in shown:
                ax.axhline(value, color=color, linestyle=style, linewidth=2.4 if thick else 1.4, label=label)
            else:  # in the legend only, so that the reader knows it exists and where it is
                ax.plot([], [], color=color, linestyle=style, linewidth=1.4, label=f"{label}, above the axis")
        low = min([*(rows.rmse_mean - rows.rmse_sd), *shown.values()])
        high = max([*(rows.rmse_mean + rows.rmse_sd), *shown.values()])
        margin = 0.12 * (high - low) + 1e-6
        ax.set_ylim(low - margin, high + margin)
        ax.set_xlim(-0.5, len(rows) - 0.5)
        ax.set_ylabel(f"test RMSE ({unit})")
        ax.set_title(f"{name}: test RMSE (zoomed: the axis does not start at 0)", fontsize=10)
        ax.legend(fontsize=7.5, loc="best", framealpha=0.9)
        row_axes[1].bar(x, rows.seconds_per_epoch * 1000, color=colors)
        row_axes[1].set_ylabel("ms per epoch")
        row_axes[1].set_title(f"{name}: time per epoch (median after the first)", fontsize=10)
        row_axes[2].bar(x, rows.params, color=colors)
        row_axes[2].set_ylabel("parameters")
        row_axes[2].set_title(f"{name}: parameters (whole model)", fontsize=10)
        for ax in row_axes:
            ax.set_xticks(list(x), rows.cell)
    return fig
