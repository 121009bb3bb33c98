"""Case 17-3 (GRU) end to end: outputs, gap filling, determinism, save and reload, bad input;
and the day-of-year features it feeds the network."""

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from conftest import assert_identical_runs, assert_clean_failure, data_fingerprint, read_metrics, write_daily_csv, write_monthly_csv
from utils.features import day_of_year_features

SCRIPT = "Case17-3-TF-GatedRecurrentUnitNetworks.py"
N_DAYS = 500  # the smallest series must give a year of history before its last 20 % (test days)
DROPPED = (200, 450)  # one missing day among the training days, one among the test days
WINDOW = 7
TINY = ["--epochs", "2", "--units", "4", "--window", str(WINDOW), "--batch-size", "64", "--no-show"]
OUTPUTS = ("loss.png", "forecast.png", "series.png", "gates.png", "model.keras", "metrics.json", "predictions.csv")


def next_day_prediction(stdout):
    """(date, value) from the line 'Predicted ... for YYYY-MM-DD: 12.3'."""
    match = re.search(r"^Predicted .+ for (\d{4}-\d{2}-\d{2}): (-?\d+\.\d)\b", stdout, re.MULTILINE)
    assert match, stdout[-2000:]
    return match.group(1), float(match.group(2))


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """The script run twice with the same seed on a small synthetic daily CSV with two missing
    days, from another folder. The two runs go side by side to save time (they share nothing)."""
    from conftest import run_script

    folder = tmp_path_factory.mktemp("gru")
    csv = write_daily_csv(folder / "tiny.csv", n_days=N_DAYS, drop=DROPPED)
    before = data_fingerprint()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda i: run_script(SCRIPT, "--csv", csv, "--output-dir", folder / f"run{i}", *TINY, cwd=folder), (1, 2)))
    assert data_fingerprint() == before
    return folder, runs


def test_smoke_run_writes_every_output_and_a_full_trace(tiny_runs):
    folder, (run, _) = tiny_runs
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    for name in OUTPUTS:
        assert (folder / "run1" / name).is_file(), name
    for text in (f"[1] {N_DAYS} values of 'Temp'", "(samples, window, features)", "scaler:", "3 features",
                 "Total params", "GRU: 3·(4·(4+3)+2·4) = 108 (Keras counts 108)", "Epoch 2/2",
                 "persistence (today)", "mean of the last 7 days", "same day last year", "ridge (same inputs)",
                 "update_gate (GRU)", "reset_gate (GRU)"):
        assert text in run.stdout, text
    last_date = pd.Timestamp("2001-01-01") + pd.Timedelta(days=N_DAYS - 1)
    date, value = next_day_prediction(run.stdout)
    assert date == str((last_date + pd.Timedelta(days=1)).date())
    assert -5 < value < 25  # the synthetic series lives around 11 ± 4 °C


def test_metrics_json_has_the_documented_keys(tiny_runs):
    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    assert m["test_points"] == 100  # the last 20 % of the 500 days, every one of them scored
    assert (m["window"], m["epochs"], m["seed"], m["units"]) == (WINDOW, 2, 42, 4)
    assert m["params"] == 108 + 5  # the GRU and the Dense layer (4 weights + 1 bias)
    assert set(m["baselines"]) == {"persistence", "mean_last_7_days", "same_day_last_year", "ridge"}
    for score in (*m["baselines"].values(), {"rmse": m["model_rmse"], "mae": m["model_mae"]}):
        assert set(score) == {"rmse", "mae"}
        assert 0 < score["mae"] <= score["rmse"] < 10
    assert m["unit"] == "Temp" and m["backend"] == "tensorflow" and m["fit_seconds"] > 0


def test_missing_days_are_filled_named_and_windows_stay_daily(tiny_runs):
    folder, (run, _) = tiny_runs
    missing = [str((pd.Timestamp("2001-01-01") + pd.Timedelta(days=d)).date()) for d in DROPPED]
    assert f"Note: filled 2 missing date(s) by interpolation: {', '.join(missing)}" in run.stdout
    # The test days are one unbroken run of days, the filled one included: no window skipped it.
    test_dates = pd.read_csv(folder / "run1" / "predictions.csv", index_col=0, parse_dates=True).index
    assert len(test_dates) == 100 and pd.Timestamp(missing[1]) in test_dates
    assert (np.diff(test_dates.to_numpy()) == np.timedelta64(1, "D")).all()


def test_same_seed_gives_identical_numbers(tiny_runs):
    folder, runs = tiny_runs
    assert all(run.returncode == 0 for run in runs)
    assert_identical_runs(folder / "run1", folder / "run2")
    assert next_day_prediction(runs[0].stdout) == next_day_prediction(runs[1].stdout)


def test_saved_model_reloads_and_predicts_the_same_values(tiny_runs):
    """Rebuild the inputs with utils, as the script does, and predict with the reloaded model:
    the test days must match predictions.csv and the last window the printed next-day value."""
    import keras

    from utils import windows
    from utils.data import fill_gaps, load_series

    folder, (run, _) = tiny_runs
    model = keras.saving.load_model(folder / "run1" / "model.keras")
    series = fill_gaps(load_series(folder / "tiny.csv", "Date", "Temp"))[0]
    values = series.to_numpy()
    first_test = len(values) - windows.test_size(len(values))
    scaler = windows.fit_scaler(values[:first_test], (-1, 1))
    scaled = windows.scale(scaler, values)
    inputs = np.column_stack([scaled, day_of_year_features(series.index)])
    X, y, positions = windows.make_windows(inputs, scaled, WINDOW)
    _, X_test, _, _, _ = windows.split_by_position(X, y, positions, first_test)

    predicted = windows.unscale(scaler, model.predict(X_test, verbose=0)[:, 0])
    saved = pd.read_csv(folder / "run1" / "predictions.csv", index_col=0)
    np.testing.assert_allclose(predicted, saved["GRU"].to_numpy(), atol=1e-3)
    assert not np.allclose(saved["GRU"], saved["persistence (today)"], atol=0.1)  # a real forecast, not a copy

    next_value = windows.unscale(scaler, model.predict(inputs[-WINDOW:][None], verbose=0)[:, 0])[0]
    assert abs(next_value - next_day_prediction(run.stdout)[1]) <= 0.05 + 1e-6  # printed to 0.1


BAD_INPUTS = ["missing file", "missing column", "non-numeric", "window 0", "too short", "not daily"]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Every bad-input case, run side by side (each stops before Keras loads, in ~2 s).
    The scripts' refusal to write into data/ itself is tested with the LSTM case (same utils.paths)."""
    from conftest import run_script

    folder = tmp_path_factory.mktemp("gru_bad")
    good = write_daily_csv(folder / "good.csv", n_days=N_DAYS)
    non_numeric = folder / "non_numeric.csv"
    non_numeric.write_text("Date,Temp\n2001-01-01,11.2\n2001-01-02,cold\n", encoding="utf-8")
    monthly = write_monthly_csv(folder / "monthly.csv", n_months=72, value_col="Temp")
    cases = {
        "missing file": (["--csv", folder / "nope.csv"], ["does not exist", "--csv"]),
        "missing column": (["--csv", good, "--value-col", "Tmin"], ["no column 'Tmin'", "'Date', 'Temp'", "--value-col"]),
        "non-numeric": (["--csv", non_numeric], ["line 3", "'cold'", "not a number"]),
        "window 0": (["--window", "0"], ["--window", "1 or more"]),
        # the shipped data, found from another folder, then too short for such a window
        "too short": (["--window", "3000"], ["3652 points", "--window 3000"]),
        "not daily": (["--csv", monthly], ["one value per day", "daily"]),
    }
    before = data_fingerprint()
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {}
        for name, (args, _) in cases.items():
            output_dir = folder / name.replace(" ", "_")
            futures[name] = pool.submit(run_script, SCRIPT, *args, "--output-dir", output_dir, "--no-show", cwd=folder)
        results = {name: future.result() for name, future in futures.items()}
    assert data_fingerprint() == before
    return {name: (results[name], words) for name, (_, words) in cases.items()}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_ends_in_one_clear_line(bad_runs, case):
    result, words = bad_runs[case]
    assert_clean_failure(result, *words)
    assert "Epoch" not in result.stdout  # it stopped before any training


# ------------------------------------------------------------------ utils/features.py

def test_day_of_year_features_put_the_year_on_a_circle():
    dates = pd.date_range("1987-01-01", "1989-12-31", freq="D")  # 1988 is a leap year
    features = day_of_year_features(dates)
    assert features.shape == (len(dates), 2) and features.dtype == np.float32
    np.testing.assert_allclose((features**2).sum(axis=1), 1.0, atol=1e-6)  # every day on the unit circle
    np.testing.assert_allclose(features[0], [0.0, 1.0], atol=1e-6)  # 1 January: angle 0
    sin, cos = day_of_year_features(pd.to_datetime(["1987-07-02", "1987-04-02"])).T
    assert cos[0] < -0.99 and sin[1] > 0.99  # half a year on: the opposite side; a quarter: the top
    # neighbours stay neighbours, across New Year too: every step between days is the same size
    steps = np.linalg.norm(np.diff(features, axis=0), axis=1)
    assert steps.max() - steps.min() < 1e-4 and steps.max() < 0.02
    # and each year goes round once: no two days of 1988 share a point
    one_year = features[(dates.year == 1988)]
    assert len(np.unique(np.round(one_year, 5), axis=0)) == 366


def test_day_of_year_features_accept_plain_date_strings():
    np.testing.assert_allclose(day_of_year_features(["2001-01-01"]), day_of_year_features(pd.DatetimeIndex(["2001-01-01"])))
