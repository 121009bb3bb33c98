"""Benchmark: the forecasting cases on series a student might bring.

    python benchmarks/student_series.py [--seed 42] [--only NAME ...]

The goal: on a series that is not the shipped data, the network's test RMSE (the pick's, metrics.json's
"model_rmse") is at most 1.02 x the test RMSE of the best reference chosen on validation. That reference
is metrics.json's "reference" block where the case writes one (Case 17-3: the better on validation of
the simple baseline to beat and the ridge regression; Case 17-2 once it writes the block: the same
with SARIMA); otherwise the best simple baseline chosen on validation, and the table says so.

The series:
- generated here, with a fixed seed, in the shapes students bring: with and without a trend, with a
  yearly, quarterly or weekly cycle, on business days, and two regime changes (growth that flattens,
  a level shift), each written as a CSV into a temporary folder;
- real public series shipped in data/ (copied from statsmodels.datasets; sources in data/README.md):
  weekly CO2 at Mauna Loa, yearly sunspots, the Nile's yearly flow, monthly El Nino sea temperatures,
  quarterly US unemployment.
Each runs through Case 17-2 (monthly, quarterly, weekly, yearly) or Case 17-3 (daily, business days)
with `--csv` and every other flag at its default (so `--target auto`), as a student would.

Writes benchmarks/results/student_series.md (a markdown table; not committed).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "benchmarks" / "results"
LSTM_CASE = REPO_ROOT / "week17" / "Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py"
GRU_CASE = REPO_ROOT / "week17" / "Case17-3-TF-GatedRecurrentUnitNetworks.py"
GOAL = 1.02


def _yearly(t, period):
    return np.sin(2 * np.pi * t / period)


def make_series(name, rng):
    """One generated series as a DataFrame with columns Date and Value; see SERIES for what each is."""
    if name == "monthly, cycle, no trend":  # a city's monthly mean temperature, 20 years
        dates = pd.date_range("2000-01-01", periods=240, freq="MS")
        t = np.arange(len(dates))
        values = 15 + 8 * _yearly(t, 12) + rng.normal(0, 1.0, len(t))
    elif name == "monthly, trend and growing cycle":  # passengers: the cycle grows with the level
        dates = pd.date_range("1995-01-01", periods=168, freq="MS")
        t = np.arange(len(dates))
        level = 100 * np.exp(0.008 * t)
        values = level * (1 + 0.15 * _yearly(t, 12)) + rng.normal(0, 3.0, len(t))
    elif name == "quarterly, trend and cycle":  # gas use per quarter, 30 years
        dates = pd.date_range("1990-01-01", periods=120, freq="QS")
        t = np.arange(len(dates))
        values = 200 + 1.5 * t + 40 * np.cos(2 * np.pi * t / 4) + rng.normal(0, 8.0, len(t))
    elif name == "weekly, yearly cycle":  # weekly deaths: a winter peak, 6 years
        dates = pd.date_range("2015-01-05", periods=312, freq="W-MON")
        t = np.arange(len(dates))
        values = 1000 + 150 * np.cos(2 * np.pi * t / 52.18) + rng.normal(0, 30.0, len(t))
    elif name == "daily, yearly cycle, no trend":  # another city's daily maximum temperature, 8 years
        dates = pd.date_range("2010-01-01", periods=8 * 365, freq="D")
        t = np.arange(len(dates))
        noise = np.zeros(len(t))
        for i in range(1, len(t)):  # weather persists for a few days
            noise[i] = 0.6 * noise[i - 1] + rng.normal(0, 2.5)
        values = 22 + 6 * np.cos(2 * np.pi * (t - 20) / 365.25) + noise
    elif name == "daily, trend and weekly cycle":  # electricity use: less at weekends
        dates = pd.date_range("2016-01-01", periods=6 * 365, freq="D")
        t = np.arange(len(dates))
        weekend = np.isin(dates.day_of_week, (5, 6))
        values = 500 + 0.05 * t + 30 * _yearly(t, 365.25) - 80 * weekend + rng.normal(0, 10.0, len(t))
    elif name == "business days, random walk":  # a share price, Monday to Friday
        dates = pd.bdate_range("2012-01-02", periods=2000)
        values = 50 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, len(dates))))
    elif name == "monthly, growth that flattens":  # a market that saturates, as the milk did in 1973-75
        dates = pd.date_range("2005-01-01", periods=168, freq="MS")
        t = np.arange(len(dates))
        bend = 120  # month 120 of 168: inside the validation period, before the test
        level = 300 + 2.0 * np.minimum(t, bend) + 0.2 * np.maximum(t - bend, 0)
        values = level + 25 * _yearly(t, 12) + rng.normal(0, 6.0, len(t))
    elif name == "monthly, level shift":  # a new product line: sales jump once and stay there
        dates = pd.date_range("2005-01-01", periods=168, freq="MS")
        t = np.arange(len(dates))
        values = 200 + 40 * (t >= 118) + 20 * _yearly(t, 12) + rng.normal(0, 5.0, len(t))
    else:
        raise ValueError(f"unknown series {name!r}")
    return pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Value": np.round(values, 3)})


SERIES = {  # name -> the case that forecasts it
    "monthly, cycle, no trend": LSTM_CASE,
    "monthly, trend and growing cycle": LSTM_CASE,
    "quarterly, trend and cycle": LSTM_CASE,
    "weekly, yearly cycle": LSTM_CASE,
    "daily, yearly cycle, no trend": GRU_CASE,
    "daily, trend and weekly cycle": GRU_CASE,
    "business days, random walk": GRU_CASE,
    "monthly, growth that flattens": LSTM_CASE,
    "monthly, level shift": LSTM_CASE,
}
# Real series shipped in data/: name -> (file, value column, the case that forecasts it).
REAL = {
    "CO2 at Mauna Loa, weekly (real)": ("co2_mauna_loa_weekly.csv", "CO2", LSTM_CASE),
    "sunspots, yearly (real)": ("sunspots_yearly.csv", "Sunspots", LSTM_CASE),
    "Nile flow, yearly (real)": ("nile_yearly.csv", "Volume", LSTM_CASE),
    "El Nino sea temperature, monthly (real)": ("elnino_sst_monthly.csv", "SST", LSTM_CASE),
    "US unemployment, quarterly (real)": ("us_unemployment_quarterly.csv", "Unemployment", LSTM_CASE),
}
ALL = [*SERIES, *REAL]


def run_one(name, seed, folder):
    """Run the series' case on it (a generated series is written first) and return one row of the table."""
    if name in REAL:
        file, value_col, case = REAL[name]
        csv = REPO_ROOT / "data" / file
    else:
        value_col, case = "Value", SERIES[name]
        csv = folder / (name.replace(",", "").replace(" ", "_") + ".csv")
        make_series(name, np.random.default_rng(seed)).to_csv(csv, index=False)
    out_dir = folder / (csv.stem + "_out")
    command = [sys.executable, str(case), "--csv", str(csv), "--date-col", "Date",
               "--value-col", value_col, "--seed", str(seed), "--no-show", "--output-dir", str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    if result.returncode != 0:
        return {"series": name, "error": (result.stderr.strip().splitlines() or ["?"])[-1]}
    return row_from_metrics(name, case, json.loads((out_dir / "metrics.json").read_text()))


def row_from_metrics(name, case, m):
    """One row: the pick against the best reference chosen on validation (the "reference" block when the
    case writes one, else the best simple baseline chosen on validation, marked as a fallback)."""
    reference = m.get("reference")
    if reference:
        key, rmse, source = reference["key"], reference["rmse"], "reference"
        dm = f"{reference['verdict']} (p = {reference['dm_p_value']:.3f})"
    else:
        key = m["best_baseline_on_validation"]
        rmse, source, dm = m["baselines"][key]["rmse"], "fallback: best simple baseline", ""
    return {
        "series": name, "case": "17-2 (LSTM)" if case == LSTM_CASE else "17-3 (GRU)",
        "target": m.get("target"), "season": m.get("season"), "reference": key, "source": source,
        "reference test RMSE": rmse, "network test RMSE": m["model_rmse"], "ratio": m["model_rmse"] / rmse,
        "dm": dm,
    }


def to_markdown(rows, seed):
    lines = [
        f"Each series run with `--csv`, default flags and seed {seed} (generated series: seed {seed} too); "
        "ratio = the pick's test RMSE / the test RMSE of the best reference chosen on validation "
        f"(goal: at most {GOAL}). 'fallback' marks a case that writes no \"reference\" block yet: the best "
        "simple baseline chosen on validation stands in for it.",
        "",
        "| series | case | season | target | reference chosen on validation | from | its RMSE on test "
        "| pick's RMSE on test | ratio | goal | Diebold–Mariano |",
        "| --- | --- | ---: | --- | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['series']} | | | | | | | | | error: {row['error']} | |")
            continue
        verdict = "met" if row["ratio"] <= GOAL else "not met"
        lines.append(
            f"| {row['series']} | {row['case']} | {row['season']} | {row['target']} | {row['reference']} "
            f"| {row['source']} | {row['reference test RMSE']:.3f} | {row['network test RMSE']:.3f} "
            f"| {row['ratio']:.3f} | {verdict} | {row['dm']} |"
        )
    met = sum(1 for row in rows if "ratio" in row and row["ratio"] <= GOAL)
    lines += ["", f"Goal met on {met} of {len(rows)} series."]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", nargs="+", choices=ALL, metavar="NAME",
                        help=f"run only these series (any of: {'; '.join(ALL)})")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or ALL:
            print(f"  {name} ...", flush=True)
            rows.append(run_one(name, args.seed, Path(tmp)))
    markdown = to_markdown(rows, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "student_series.md").write_text(markdown + "\n", encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
