"""Shared test helpers: run a case script end to end, and write small synthetic data sets."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
WEEK17 = REPO_ROOT / "week17"


def run_script(script_name, *args, cwd=None, timeout=300):
    """Run `python week17/<script_name> args...` and return the CompletedProcess (text output)."""
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # headless: a test must never open a window
    env.pop("WAYLAND_DISPLAY", None)
    env["PYTHONHASHSEED"] = "0"
    command = [sys.executable, str(WEEK17 / script_name), *map(str, args)]
    return subprocess.run(command, cwd=cwd or REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def run_case():
    """A function: run_case("Case17-2-....py", "--epochs", 2, ...) -> CompletedProcess."""
    return run_script


def data_fingerprint():
    """A hash of every file in data/, to prove the scripts never write there."""
    digest = hashlib.sha256()
    for path in sorted((REPO_ROOT / "data").rglob("*")):
        digest.update(str(path).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def read_metrics(folder):
    """The metrics.json a case wrote into `folder`."""
    return json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))


def assert_identical_runs(first_folder, second_folder):
    """Two runs with the same seed: identical metrics (except the timing) and identical predictions."""
    first, second = read_metrics(first_folder), read_metrics(second_folder)
    first.pop("fit_seconds"), second.pop("fit_seconds")
    assert first == second
    assert (first_folder / "predictions.csv").read_text() == (second_folder / "predictions.csv").read_text()


def assert_clean_failure(result, *words):
    """Bad input: exit code 2, one line on stderr naming the problem, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])


def write_monthly_csv(path, n_months=72, seed=0, date_col="Date", value_col="Production"):
    """A small synthetic monthly series: trend + yearly cycle + noise, like the milk data."""
    rng = np.random.default_rng(seed)
    months = np.arange(n_months)
    values = 600 + 2.0 * months + 60 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 5, n_months)
    dates = pd.period_range("2000-01", periods=n_months, freq="M").strftime("%Y-%m")
    pd.DataFrame({date_col: dates, value_col: np.round(values, 1)}).to_csv(path, index=False)
    return path


def write_daily_csv(path, n_days=400, seed=0, date_col="Date", value_col="Temp", drop=()):
    """A small synthetic daily series with a yearly cycle; `drop` removes rows (to make gaps)."""
    rng = np.random.default_rng(seed)
    days = np.arange(n_days)
    values = 11 + 4 * np.cos(2 * np.pi * days / 365.25) + rng.normal(0, 2, n_days)
    dates = pd.date_range("2001-01-01", periods=n_days, freq="D").strftime("%Y-%m-%d")
    table = pd.DataFrame({date_col: dates, value_col: np.round(values, 1)})
    table = table.drop(index=list(drop))
    table.to_csv(path, index=False)
    return path
