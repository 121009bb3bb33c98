"""Case 17-2 (LSTM) end to end: outputs, determinism, save and reload, and bad input."""


import numpy as np
import pandas as pd
import pytest

from conftest import assert_identical_runs, REPO_ROOT, assert_clean_failure, data_fingerprint, read_metrics, write_monthly_csv

SCRIPT = "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py"
TINY = ["--epochs", "3", "--units", "4", "--no-show"]


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """The script run twice with the same seed on a small synthetic monthly CSV, from another folder."""
    from conftest import run_script

    folder = tmp_path_factory.mktemp("lstm")
    csv = write_monthly_csv(folder / "tiny.csv", n_months=72)
    before = data_fingerprint()
    runs = [run_script(SCRIPT, "--csv", csv, "--output-dir", folder / f"run{i}", *TINY, cwd=folder) for i in (1, 2)]
    assert data_fingerprint() == before
    return folder, runs


def test_smoke_run_writes_every_output_and_a_full_trace(tiny_runs):
    folder, (run, _) = tiny_runs
    assert run.returncode == 0, run.stderr[-3000:]
    out = folder / "run1"
    for name in ("metrics.json", "loss.png", "forecast.png", "future.png", "gates.png", "model.keras", "predictions.csv"):
        assert (out / name).is_file(), name
    for text in ("[1] 72 values", "(samples, window, features)", "input scaler:", "Total params", "LSTM: 4·(4·(4+1)+4) = 96",
                 "seasonal naive + last change", "forget_gate", "Epoch 3/3"):
        assert text in run.stdout, text
    assert "Traceback" not in run.stderr


def test_metrics_json_has_the_documented_keys(tiny_runs):
    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    assert m["test_points"] == 12  # the course rule: the last 20 % of the 60 windows
    assert (m["window"], m["epochs"], m["seed"], m["units"]) == (12, 3, 42, 4)
    assert m["params"] == 96 + 5
    for name in ("naive", "seasonal_naive", "seasonal_naive_plus_last_change"):
        assert set(m["baselines"][name]) == {"rmse", "mae"}
    assert 0 < m["model_mae"] <= m["model_rmse"] < 100
    assert m["fit_seconds"] > 0


def test_same_seed_gives_identical_numbers(tiny_runs):
    folder, runs = tiny_runs
    assert all(run.returncode == 0 for run in runs)
    assert_identical_runs(folder / "run1", folder / "run2")


def test_saved_model_reloads_and_predicts_the_same_values(tiny_runs):
    """Rebuild the test windows with utils, exactly as the script does, and predict with the reloaded model."""
    import keras

    from utils import transforms, windows
    from utils.data import fill_gaps, load_series

    folder, _ = tiny_runs
    model = keras.saving.load_model(folder / "run1" / "model.keras")
    values = fill_gaps(load_series(folder / "tiny.csv", "Date", "Production"))[0].to_numpy()
    inputs, targets = transforms.inputs_and_targets(values, "seasonal-diff", 12)
    first_test = len(values) - windows.test_size(len(values) - 12)
    train = np.arange(len(values)) < first_test
    input_scaler = windows.fit_scaler(inputs[train], (-1, 1))
    target_scaler = windows.fit_scaler(targets[train], (-1, 1))
    X, y, positions = windows.make_windows(windows.scale(input_scaler, inputs), windows.scale(target_scaler, targets), 12)
    _, X_test, _, _, test_positions = windows.split_by_position(X, y, positions, first_test)
    predicted = transforms.to_levels(windows.unscale(target_scaler, model.predict(X_test, verbose=0)[:, 0]), values, test_positions, "seasonal-diff", 12)
    saved = pd.read_csv(folder / "run1" / "predictions.csv", index_col=0)
    np.testing.assert_allclose(predicted, saved["LSTM"].to_numpy(), atol=1e-3)
    assert not np.allclose(saved["LSTM"], saved["seasonal naive + last change"], atol=1e-3)  # the network adds something


def test_default_data_runs_from_any_folder(run_case, tmp_path):
    result = run_case(SCRIPT, "--epochs", "1", "--output-dir", tmp_path / "out", "--no-show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[1] 168 values of 'Production' from 1962-01-01 to 1975-12-01" in result.stdout
    assert read_metrics(tmp_path / "out")["test_points"] == 32  # the course's last 32 months


@pytest.fixture
def bad_csv(tmp_path):
    def write(text):
        path = tmp_path / "bad.csv"
        path.write_text(text, encoding="utf-8")
        return path
    return write


@pytest.mark.parametrize(
    "case",
    ["missing file", "missing column", "non-numeric", "too short", "window 0", "epochs -1", "unknown flag", "output in data"],
)
def test_bad_input_ends_in_one_clear_line(run_case, tmp_path, bad_csv, case):
    before = data_fingerprint()
    good = write_monthly_csv(tmp_path / "good.csv", n_months=72)
    rows = "\n".join(f"2000-{m:02d},{600 + m}" for m in range(1, 13))
    args, words = {
        "missing file": (["--csv", tmp_path / "nope.csv"], ["does not exist", "--csv"]),
        "missing column": (["--csv", good, "--value-col", "Milk"], ["no column 'Milk'", "'Production'"]),
        "non-numeric": (["--csv", lambda: bad_csv("Date,Production\n2000-01,600\n2000-02,six hundred\n")], ["line 3", "not a number"]),
        "too short": (["--csv", lambda: bad_csv("Date,Production\n" + rows + "\n")], ["12 points", "--window"]),
        "window 0": (["--window", "0"], ["--window", "1 or more"]),
        "epochs -1": (["--epochs", "-1"], ["--epochs"]),
        "unknown flag": (["--epoch", "5"], ["unknown flag"]),
        "output in data": (["--output-dir", REPO_ROOT / "data" / "mine"], ["data/"]),
    }[case]
    args = [arg() if callable(arg) else arg for arg in args]
    result = run_case(SCRIPT, *args, "--no-show")
    assert_clean_failure(result, *words)
    assert data_fingerprint() == before
    assert not (REPO_ROOT / "data" / "mine").exists()
