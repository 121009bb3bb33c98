"""Shared test helpers: run a case script end to end (now, or in the background beside the other
tests), and write small synthetic data sets.

Most of the suite's time is whole-script runs, and a run spends its first seconds importing
TensorFlow on one core. So the runs go on side by side in the background while pytest goes on:
- the two `--quick` runs (Cases 17-4 and 17-5) start when the session starts, before collection;
- every test module that defines `start_runs(tmp_path_factory)` has it called before the first
  test (fixture `started`), in the order the modules will run; the function writes its inputs,
  starts its runs and returns their futures, which the module's own fixtures then collect.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
WEEK17 = REPO_ROOT / "week17"
# One run more than there are cores: while one run imports TensorFlow on one core, the others train.
BACKGROUND_WORKERS = min(8, (os.cpu_count() or 2) + 1)
# The --quick runs: name -> (script, the test file that reads it, whether it runs from its output folder).
QUICK_RUNS = {
    "Case17-4": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", "test_case_gradients.py", True),
    "Case17-5": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", "test_case_compare.py", False),
}


def headless_environment():
    """This environment without a display (a test must never open a window), with a fixed hash seed."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


class Background:
    """Commands run side by side in worker threads, each a child process of this session."""

    def __init__(self, workers):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="script-run")
        self._children = {}  # Future -> [its process, once started]

    def run(self, argv, cwd, input=None, timeout=300, started=None):
        """Run argv now, in this thread, and return its CompletedProcess (text output).
        `started`, a list, receives the process as soon as it exists (so that it can be ended early)."""
        stdin = subprocess.PIPE if input is not None else None
        with subprocess.Popen(argv, cwd=cwd, env=headless_environment(), stdin=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as process:
            if started is not None:
                started.append(process)
            try:
                stdout, stderr = process.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise
        return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)

    def start(self, argv, cwd, input=None, timeout=300):
        """Start argv in the background: a Future whose result() is the CompletedProcess."""
        started = []
        future = self._pool.submit(self.run, argv, cwd, input, timeout, started)
        self._children[future] = started
        return future

    def cancel(self, future):
        """A run no test will read: if it has not started it never will; if it is running it is ended."""
        future.cancel()
        for process in self._children.get(future, ()):
            if process.poll() is None:
                process.kill()

    def stop(self):
        """At the end of the session: drop the runs not started yet and end the ones still running."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for future in list(self._children):
            self.cancel(future)


BACKGROUND = Background(BACKGROUND_WORKERS)


def script_command(script_name, *args):
    return [sys.executable, str(WEEK17 / script_name), *map(str, args)]


def run_script(script_name, *args, cwd=None, timeout=300):
    """Run `python week17/<script_name> args...` now and return the CompletedProcess (text output)."""
    return BACKGROUND.run(script_command(script_name, *args), cwd or REPO_ROOT, timeout=timeout)


def start_script(script_name, *args, cwd=None, timeout=300):
    """The same run, started in the background: a Future whose result() is the CompletedProcess."""
    return BACKGROUND.start(script_command(script_name, *args), cwd or REPO_ROOT, timeout=timeout)


@pytest.fixture
def run_case():
    """A function: run_case("Case17-2-....py", "--epochs", 2, ...) -> CompletedProcess."""
    return run_script


def _under_xdist(config):
    """pytest-xdist gives each worker the whole collection: starting every run in each would repeat them."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER")) or bool(getattr(config.option, "numprocesses", None))


def _would_run(config, path):
    """Whether this session's arguments (the folders and files it was given) include `path`."""
    for arg in config.args:
        given = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if given == path or given in path.parents:
            return True
    return False


_quick = {}  # "Case17-4" -> (output folder, Future)


def _start_quick_run(name):
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-quick-"))
    script, _, from_output_folder = QUICK_RUNS[name]
    future = start_script(script, "--quick", "--no-show", "--output-dir", folder,
                          cwd=folder if from_output_folder else REPO_ROOT)
    _quick[name] = (folder, future)


def pytest_sessionstart(session):
    """Start the two --quick runs now, so that they overlap collection and the first tests."""
    config = session.config
    if config.option.collectonly or _under_xdist(config):
        return
    for name, (_, test_file, _) in QUICK_RUNS.items():
        if _would_run(config, REPO_ROOT / "tests" / test_file):
            _start_quick_run(name)


def pytest_collection_finish(session):
    """Options such as -k can leave out the tests that read a --quick run: end it then."""
    selected = {Path(str(item.path)).name for item in session.items}
    for name, (_, test_file, _) in QUICK_RUNS.items():
        if name in _quick and test_file not in selected:
            BACKGROUND.cancel(_quick[name][1])


def pytest_sessionfinish(session):
    BACKGROUND.stop()
    for folder, _ in _quick.values():
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def quick_runs():
    """A function: quick_runs("Case17-4") -> (output folder, CompletedProcess) of its one --quick run."""

    def collect(name):
        if name not in _quick:  # not started with the session (e.g. under pytest-xdist)
            _start_quick_run(name)
        folder, future = _quick[name]
        return folder, future.result()

    return collect


class _ModuleRuns(dict):
    """Module name -> what its start_runs(tmp_path_factory) returned, calling it on first use."""

    def __init__(self, tmp_path_factory):
        super().__init__()
        self._tmp_path_factory = tmp_path_factory

    def __missing__(self, module_name):
        self[module_name] = sys.modules[module_name].start_runs(self._tmp_path_factory)
        return self[module_name]


@pytest.fixture(scope="session", autouse=True)
def started(request, tmp_path_factory):
    """Before the first test: every selected module's start_runs, in the order the modules will run."""
    runs = _ModuleRuns(tmp_path_factory)
    if not _under_xdist(request.config):
        for item in request.session.items:
            module = getattr(item, "module", None)
            if hasattr(module, "start_runs") and module.__name__ not in runs:
                runs[module.__name__]  # noqa: B018 (starts them)
    return runs


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


TRACE_WIDTH = 120  # a trace line a student can read beside a debugger's Variables pane
KERAS_LINE = re.compile(r"^(Epoch \d+/\d+|\d+/\d+ .*step)|[━─┃│┏┓┗┛┡┩└┘├┤┌┐]")  # Keras's own output


def trace_problems(stdout, last_step=None):
    """What keeps a case's printed trace from reading as a lesson: a line of ours over TRACE_WIDTH
    characters, or numbered steps [1], [2], ... that skip or repeat a number (up to `last_step`)."""
    problems = [f"{len(line)} characters: {line[:60]}..." for line in stdout.splitlines()
                if len(line) > TRACE_WIDTH and not KERAS_LINE.search(line)]
    steps = [int(n) for n in re.findall(r"^\[(\d+)\] ", stdout, flags=re.MULTILINE)]
    expected = list(range(1, (last_step or max(steps, default=0)) + 1))
    if steps != expected:
        problems.append(f"steps {steps}, expected {expected}")
    return problems


def last_paragraph(stdout):
    """The run's closing verdict: its last paragraph, wrapped lines joined with single spaces."""
    return " ".join(stdout.strip().rsplit("\n\n", 1)[-1].split())


def flat(stdout):
    """A trace with every run of whitespace as one space, so a check does not depend on where a long
    line was wrapped."""
    return " ".join(stdout.split())


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
