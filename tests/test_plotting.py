"""utils.showing.plotting: every figure function draws real-unit data and saves a PNG without a display."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from utils.showing import plotting


def saved(fig, tmp_path, name):
    path = plotting.save_figure(fig, tmp_path / name, show=False)
    return path.read_bytes()[:4] == b"\x89PNG"


def test_plot_loss_draws_training_and_validation(tmp_path):
    history = SimpleNamespace(
        history={"loss": [3.0, 2.0, 1.5], "val_loss": [3.2, 2.5, 2.4]}, model=SimpleNamespace(loss="mse")
    )
    fig = plotting.plot_loss(history)
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["training", "validation"]
    assert list(fig.axes[0].get_lines()[1].get_ydata()) == [3.2, 2.5, 2.4]
    assert saved(fig, tmp_path, "loss.png")


def test_forecast_and_future_plots_keep_real_units(tmp_path):
    series = pd.Series(np.arange(24.0) + 500, index=pd.date_range("2000-01-01", periods=24, freq="MS"))
    dates = pd.date_range("2002-01-01", periods=3, freq="MS")
    fig = plotting.plot_forecast(
        series, dates, [524.0, 525.0, 526.0], {"model": [523.0, 525.5, 527.0]}, "pounds per cow", "t",
        first_validation=series.index[12],
    )
    whole, zoom = fig.axes
    assert whole.get_ylabel() == zoom.get_ylabel() == "pounds per cow"
    assert max(whole.get_lines()[0].get_ydata()) == 523.0  # not scaled to 0..1
    # the three periods shaded and named; the test period on its own, actual and forecast
    assert [p.get_label() for p in whole.patches] == ["training", "validation", "test"]
    assert [line.get_label() for line in zoom.get_lines()] == ["actual", "model"]
    assert list(zoom.get_lines()[0].get_xdata()) == list(dates)
    assert saved(fig, tmp_path, "forecast.png")
    fig = plotting.plot_future(series, dates, [524.0, 525.0, 526.0], "pounds per cow", "t")
    assert len(fig.axes[0].get_lines()) == 3  # data, forecast, and the line where the data ends
    assert saved(fig, tmp_path, "future.png")


def test_series_cycle_and_period_plots(tmp_path):
    index = pd.date_range("2001-01-01", periods=800, freq="D")
    series = pd.Series(10 + 5 * np.cos(2 * np.pi * np.arange(800) / 365.25), index=index)
    assert saved(plotting.plot_series_and_cycle(series, "°C", "t"), tmp_path, "series.png")
    fig = plotting.plot_period(index[:10], np.ones(10), {"GRU": np.ones(10) * 2}, "°C", "t")
    assert fig.axes[0].get_ylabel() == "°C"
    assert saved(fig, tmp_path, "period.png")


def test_plot_comparison_has_three_charts_per_task(tmp_path):
    table = pd.DataFrame({
        "task": ["milk"] * 3, "cell": ["SimpleRNN", "LSTM", "GRU"], "params": [305, 1169, 929],
        "seconds_per_epoch": [0.03, 0.04, 0.04], "rmse_mean": [6.8, 6.5, 6.6], "rmse_sd": [0.1, 0.01, 0.05],
    })
    fig = plotting.plot_comparison(table, [("milk", "pounds per cow", {"seasonal naive": 15.7})])
    assert len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] == ["SimpleRNN", "LSTM", "GRU"]
    assert saved(fig, tmp_path, "comparison.png")


def test_headless_show_opens_nothing_and_registers_nothing(tmp_path, monkeypatch):
    registered = []
    monkeypatch.setattr(plotting.atexit, "register", registered.append)
    fig = plotting.plot_period(pd.date_range("2001-01-01", periods=3), [1, 2, 3], {}, "°C", "t")
    plotting.save_figure(fig, tmp_path / "p.png", show=True)  # no DISPLAY in the tests: Agg
    assert not plotting.opens_windows()
    assert registered == [] and plotting.plt.get_fignums() == []
    plotting.keep_windows_open()  # nothing open: returns at once instead of blocking


def test_with_a_screen_windows_open_without_blocking_and_wait_once_at_exit(tmp_path, monkeypatch):
    """With a window backend: show(block=False) while the run goes on, one blocking show at exit."""
    calls, registered = [], []
    monkeypatch.setattr(plotting, "display_available", lambda: True)
    monkeypatch.setattr(plotting, "opens_windows", lambda: True)
    monkeypatch.setattr(plotting.matplotlib, "get_backend", lambda: "tkagg")
    monkeypatch.setattr(plotting.plt, "show", lambda block=None: calls.append(("show", block)))
    monkeypatch.setattr(plotting.plt, "pause", lambda seconds: calls.append(("pause", seconds)))
    monkeypatch.setattr(plotting.atexit, "register", registered.append)
    monkeypatch.setattr(plotting, "_keep_open_registered", False)
    try:
        for name in ("a.png", "b.png"):
            fig = plotting.plot_period(pd.date_range("2001-01-01", periods=3), [1, 2, 3], {}, "°C", "t")
            plotting.save_figure(fig, tmp_path / name, show=True)
        assert ("show", True) not in calls and calls.count(("show", False)) == 2
        assert registered == [plotting.keep_windows_open]  # registered once, not per figure
        assert len(plotting.plt.get_fignums()) == 2  # the windows stay open while the run goes on
        plotting.keep_windows_open()
        assert calls[-1] == ("show", True)  # the one blocking show, at the end of the run
    finally:
        plotting.plt.close("all")


WINDOWED_RUN = """
import sys, time
sys.path.insert(0, {root!r})
from utils import plotting
import matplotlib.pyplot as plt
assert plotting.opens_windows(), plotting.matplotlib.get_backend()
started = time.perf_counter()
for name in ("a", "b"):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    plotting.save_figure(fig, {out!r} + "/" + name + ".png", show=True)
print("went on after showing", len(plt.get_fignums()), "windows in",
      round(time.perf_counter() - started, 1), "s", flush=True)
# a student closing the windows 1.5 s into the final wait
timer = plt.figure(1).canvas.new_timer(interval=1500)
timer.add_callback(lambda: plt.close("all"))
timer.start()
"""


def test_on_a_real_screen_the_run_goes_on_and_waits_for_the_windows_at_the_end(tmp_path):
    """With a virtual screen (Xvfb) and Tk: no show blocks the script; the one wait is at the end."""
    import os
    import shutil
    import subprocess
    import sys
    import time
    from pathlib import Path

    import pytest

    if not shutil.which("Xvfb"):
        pytest.skip("needs Xvfb (a virtual screen) to open real windows")
    pytest.importorskip("tkinter")
    display = f":{90 + os.getpid() % 9}"
    screen = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "800x600x24"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(1)
        env = dict(os.environ, DISPLAY=display, MPLBACKEND="TkAgg")
        code = WINDOWED_RUN.format(
            root=str(Path(plotting.__file__).resolve().parent.parent), out=str(tmp_path)
        )
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        screen.terminate()
        screen.wait()
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("went on after showing 2 windows"), lines
    assert lines[1].startswith("The plot windows stay open until you close them"), lines
    assert (tmp_path / "a.png").is_file() and (tmp_path / "b.png").is_file()
