"""Case 17-2 (LSTM) end to end: outputs, determinism, save and reload, and bad input."""


import numpy as np
import pandas as pd
import pytest
from conftest import (
    REPO_ROOT,
    assert_clean_failure,
    assert_identical_runs,
    data_fingerprint,
    read_metrics,
    start_script,
    write_monthly_csv,
)

SCRIPT = "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py"
TINY = ["--epochs", "3", "--units", "4", "--no-show"]


N_TEST = 12  # the course rule for 72 months: the last 20 % of the 60 windows of 12 months
WINDOWS = (6, 12)  # besides the default, 24: checked in-process


def start_runs(tmp_path_factory):
    """Every run of this file, side by side in the background, each from another folder than the repository:
    - "run1", "run2": the same seed twice on a small synthetic monthly CSV;
    - "changed": that CSV with other numbers in its test period;
    - "weekly": a student's weekly sales; "default": the shipped data;
    - "bad: <case>": each bad input of BAD_INPUTS."""
    folder = tmp_path_factory.mktemp("lstm")
    csv = write_monthly_csv(folder / "tiny.csv", n_months=72)
    changed = pd.read_csv(csv)
    other_numbers = np.random.default_rng(7).uniform(100, 2000, N_TEST).round(1)
    changed.loc[len(changed) - N_TEST:, "Production"] = other_numbers
    changed.to_csv(folder / "changed.csv", index=False)
    weekly = write_weekly_sales_csv(folder / "shop.csv")

    def start(name, *flags, cwd=folder):
        return start_script(SCRIPT, *flags, "--output-dir", folder / name, cwd=cwd)

    before = data_fingerprint()
    runs = {f"run{i}": start(f"run{i}", "--csv", csv, *TINY) for i in (1, 2)}
    runs["changed"] = start("changed", "--csv", folder / "changed.csv", *TINY)
    runs["weekly"] = start("weekly", "--csv", weekly, "--date-col", "Week", "--value-col", "Sales",
                           "--epochs", "1", "--units", "2", "--no-show")
    default_folder = tmp_path_factory.mktemp("lstm_default")
    runs["default"] = start_script(SCRIPT, "--epochs", "1", "--output-dir", default_folder / "out",
                                   "--no-show", cwd=default_folder)
    bad_folder = tmp_path_factory.mktemp("lstm_bad")
    for case, (args, words) in bad_input_cases(bad_folder).items():
        runs[f"bad: {case}"] = (start_script(SCRIPT, *args, "--no-show"), words)
    return {"before": before, "folder": folder, "default_folder": default_folder, "runs": runs}


def write_weekly_sales_csv(path):
    """A student's weekly sales: five years of a trend, a yearly cycle and noise."""
    rng = np.random.default_rng(3)
    weeks = np.arange(260)
    sales = 500 + 0.5 * weeks + 40 * np.sin(2 * np.pi * weeks / 52) + rng.normal(0, 8, len(weeks))
    pd.DataFrame({"Week": pd.date_range("2015-01-04", periods=len(weeks), freq="W").strftime("%Y-%m-%d"),
                  "Sales": sales.round(1)}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def lstm_runs(started):
    """(folder, name -> CompletedProcess) of the good runs above, once they have all ended."""
    launched = started[__name__]
    results = {name: run.result() for name, run in launched["runs"].items() if not name.startswith("bad: ")}
    assert data_fingerprint() == launched["before"]
    return launched["folder"], results


@pytest.fixture(scope="module")
def tiny_runs(lstm_runs):
    """The script run twice with the same seed on a small synthetic monthly CSV, from another folder."""
    folder, runs = lstm_runs
    return folder, [runs["run1"], runs["run2"]]


def test_smoke_run_writes_every_output_and_a_full_trace(tiny_runs):
    folder, (run, _) = tiny_runs
    assert run.returncode == 0, run.stderr[-3000:]
    out = folder / "run1"
    for name in ("metrics.json", "loss.png", "forecast.png", "future.png", "gates.png", "model.keras",
                 "predictions.csv"):
        assert (out / name).is_file(), name
    for text in ("[1] 72 values", "(samples, window, features)", "input scaler:", "Total params",
                 "LSTM: 4·(4·(4+1)+4) = 96",
                 "seasonal naive + last change", "forget_gate", "Epoch 3/3", "target candidates", "(auto)",
                 "validation period", "test period", "before training", "[6] saved", "SARIMA"):
        assert text in run.stdout, text
    for step in range(1, 9):
        assert f"\n[{step}] " in run.stdout, step  # every step prints a line
    assert "Freq:" not in run.stdout  # no pandas internals in the trace
    last_line = run.stdout.strip().splitlines()[-1]
    assert last_line.startswith("On the test period the LSTM ")
    assert "best simple baseline chosen on validation" in last_line
    assert "Traceback" not in run.stderr


def test_metrics_json_has_the_documented_keys(tiny_runs):
    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    assert m["test_points"] == 12  # the course rule: the last 20 % of the 60 windows of 12 months
    assert m["periods"] == {"train": 48, "validation": 12, "test": 12}
    assert (m["window"], m["epochs"], m["seed"], m["units"]) == (24, 3, 42, 4)
    assert m["params"] == 96 + 5
    for name in ("naive", "seasonal_naive", "seasonal_naive_plus_last_change", "sarima"):
        assert set(m["baselines"][name]) == {"rmse", "mae"}
    assert m["target"] in ("diff", "seasonal", "seasonal-diff") and m["target"] == m["choices"]["target"]
    candidates = m["choices"]["target_candidates_validation_rmse"]
    assert m["target"] == min(candidates, key=candidates.get)  # auto: the best zero forecast on validation
    assert 1 <= m["choices"]["best_epoch"] <= m["choices"]["epochs_run"] <= 3
    assert m["best_baseline_on_validation"] in m["baselines"]
    assert 0 < m["model_mae"] <= m["model_rmse"] < 100
    assert m["fit_seconds"] > 0


def test_same_seed_gives_identical_numbers(tiny_runs):
    folder, runs = tiny_runs
    assert all(run.returncode == 0 for run in runs)
    assert_identical_runs(folder / "run1", folder / "run2")


def test_saved_model_reloads_and_predicts_the_same_values(tiny_runs):
    """Rebuild the test windows with utils, exactly as the script does, and predict with the reloaded
    model."""
    import keras

    from utils.forecasting import scaling, timeline, transforms, windows
    from utils.loading.calendar import fill_gaps
    from utils.loading.series import load_series

    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    target = m["target"]
    model = keras.saving.load_model(folder / "run1" / "model.keras")
    values = fill_gaps(load_series(folder / "tiny.csv", "Date", "Production"))[0].to_numpy()
    window = m["window"]
    inputs, targets = transforms.inputs_and_targets(values, target, 12)
    periods = timeline.three_periods(len(values), timeline.fixed_test_size(len(values), course_window=12), 12)
    train = periods.training()
    input_scaler = scaling.fit_scaler(inputs[train], (-1, 1))
    target_scaler = scaling.fit_scaler(targets[train], (-1, 1))
    scaled_inputs, scaled_targets = scaling.scale(input_scaler, inputs), scaling.scale(target_scaler, targets)
    X, y, positions = windows.make_windows(scaled_inputs, scaled_targets, window)
    split = windows.split_three(X, y, positions, periods)
    scaled = model.predict(split.X_test, verbose=0)[:, 0]
    levels = scaling.unscale(target_scaler, scaled)
    predicted = transforms.to_levels(levels, values, split.test_positions, target, 12)
    saved = pd.read_csv(folder / "run1" / "predictions.csv", index_col=0)
    np.testing.assert_allclose(predicted, saved["LSTM"].to_numpy(), atol=1e-3)
    zero_forecast = {"diff": "naive", "seasonal": "seasonal naive",
                     "seasonal-diff": "seasonal naive + last change"}[target]
    column = next(c for c in saved.columns if c.startswith(zero_forecast + " (") or c == zero_forecast)
    assert not np.allclose(saved["LSTM"], saved[column], atol=1e-3)  # the network adds something


def test_the_test_period_ignores_the_window(tiny_runs):
    """--window 6, 12 and 24: the same test months, the same baseline scores on them.

    The script's own run (window 24) against its steps 2-3 and its baselines redone here, as the script
    does them, for windows 6 and 12: only the windows change, and they must not move the test period.
    (Done in-process: two more script runs would cost two TensorFlow start-ups for this arithmetic.)"""
    from utils.forecasting import baselines, metrics, sarima, timeline, transforms, windows
    from utils.loading.calendar import fill_gaps
    from utils.loading.series import load_series

    folder, _ = tiny_runs
    reference = read_metrics(folder / "run1")
    reference_dates = list(pd.read_csv(folder / "run1" / "predictions.csv", index_col=0).index)
    series = fill_gaps(load_series(folder / "tiny.csv", "Date", "Production"))[0]
    values, season, target = series.to_numpy(), 12, reference["target"]
    n_test = timeline.fixed_test_size(len(values), course_window=12)
    n_validation = timeline.validation_size(len(values) - n_test, season)
    periods = timeline.three_periods(len(values), n_test, n_validation)
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    sarima_forecasts = sarima.one_step_forecasts(values, periods.first_test, season)["forecasts"]

    def as_written(score):  # metrics.json keeps 7 significant digits
        return {name: float(f"{value:.7g}") for name, value in score.items()}

    for window in WINDOWS:  # run1 used the default, 24
        windows.check_window_fits(window, periods, *transforms.first_defined(target, season))
        X, y, positions = windows.make_windows(inputs, targets, window)
        test_positions = windows.split_three(X, y, positions, periods).test_positions
        actual = values[test_positions]
        dates = [date.strftime("%Y-%m") for date in series.index[test_positions]]
        m = {"test_points": len(actual), "test_first_date": dates[0],
             "periods": {"train": periods.n_train, "validation": periods.n_validation,
                         "test": periods.n_test}}
        assert (m["test_points"], m["test_first_date"], m["periods"]) == (
            reference["test_points"], reference["test_first_date"], reference["periods"])
        forecasts = {
            "naive": baselines.naive(values, test_positions),
            "seasonal_naive": baselines.seasonal_naive(values, test_positions, season),
            "seasonal_naive_plus_last_change":
                baselines.seasonal_naive_plus_last_change(values, test_positions, season),
            "sarima": sarima_forecasts,
        }
        # the LSTM's score may differ, the baselines' may not
        scores = {name: as_written(metrics.score(actual, forecast)) for name, forecast in forecasts.items()}
        assert scores == reference["baselines"]
        assert dates == reference_dates


def test_test_values_change_no_choice_and_no_weight(lstm_runs):
    """Honest by construction: new numbers in the test period change the test scores and nothing else."""
    folder, runs = lstm_runs
    run = runs["changed"]
    assert run.returncode == 0, run.stderr[-3000:]
    before, after = read_metrics(folder / "run1"), read_metrics(folder / "changed")
    assert before["test_points"] == N_TEST  # the months changed are exactly the test period
    original, changed = pd.read_csv(folder / "tiny.csv"), pd.read_csv(folder / "changed.csv")
    assert (original.Production != changed.Production).sum() == N_TEST
    assert (original.Production.iloc[:-N_TEST] == changed.Production.iloc[:-N_TEST]).all()
    for key in ("choices", "weights_sha256", "best_baseline_on_validation", "validation", "target",
                "periods"):
        assert before[key] == after[key], key
    assert before["sarima"]["params"] == after["sarima"]["params"]  # fitted on training + validation only
    assert before["model_rmse"] != after["model_rmse"]  # only the test scores change


def test_a_weekly_series_is_described_in_weeks(lstm_runs):
    """A student's weekly sales: season 52 read from the dates, no word of months, milk or temperatures."""
    folder, runs = lstm_runs
    result = runs["weekly"]
    assert result.returncode == 0, result.stderr[-3000:]
    trace = result.stdout.lower()
    for word in ("month", "milk", "temperature", "pounds", "freq:"):
        assert word not in trace, word
    for text in ("weekly data: a season is 52 weeks", "naive (last week)", "seasonal naive (a year ago)",
                 "(sales)", "sarima skipped"):
        assert text in trace, text
    m = read_metrics(folder / "weekly")
    assert (m["season"], m["unit"], m["step"]) == (52, "Sales", "week")


def test_default_data_runs_from_any_folder(started, lstm_runs):
    _, runs = lstm_runs
    result = runs["default"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[1] 168 values of 'Production' from 1962-01 to 1975-12, one per month" in result.stdout
    m = read_metrics(started[__name__]["default_folder"] / "out")
    assert m["test_points"] == 32  # the course's last 32 months


BAD_INPUTS = ["missing file", "missing column", "non-numeric", "too short", "window too long", "window 0",
              "epochs -1", "unknown flag", "output in data"]


def bad_input_cases(folder):
    """Each bad input: name -> (flags, words its one line must hold), its files written into `folder`."""
    good = write_monthly_csv(folder / "good.csv", n_months=72)
    non_numeric = folder / "non_numeric.csv"
    non_numeric.write_text("Date,Production\n2000-01,600\n2000-02,six hundred\n", encoding="utf-8")
    too_short = folder / "too_short.csv"
    rows = "\n".join(f"2000-{m:02d},{600 + m}" for m in range(1, 13))
    too_short.write_text("Date,Production\n" + rows + "\n", encoding="utf-8")
    return {
        "missing file": (["--csv", folder / "nope.csv"], ["does not exist", "--csv"]),
        "missing column": (["--csv", good, "--value-col", "Milk"], ["no column 'Milk'", "'Production'"]),
        "non-numeric": (["--csv", non_numeric], ["line 3", "not a number"]),
        "too short": (["--csv", too_short], ["12 points", "longer series"]),
        "window too long": (["--window", "120"], ["--window 120", "training samples", "use --window"]),
        "window 0": (["--window", "0"], ["--window", "1 or more"]),
        "epochs -1": (["--epochs", "-1"], ["--epochs"]),
        "unknown flag": (["--epoch", "5"], ["unknown flag"]),
        "output in data": (["--output-dir", REPO_ROOT / "data" / "mine"], ["data/"]),
    }


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_ends_in_one_clear_line(started, case):
    launched = started[__name__]
    future, words = launched["runs"][f"bad: {case}"]
    result = future.result()
    assert_clean_failure(result, *words)
    assert data_fingerprint() == launched["before"]
    assert not (REPO_ROOT / "data" / "mine").exists()
