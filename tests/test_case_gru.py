"""Case 17-3 (GRU) end to end: outputs, three periods, gap filling, honesty (the test period changes
nothing but the test scores), save and reload, business days, bad input."""

import re

import numpy as np
import pandas as pd
import pytest
from conftest import (
    assert_clean_failure,
    data_fingerprint,
    flat,
    last_paragraph,
    read_metrics,
    start_script,
    trace_problems,
    write_daily_csv,
    write_monthly_csv,
)

from utils.forecasting.features import day_of_year_features

SCRIPT = "Case17-3-TF-GatedRecurrentUnitNetworks.py"
N_DAYS = 600  # the smallest series must give a year of training before its validation period
N_TEST = 120  # the last 20 % of the days
# Missing days: one among the training days, the last training day, the last validation day, the
# first test day and one more test day (the periods: 384 training, 96 validation, 120 test days).
DROPPED = (200, 383, 479, 480, 550)
FILLED_IN_TEST = sum(day >= N_DAYS - N_TEST for day in DROPPED)  # filled, so never scored
WINDOW = 7
TINY = ["--epochs", "3", "--units", "4", "--window", str(WINDOW), "--batch-size", "64", "--no-show"]
OUTPUTS = ("validation.png", "forecast.png", "series.png", "gates.png", "model.keras", "metrics.json",
           "predictions.csv")
FIRST_DAY = pd.Timestamp("2001-01-01")


def next_day_prediction(stdout):
    """(date, value) from the line 'Predicted ... for YYYY-MM-DD: 12.3'."""
    match = re.search(r"^Predicted .+ for (\d{4}-\d{2}-\d{2}): (-?\d+\.\d)\b", stdout, re.MULTILINE)
    assert match, stdout[-2000:]
    return match.group(1), float(match.group(2))


def write_business_day_csv(path, n_days=700, seed=3):
    """A Monday-to-Friday series (a random walk, like a share price), with no rows on weekends."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    values = 100 + np.cumsum(rng.normal(0.05, 1.0, n_days))
    pd.DataFrame({"Day": dates.strftime("%Y-%m-%d"), "Close": np.round(values, 2)}).to_csv(path, index=False)
    return path


def start_runs(tmp_path_factory):
    """Every run of this file, side by side in the background (they share nothing), from another folder:
    - "original": a small synthetic daily CSV with two missing days;
    - "altered":  a copy of it in which every test-period value is replaced by other numbers;
    - "business": a Monday-to-Friday series;
    - each bad input of BAD_INPUTS (each stops before Keras loads)."""
    folder = tmp_path_factory.mktemp("gru")
    csv = write_daily_csv(folder / "tiny.csv", n_days=N_DAYS, drop=DROPPED)
    table = pd.read_csv(csv)
    first_test_day = FIRST_DAY + pd.Timedelta(days=N_DAYS - N_TEST)
    in_test = pd.to_datetime(table["Date"]) >= first_test_day
    table.loc[in_test, "Temp"] = np.round(np.random.default_rng(7).uniform(-30, 60, int(in_test.sum())), 1)
    table.to_csv(folder / "altered.csv", index=False)
    write_business_day_csv(folder / "business.csv")
    runs = {
        "original": ["--csv", csv],
        "altered": ["--csv", folder / "altered.csv"],
        "business": ["--csv", folder / "business.csv", "--date-col", "Day", "--value-col", "Close"],
    }
    before = data_fingerprint()
    tiny = {name: start_script(SCRIPT, *flags, "--output-dir", folder / name, *TINY, cwd=folder)
            for name, flags in runs.items()}
    weekly_folder = tmp_path_factory.mktemp("gru_weekly")
    shop = write_weekly_csv(weekly_folder / "shop.csv")
    weekly = {name: start_script(SCRIPT, "--csv", shop, "--value-col", "Sales", *flags,
                                 "--output-dir", weekly_folder / name, *TINY, cwd=weekly_folder)
              for name, flags in {"data": [], "flag": ["--season", "365"]}.items()}
    bad_folder = tmp_path_factory.mktemp("gru_bad")
    bad = {}
    for name, (args, words) in bad_input_cases(bad_folder).items():
        output_dir = bad_folder / name.replace(" ", "_")
        run = start_script(SCRIPT, *args, "--output-dir", output_dir, "--no-show", cwd=bad_folder)
        bad[name] = (run, words)
    return {"before": before, "folder": folder, "tiny": tiny, "bad": bad,
            "weekly_folder": weekly_folder, "weekly": weekly}


@pytest.fixture(scope="module")
def tiny_runs(started):
    """(folder, {"original" | "altered" | "business": CompletedProcess}) of the three runs above."""
    runs = started[__name__]
    results = {name: future.result() for name, future in runs["tiny"].items()}
    assert data_fingerprint() == runs["before"]
    return runs["folder"], results


def test_smoke_run_writes_every_output_and_a_full_trace(tiny_runs):
    folder, runs = tiny_runs
    run = runs["original"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    for name in OUTPUTS:
        assert (folder / "original" / name).is_file(), name
    for text in (f"[1] {N_DAYS} values of 'Temp'", "one per day", "three periods", "training", "validation",
                 "test        2002-04-26 .. 2002-08-23  (120 days; scored once, at the end)",
                 "(samples, window, features)", "input scaler:", "3 features",
                 "Total params", "GRU: 3·(4·(4+3)+2·4) = 108 (Keras counts 108)", "[6] saved",
                 "rolling origins: 2, each validated on the next 48 days", "ridge + GRU correction",
                 "the ridge alone, = the correction's epoch 0", "the rule, fixed in advance",
                 "persistence (yesterday)", "mean of the last 7 days", "same day last year",
                 "ridge (same inputs)",
                 "ridge regression before the test: alpha", "the best simple baseline on validation:",
                 "scored once",
                 "update_gate (GRU)", "reset_gate (GRU)", "before training"):
        assert flat(text) in flat(run.stdout), text
    assert trace_problems(run.stdout, last_step=8) == []
    for step in range(1, 9):
        assert f"\n[{step}] " in run.stdout, step  # every step prints a line
    assert "Freq:" not in run.stdout  # no pandas index details in the trace
    # a student's series is not called a temperature, and its unit is its column's name
    assert "temperature" not in run.stdout.lower() and "°C" not in run.stdout
    assert "Temp)" in run.stdout
    last_line = last_paragraph(run.stdout)
    assert last_line.startswith("On the test period the pick (")
    assert "best simple baseline chosen on validation" in last_line
    assert "ridge regression" in last_line and "%" in last_line
    date, value = next_day_prediction(run.stdout)
    assert date == str((FIRST_DAY + pd.Timedelta(days=N_DAYS)).date())
    assert -5 < value < 25  # the synthetic series lives around 11 ± 4


def test_metrics_json_has_the_documented_keys(tiny_runs):
    folder, _ = tiny_runs
    m = read_metrics(folder / "original")
    assert m["test_points"] == N_TEST - FILLED_IN_TEST  # the last 20 % of the days but the filled ones
    assert m["periods"] == {"train": 384, "validation": 96, "test": N_TEST}
    assert (m["window"], m["epochs"], m["seed"], m["units"]) == (WINDOW, 3, 42, 4)
    # the pick's GRU and its Dense layer (4 weights + 1 bias); the correction reads one more feature
    assert m["params"] == {"GRU": 108, "ridge + GRU correction": 120}[m["pick"]] + 5
    assert set(m["baselines"]) == {"persistence", "mean_last_7", "seasonal_naive", "ridge"}
    assert set(m["candidates"]) == {"GRU", "ridge + GRU correction"} and isinstance(m["refit"], bool)
    for name, entry in m["candidates"].items():
        assert 0 < entry["validation_rmse"] and 0 < entry["test_rmse"] and 0 <= entry["epochs"] <= 3
        assert entry["epochs"] >= 1 or name == "ridge + GRU correction"  # epoch 0 is only the ridge
    assert m["model_rmse"] == m["candidates"][m["pick"]]["test_rmse"]
    assert m["validation"]["model_rmse"] == m["candidates"][m["pick"]]["validation_rmse"]
    for score in (*m["baselines"].values(), {"rmse": m["model_rmse"], "mae": m["model_mae"]}):
        assert set(score) == {"rmse", "mae"}
        assert 0 < score["mae"] <= score["rmse"] < 10
    assert m["best_baseline_on_validation"] in ("persistence", "mean_last_7", "seasonal_naive")
    # the baseline to beat is the one with the lowest validation RMSE
    simple = ("persistence", "mean_last_7", "seasonal_naive")
    assert m["validation"][m["best_baseline_on_validation"]] == min(m["validation"][k] for k in simple)
    choices = m["choices"]
    assert choices["target"] == m["target"] and choices["target"] in ("raw", "diff", "seasonal")
    candidates = choices["target_candidates_validation_rmse"]
    # --csv: auto tries every target with 12 windows before the block that chooses the ridge's alpha at
    # the first origin (day 336): 'seasonal' would need 365 + 7 + 12 days
    assert set(candidates) == {"raw", "diff"}
    assert choices["target"] == min(candidates, key=candidates.get)
    assert choices["best_epoch"] == m["candidates"][m["pick"]]["epochs"] and choices["ridge_alpha"] > 0
    assert "patience" not in m  # no early stopping: the epoch count is chosen on the origins
    assert m["unit"] == "Temp" and m["step"] == "day" and m["season"] == 365
    assert m["backend"] == "tensorflow" and m["fit_seconds"] > 0
    # the pick's weights' fingerprint, empty when the pick is the ridge itself (the correction at epoch 0)
    assert len(m["weights_sha256"]) == (0 if m["candidates"][m["pick"]]["epochs"] == 0 else 64)


def test_the_verdict_is_against_the_best_reference_chosen_on_validation(tiny_runs):
    """The reference is the better of the baseline to beat and the ridge ON VALIDATION; the verdict follows
    the Diebold-Mariano p-value on the test errors, and the closing sentence says the same."""
    from utils.forecasting.diebold_mariano import dm_test

    folder, runs = tiny_runs
    m = read_metrics(folder / "original")
    ref = m["reference"]
    candidates = (m["best_baseline_on_validation"], "ridge")
    assert ref["key"] == min(candidates, key=lambda key: m["validation"][key]) == m["choices"]["reference"]
    assert ref["rmse"] == m["baselines"][ref["key"]]["rmse"]
    saved = pd.read_csv(folder / "original" / "predictions.csv", index_col=0)
    assert ref["name"] in saved.columns
    dm = dm_test(saved["actual"] - saved[m["pick"]], saved["actual"] - saved[ref["name"]])
    # predictions.csv keeps 4 decimals, metrics.json 7 significant digits
    assert ref["dm_p_value"] == pytest.approx(dm.p_value, abs=2e-3)
    assert ref["dm_statistic"] == pytest.approx(dm.statistic, abs=2e-2)
    expected = ("no clear difference" if ref["dm_p_value"] >= 0.05
                else "better" if m["model_rmse"] < ref["rmse"] else "worse")
    assert ref["verdict"] == expected
    last_line = last_paragraph(runs["original"].stdout)
    opening = {"better": "is more accurate than", "worse": "is less accurate than",
               "no clear difference": "shows no clear difference from"}[expected]
    assert last_line.startswith(f"On the test period the pick ({m['pick']}) {opening} the best reference "
                                "chosen on valid")
    assert f"Diebold–Mariano p = {ref['dm_p_value']:.3f}" in last_line


def write_weekly_csv(path, n_days=600, seed=4):
    """A shop's daily sales: a strong weekly pattern (quiet weekends) and noise, no yearly cycle."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2001-01-01", periods=n_days, freq="D")
    values = 100 - 30 * np.isin(dates.day_of_week, (5, 6)) + rng.normal(0, 5, n_days)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Sales": np.round(values, 1)}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def weekly_runs(started):
    """A weekly-cycle daily series, run with the season from the data and with --season 365."""
    runs = started[__name__]
    return runs["weekly_folder"], {name: future.result() for name, future in runs["weekly"].items()}


def test_a_weekly_cycle_found_in_the_training_period_sets_the_season(weekly_runs):
    folder, runs = weekly_runs
    run = runs["data"]
    assert run.returncode == 0, run.stderr[-3000:]
    weekly = r"weekly cycle \(7 steps\): autocorrelation \+0\.\d+ \(needs 0\.\d+\) -> present"
    assert re.search(weekly, run.stdout)
    assert "yearly cycle (365 steps): not measurable" in run.stdout
    assert "Season: a season of 7 days: the data show that cycle" in run.stdout
    assert "same weekday last week" in run.stdout and "same day last year" not in run.stdout
    m = read_metrics(folder / "data")
    assert m["season"] == 7 and m["choices"]["season_from"] == "data"
    evidence = m["choices"]["cycles_autocorrelation"]
    assert evidence["7"] > 0.2 and evidence["365"] is None
    # the right panel of series.png is not called a yearly cycle: the data could not show one
    assert "saved series.png (the data and every year on one axis)" in run.stdout


def test_the_season_flag_wins_and_the_weekly_baseline_is_still_offered(weekly_runs):
    folder, runs = weekly_runs
    run = runs["flag"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Season: --season 365: the flag wins over the calendar and the data." in run.stdout
    m = read_metrics(folder / "flag")
    assert m["season"] == 365 and m["choices"]["season_from"] == "--season"
    assert {"seasonal_naive", "seasonal_naive_7"} <= set(m["baselines"])
    assert "seasonal_naive_7" in m["validation"]
    # a weekly pattern this strong: "the same weekday last week" is the baseline to beat
    assert m["best_baseline_on_validation"] == "seasonal_naive_7"
    assert "same weekday last week" in run.stdout


def test_missing_days_are_filled_named_and_windows_stay_daily(tiny_runs):
    folder, runs = tiny_runs
    missing = [str((FIRST_DAY + pd.Timedelta(days=d)).date()) for d in DROPPED]
    note = f"Note: filled {len(DROPPED)} missing date(s) with the value before each: {', '.join(missing)}"
    assert note in runs["original"].stdout
    assert "left out of every target and score" in runs["original"].stdout
    # The test days are the last N_TEST days but the filled ones: no window skipped a day, no score
    # counts a value that was never measured.
    test_dates = pd.to_datetime(pd.read_csv(folder / "original" / "predictions.csv", index_col=0).index)
    period = pd.date_range(FIRST_DAY + pd.Timedelta(days=N_DAYS - N_TEST), periods=N_TEST, freq="D")
    assert list(test_dates) == [day for day in period if str(day.date()) not in missing]


def test_the_test_period_changes_nothing_but_the_test_scores(tiny_runs):
    """Honest by construction: every test-period value replaced by other numbers, same seed.
    Every choice (target, season, ridge alpha, candidate, epoch count, refit, baseline to beat), every
    validation score and the trained weights stay exactly the same; only the test scores move."""
    folder, runs = tiny_runs
    assert runs["altered"].returncode == 0, runs["altered"].stderr[-3000:]
    original, altered = read_metrics(folder / "original"), read_metrics(folder / "altered")
    assert altered["choices"] == original["choices"]
    assert altered["validation"] == original["validation"]
    assert altered["weights_sha256"] == original["weights_sha256"]
    assert (altered["pick"], altered["refit"]) == (original["pick"], original["refit"])
    # every candidate's validation score, epoch count and final weights (trained before the test)
    assert ({k: (v["validation_rmse"], v["epochs"], v["weights_sha256"])
             for k, v in altered["candidates"].items()}
            == {k: (v["validation_rmse"], v["epochs"], v["weights_sha256"])
                for k, v in original["candidates"].items()})
    assert altered["periods"] == original["periods"]
    assert altered["test_first_date"] == original["test_first_date"]
    assert altered["model_rmse"] > 2 * original["model_rmse"]  # the new test values are far off the series
    assert altered["baselines"]["ridge"]["rmse"] != original["baselines"]["ridge"]["rmse"]

    # from the periods to the last validation score, the trace is the same word for word (timings aside)
    def choosing(stdout):
        trace = stdout[stdout.index("\n[2] "):stdout.index("test period (")]
        return re.sub(r"\d+(\.\d+)? ?m?s\b", "", trace)
    assert choosing(runs["altered"].stdout) == choosing(runs["original"].stdout)


def test_saved_model_reloads_and_predicts_the_same_values(tiny_runs):
    """Rebuild the pick's inputs with utils (fitted before the test when it refitted, else before the last
    origin) and predict with the reloaded model: the test days must match predictions.csv, and the next
    day's value the printed one."""
    import keras

    from utils.forecasting import ridge_correction as rc
    from utils.forecasting import rolling_origin
    from utils.loading.calendar import fill_gaps
    from utils.loading.series import load_series

    folder, runs = tiny_runs
    m = read_metrics(folder / "original")
    model = keras.saving.load_model(folder / "original" / "model.keras")
    series = fill_gaps(load_series(folder / "tiny.csv", "Date", "Temp"))[0]
    values, season = series.to_numpy(), m["season"]
    origins = rolling_origin.rolling_origins(N_DAYS - N_TEST, 48, 2)
    end = N_DAYS - N_TEST if m["refit"] else origins[-1].origin
    day_features = day_of_year_features(series.index)

    def forecast(extended, features, steps):
        at = rc.prepare_at(extended, features, end, m["target"], season, WINDOW, 48, list(DROPPED))
        data = at.correction if m["pick"] == "ridge + GRU correction" else at.daily
        rows = data.rows(steps)
        return data.levels(model.predict(data.X[rows], verbose=0)[:, 0], rows)

    saved = pd.read_csv(folder / "original" / "predictions.csv", index_col=0)
    test_steps = [t for t in range(N_DAYS - N_TEST, N_DAYS) if t not in DROPPED]
    predicted = forecast(values, day_features, test_steps)
    np.testing.assert_allclose(predicted, saved[m["pick"]].to_numpy(), atol=1e-3)
    # a real forecast, not a copy
    assert not np.allclose(saved[m["pick"]], saved["persistence (yesterday)"], atol=0.1)
    next_features = day_of_year_features(series.index.append(pd.DatetimeIndex([series.index[-1]
                                                                                + pd.Timedelta(days=1)])))
    next_value = forecast(np.append(values, values[-1]), next_features, [N_DAYS])[0]
    assert abs(next_value - next_day_prediction(runs["original"].stdout)[1]) <= 0.05 + 1e-6  # printed to 0.1


def test_a_business_day_series_runs_as_business_days(tiny_runs):
    folder, runs = tiny_runs
    run = runs["business"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "one per business day" in run.stdout and "a season is 5 business days" in run.stdout
    assert "persistence (the last business day)" in run.stdout and "same weekday last week" in run.stdout
    assert "missing" not in run.stdout  # weekends are not gaps
    m = read_metrics(folder / "business")
    assert m["step"] == "business day" and m["season"] == 5 and m["test_points"] == 140
    # a season of 5 fits: all three tried
    assert "seasonal" in m["choices"]["target_candidates_validation_rmse"]
    # the next forecast is for the Monday after the last Friday... or the next business day, whatever it is
    date, _ = next_day_prediction(run.stdout)
    last = pd.bdate_range("2001-01-01", periods=700)[-1]
    assert pd.Timestamp(date) == last + pd.offsets.BDay(1)
    assert "temperature" not in run.stdout.lower()
    assert " month" not in run.stdout.replace("calendar month", "")


BAD_INPUTS = ["missing file", "missing column", "non-numeric", "window 0", "too short",
              "window too long, own csv", "no year before validation", "not daily"]


def bad_input_cases(folder):
    """Each bad input: name -> (flags, words its one line must hold), its files written into `folder`.
    The scripts' refusal to write into data/ itself is tested with the LSTM case (same
    utils.plumbing.paths)."""
    good = write_daily_csv(folder / "good.csv", n_days=N_DAYS)
    short = write_daily_csv(folder / "short.csv", n_days=400)
    non_numeric = folder / "non_numeric.csv"
    non_numeric.write_text("Date,Temp\n2001-01-01,11.2\n2001-01-02,cold\n", encoding="utf-8")
    monthly = write_monthly_csv(folder / "monthly.csv", n_months=72, value_col="Temp")
    return {
        "missing file": (["--csv", folder / "nope.csv"], ["does not exist", "--csv"]),
        "missing column": (["--csv", good, "--value-col", "Tmin"],
                           ["no column 'Tmin'", "'Date', 'Temp'", "--value-col"]),
        "non-numeric": (["--csv", non_numeric], ["line 3", "'cold'", "not a number"]),
        "window 0": (["--window", "0"], ["--window", "1 or more"]),
        # the shipped data, found from another folder, then too short for such a window
        # 2557 days before the validation period (two origins of 182 days before the 731 test days)
        "too short": (["--window", "3000"], ["--window 3000", "training samples", "--window 2545 or less"]),
        "window too long, own csv": (["--csv", good, "--window", "500"],
                                     ["--window 500", "training samples", "--window 372 or less"]),
        "no year before validation": (["--csv", short], ["same day last year", "365 days", "longer series"]),
        "not daily": (["--csv", monthly], ["one value per day", "business-day"]),
    }


@pytest.fixture(scope="module")
def bad_runs(started):
    """name -> (CompletedProcess, words) of every bad input's run, started with the others."""
    runs = started[__name__]
    results = {name: (future.result(), words) for name, (future, words) in runs["bad"].items()}
    assert data_fingerprint() == runs["before"]
    return results


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_ends_in_one_clear_line(bad_runs, case):
    result, words = bad_runs[case]
    assert_clean_failure(result, *words)
    assert "Epoch" not in result.stdout  # it stopped before any training


def test_case_17_5_runs_the_plain_gru_exactly_as_this_case(tiny_runs):
    """utils.forecasting.tasks.temperature_task (Case 17-5) on the same CSV with the same settings: the same
    test days, references and origins, and its GRU is this case's plain GRU: the same epoch count, mean
    validation RMSE and test forecasts (predictions.csv)."""
    from utils.forecasting.tasks import temperature_task

    folder, _ = tiny_runs
    m = read_metrics(folder / "original")
    task = temperature_task(csv=folder / "tiny.csv", target=m["target"], season=m["season"], window=WINDOW,
                            units=4, batch_size=64, epochs=3)
    saved = pd.read_csv(folder / "original" / "predictions.csv", index_col=0)
    assert list(task.test_dates.strftime("%Y-%m-%d")) == list(saved.index)
    np.testing.assert_allclose(task.actual, saved["actual"], atol=1e-4)
    np.testing.assert_allclose(task.baselines["persistence"], saved["persistence (yesterday)"], atol=1e-4)
    np.testing.assert_allclose(task.baselines["ridge (same inputs)"], saved["ridge (same inputs)"], atol=1e-4)
    assert task.baseline_validation_rmse["ridge (same inputs)"] == pytest.approx(m["validation"]["ridge"],
                                                                                 rel=1e-5)
    run = task.run_cell("GRU", m["seed"])
    assert run.epochs == m["candidates"]["GRU"]["epochs"]
    assert run.val_rmse == pytest.approx(m["candidates"]["GRU"]["validation_rmse"], rel=1e-5)
    assert run.refit == m["refit"]  # decided on this cell alone here, on the case's pick there
    np.testing.assert_allclose(run.forecasts, saved["GRU"], atol=1e-3)


def test_the_test_period_is_fixed_by_the_data_not_by_the_window():
    """The shipped data, prepared as Case 17-3 prepares it (checked against the case above), with
    three window sizes: the same 731-day test period (730 scored: its first day, 1988-12-31, is
    missing from the file and filled), the same two origins of 182 days and the same simple baselines."""
    from utils.forecasting import metrics
    from utils.forecasting.tasks import temperature_task

    tasks = [temperature_task(window=window) for window in (6, 12, 24)]
    for task in tasks:
        assert len(task.actual) == 730 and str(task.test_dates[0].date()) == "1989-01-01"
        assert [len(o.validation) for o in task.origins] == [182, 182]
        assert metrics.rmse(task.actual, task.baselines["persistence"]) == pytest.approx(2.481, abs=1e-3)
        assert task.choices["best_baseline"] == tasks[0].choices["best_baseline"]
    for task in tasks[1:]:
        assert (task.test_dates == tasks[0].test_dates).all()
        assert [o.origin for o in task.origins] == [o.origin for o in tasks[0].origins]
        for name in ("persistence", "mean of the last 7 days", "same day last year"):
            np.testing.assert_array_equal(task.baselines[name], tasks[0].baselines[name])
