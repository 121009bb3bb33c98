"""Case 17-2 (LSTM) end to end: outputs, determinism, save and reload, and bad input.

Every run of this file starts in the background before the first test (`start_runs`), side by side.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import (
    REPO_ROOT,
    assert_clean_failure,
    assert_identical_runs,
    data_fingerprint,
    flat,
    last_paragraph,
    read_metrics,
    start_script,
    trace_problems,
    write_monthly_csv,
)

SCRIPT = "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py"
# 72 months leave 36 before the first rolling origin: too few for the default 24-month window.
TINY = ["--epochs", "3", "--units", "4", "--window", "12", "--no-show"]
N_TEST = 12  # the course rule for 72 months: the last 20 % of the 60 windows of 12 months
WINDOWS = (6, 9)  # besides run1's 12
GAP = 54  # a month missing from the CSV inside the second origin's block (months 48..59)
BAD_INPUTS = ["missing file", "missing column", "non-numeric", "too short", "window too long", "window 0",
              "epochs -1", "unknown flag", "output in data"]


def start_runs(tmp_path_factory):
    """Every run of this file, side by side in the background, each from another folder than the repository:
    - "run1", "run2": the same seed twice on a small synthetic monthly CSV;
    - "changed": that CSV with other numbers in its test period; "w6", "w9": other windows;
    - "gap": that CSV without month GAP (filled from the month before, so never scored);
    - "weekly": a student's weekly sales; "default": the shipped data;
    - "bad: <case>": each bad input of BAD_INPUTS."""
    folder = tmp_path_factory.mktemp("lstm")
    csv = write_monthly_csv(folder / "tiny.csv", n_months=72)
    changed = pd.read_csv(csv)
    other_numbers = np.random.default_rng(7).uniform(100, 2000, N_TEST).round(1)
    changed.loc[len(changed) - N_TEST:, "Production"] = other_numbers
    changed.to_csv(folder / "changed.csv", index=False)
    weekly = write_weekly_sales_csv(folder / "shop.csv")
    pd.read_csv(csv).drop(index=GAP).to_csv(folder / "gap.csv", index=False)

    def start(name, *flags, cwd=folder):
        return start_script(SCRIPT, *flags, "--output-dir", folder / name, cwd=cwd)

    before = data_fingerprint()
    runs = {f"run{i}": start(f"run{i}", "--csv", csv, *TINY) for i in (1, 2)}
    runs["changed"] = start("changed", "--csv", folder / "changed.csv", *TINY)
    runs["gap"] = start("gap", "--csv", folder / "gap.csv", *TINY, "--epochs", "1")
    for window in WINDOWS:
        runs[f"w{window}"] = start(f"w{window}", "--csv", csv, *TINY, "--epochs", "1",
                                   "--window", str(window))
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
    for name in ("metrics.json", "validation.png", "forecast.png", "future.png", "gates.png", "model.keras",
                 "predictions.csv"):
        assert (out / name).is_file(), name
    for text in ("[1] 72 values", "(samples, window, features)", "input scaler:", "Total params",
                 "LSTM: 4·(4·(4+1)+4) = 96", "seasonal naive + last change", "forget_gate",
                 "target candidates", "(auto", "rolling origins: 2",
                 "origin 36: trains on 2000-01 .. 2002-12", "validated on 2004-01 .. 2004-12",
                 "validation, mean RMSE over the origins", "test period", "before training", "[6] saved",
                 "SARIMA",
                 "pick: LSTM, target ", "refit", "Note: the LSTM correction is no candidate here"):
        assert flat(text) in flat(run.stdout), text
    for step in range(1, 9):
        assert f"\n[{step}] " in run.stdout, step  # every step prints a line
    assert "Freq:" not in run.stdout  # no pandas internals in the trace
    assert trace_problems(run.stdout, last_step=8) == []  # lines of at most 120 characters, steps 1..8
    last_line = last_paragraph(run.stdout)
    assert last_line.startswith("On the test period (12 months, one-step forecasts): ")
    assert "best reference chosen on validation" in last_line and "Diebold" in last_line
    assert "Traceback" not in run.stderr


def test_metrics_json_has_the_documented_keys(tiny_runs):
    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    assert m["test_points"] == 12  # the course rule: the last 20 % of the 60 windows of 12 months
    assert m["periods"] == {"train": 36, "validation": 24, "test": 12}  # 2 origins of 12 months
    assert (m["window"], m["epochs"], m["seed"], m["units"]) == (12, 3, 42, 4)
    assert m["params"] == 96 + 5  # the pick is a plain LSTM: 72 months are too few for the SARIMA correction
    for name in ("naive", "seasonal_naive", "seasonal_naive_plus_last_change", "sarima"):
        assert set(m["baselines"][name]) == {"rmse", "mae"}
    assert m["target"] in ("seasonal", "seasonal-diff") and m["target"] == m["choices"]["target"]
    targets = m["choices"]["target_candidates_validation_rmse"]
    assert set(targets) == {"seasonal", "seasonal-diff"}
    assert m["target"] == min(targets, key=targets.get)  # auto: the best plain LSTM on the rolling origins
    candidates = m["candidates"]
    assert set(candidates) == {"LSTM, target seasonal", "LSTM, target seasonal-diff"}
    assert m["pick"] == min(candidates, key=lambda name: candidates[name]["validation_rmse"])
    assert m["pick"] == f"LSTM, target {m['target']}"
    assert m["model_rmse"] == candidates[m["pick"]]["test_rmse"]
    assert m["validation"]["model_rmse"] == candidates[m["pick"]]["validation_rmse"]
    assert all(1 <= c["epochs"] <= 3 for c in candidates.values())  # a plain LSTM's epoch 0 is no choice
    assert m["choices"]["best_epoch"] == candidates[m["pick"]]["epochs"]
    assert isinstance(m["refit"], bool)
    assert m["best_baseline_on_validation"] in m["baselines"]
    reference = m["reference"]
    assert reference["key"] in m["baselines"]
    assert reference["rmse"] == m["baselines"][reference["key"]]["rmse"]
    references = {key: m["validation"][key] for key in m["baselines"]}  # chosen on validation, never on test
    assert reference["key"] == min(references, key=references.get)
    assert 0 <= reference["dm_p_value"] <= 1
    assert reference["verdict"] == ("no clear difference" if reference["dm_p_value"] >= 0.05
                                    else "better" if m["model_rmse"] < reference["rmse"] else "worse")
    assert "patience" not in m
    assert 0 < m["model_mae"] <= m["model_rmse"] < 100
    assert m["fit_seconds"] > 0
    from test_metrics_schema import schema_problems

    assert schema_problems(m, "forecast_payload") == []  # every key documented in docs/METRICS.md


def test_same_seed_gives_identical_numbers(tiny_runs):
    folder, runs = tiny_runs
    assert all(run.returncode == 0 for run in runs)
    assert_identical_runs(folder / "run1", folder / "run2")


def test_saved_model_reloads_and_predicts_the_same_values(tiny_runs):
    """Rebuild the pick's test windows with utils, as the protocol does; predict with the reloaded model."""
    import keras

    from utils.forecasting import candidates, transforms
    from utils.loading.calendar import fill_gaps
    from utils.loading.series import load_series

    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    target = m["target"]
    assert m["pick"] == f"LSTM, target {target}"  # no SARIMA correction on 72 months: the pick is plain
    model = keras.saving.load_model(folder / "run1" / "model.keras")
    values = fill_gaps(load_series(folder / "tiny.csv", "Date", "Production"))[0].to_numpy()
    first_test = len(values) - m["test_points"]
    fitted_before = first_test if m["refit"] else first_test - 12  # refitted, or the last origin's model
    data = candidates.prepare_plain(values, fitted_before, target, 12, m["window"])
    rows = data.rows(np.arange(first_test, len(values)))
    predicted = data.levels(model.predict(data.X[rows], verbose=0)[:, 0], rows)
    saved = pd.read_csv(folder / "run1" / "predictions.csv", index_col=0)
    np.testing.assert_allclose(predicted, saved[m["pick"]].to_numpy(), atol=1e-3)
    zero_forecast = transforms.ZERO_FORECAST[target]
    column = next(c for c in saved.columns if c.startswith(zero_forecast + " (") or c == zero_forecast)
    assert not np.allclose(saved[m["pick"]], saved[column], atol=1e-3)  # the network adds something


def test_case_17_5_runs_the_plain_lstm_exactly_as_this_case(tiny_runs):
    """utils.forecasting.tasks.milk_task (Case 17-5) on the same CSV with the same settings: the same test
    months, and its LSTM is this case's plain LSTM: the same target, epoch count, mean validation RMSE and
    test forecasts (predictions.csv)."""
    from utils.forecasting.tasks import milk_task

    folder, _ = tiny_runs
    m = read_metrics(folder / "run1")
    saved = pd.read_csv(folder / "run1" / "predictions.csv", index_col=0)
    task = milk_task(csv=folder / "tiny.csv", window=12, units=4, epochs=3)
    assert list(task.test_dates.strftime("%Y-%m")) == list(saved.index)
    np.testing.assert_allclose(task.actual, saved["actual"], atol=1e-4)
    run = task.run_cell("LSTM", m["seed"])
    assert run.choice == f"target {m['target']}"  # the case's plain LSTM: its best target at the origins
    plain = m["candidates"][f"LSTM, target {m['target']}"]
    assert run.epochs == plain["epochs"] and run.val_rmse == pytest.approx(plain["validation_rmse"], rel=1e-5)
    assert run.refit == m["refit"]  # decided on this cell alone here, on the case's pick there
    np.testing.assert_allclose(run.forecasts, saved[f"LSTM, target {m['target']}"], atol=1e-3)


def test_the_test_period_ignores_the_window(lstm_runs):
    """--window 6, 9 and 12: the same test months, the same baseline scores on them."""
    folder, runs = lstm_runs
    reference = read_metrics(folder / "run1")
    for window in WINDOWS:  # run1 used 12
        run = runs[f"w{window}"]
        assert run.returncode == 0, run.stderr[-3000:]
        m = read_metrics(folder / f"w{window}")
        assert (m["test_points"], m["test_first_date"], m["periods"]) == (
            reference["test_points"], reference["test_first_date"], reference["periods"])
        assert m["baselines"] == reference["baselines"]  # the LSTM's score may differ, the baselines' may not
        dates = pd.read_csv(folder / f"w{window}" / "predictions.csv", index_col=0).index
        assert list(dates) == list(pd.read_csv(folder / "run1" / "predictions.csv", index_col=0).index)


def test_test_values_change_no_choice_and_no_weight(lstm_runs):
    """Honest by construction: new numbers in the test period change the test scores and nothing else."""
    folder, runs = lstm_runs
    first_run, run = runs["run1"], runs["changed"]
    assert read_metrics(folder / "run1")["test_points"] == N_TEST  # the months "changed" altered
    assert run.returncode == 0, run.stderr[-3000:]
    before, after = read_metrics(folder / "run1"), read_metrics(folder / "changed")
    for key in ("choices", "weights_sha256", "best_baseline_on_validation", "validation", "target", "periods",
                "pick", "refit"):
        assert before[key] == after[key], key
    for name, candidate in before["candidates"].items():  # every choice, made on the rolling origins
        assert (candidate["validation_rmse"], candidate["epochs"]) == (
            after["candidates"][name]["validation_rmse"], after["candidates"][name]["epochs"])
    assert before["reference"]["name"] == after["reference"]["name"]  # chosen on validation too
    assert before["sarima"]["params"] == after["sarima"]["params"]  # fitted on training + validation only
    assert before["model_rmse"] != after["model_rmse"]  # only the test scores change

    def choosing(stdout):  # what the run prints from Step 2 until the test period is scored, timings aside
        part = stdout[stdout.index("\n[2] "):stdout.index("\ntest period (")]
        return [line for line in part.splitlines() if "fitting took" not in line]

    assert choosing(run.stdout) == choosing(first_run.stdout)  # the trace of every choice is the same


def test_a_filled_month_in_a_validation_block_is_not_scored(lstm_runs):
    """The gap's month is no measurement: the references' validation scores leave it out, and the trace
    says so (tests/test_rolling_choice.py checks the candidates' curves and the refit comparison)."""
    folder, runs = lstm_runs
    run = runs["gap"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "1 filled step(s) before the test are no measurement" in flat(run.stdout)
    values = pd.read_csv(folder / "gap.csv")["Production"].to_numpy()
    values = np.insert(values, GAP, values[GAP - 1])  # as fill_gaps fills it
    blocks = [np.arange(36, 48), np.arange(48, 60)]  # the two origins' blocks, before the 12 test months

    def naive_rmse(leave_out):
        return np.mean([np.sqrt(np.mean((values[b] - values[b - 1]) ** 2))
                        for b in (block[~np.isin(block, leave_out)] for block in blocks)])

    reported = read_metrics(folder / "gap")["validation"]["naive"]
    assert reported == pytest.approx(naive_rmse([GAP]), rel=1e-6)  # metrics.json keeps 7 digits
    assert reported != pytest.approx(naive_rmse([]), rel=1e-3)  # the filled month, scored, would differ


def test_a_weekly_series_is_described_in_weeks(lstm_runs):
    """A student's weekly sales: season 52 read from the dates, no word of months, milk or temperatures."""
    folder, runs = lstm_runs
    result = runs["weekly"]
    assert result.returncode == 0, result.stderr[-3000:]
    trace = result.stdout.lower()
    for word in ("month", "milk", "temperature", "pounds", "freq:"):
        assert word not in trace, word
    for text in ("weekly data: a season is 52 weeks", "naive (last week)", "seasonal naive (a year ago)",
                 "(sales)",
                 "sarima skipped", "the lstm correction is no candidate here: "):
        assert text in trace, text
    m = read_metrics(folder / "weekly")
    assert (m["season"], m["unit"], m["step"]) == (52, "Sales", "week")


def test_default_data_runs_from_any_folder(started, lstm_runs):
    _, runs = lstm_runs
    result = runs["default"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert trace_problems(result.stdout, last_step=8) == []
    assert "[1] 168 values of 'Production' from 1962-01 to 1975-12, one per month" in result.stdout
    origin = "origin 112: trains on 1962-01 .. 1971-04 (112 months), validated on 1971-05 .. 1972-04"
    assert origin in result.stdout
    m = read_metrics(started[__name__]["default_folder"] / "out")
    assert m["test_points"] == 32  # the course's last 32 months
    # The milk has room for both models: the plain LSTM with either target, and the SARIMA correction.
    assert set(m["candidates"]) == {"LSTM, target seasonal", "LSTM, target seasonal-diff",
                                    "SARIMA + LSTM correction"}
    assert m["pick"] in m["candidates"] and m["validation"]["sarima"] > 0
    assert m["reference"]["key"] in m["baselines"] and m["reference"]["verdict"] in (
        "better", "worse", "no clear difference")


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


def test_flag_defaults_are_the_rolling_choice_settings(run_case):
    """The case's defaults are the plain LSTM's settings in utils.forecasting.rolling_choice; no --patience"""
    import re

    from utils.forecasting.rolling_choice import default_candidates

    plain = next(c for c in default_candidates() if c.kind == "plain")
    result = run_case(SCRIPT, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split("options:")[-1].split())  # the flags' help, without the usage line

    def default(flag):
        return re.search(re.escape(flag) + r" \S+ .*?\(default: ([^)]+)\)", text).group(1)

    assert int(default("--window")) == plain.window
    assert int(default("--units")) == plain.units
    assert int(default("--epochs")) == plain.max_epochs
    assert int(default("--batch-size")) == plain.batch_size
    assert float(default("--learning-rate")) == plain.learning_rate
    assert default("--target") == "auto"
    assert "--patience" not in text  # no such flag (the description says why)
    assert "no --patience" in " ".join(result.stdout.split())
