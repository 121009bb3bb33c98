"""Benchmark: the forecasting cases on series a student might bring (issue 9's goal).

    python benchmarks/student_series.py [--seed 42] [--only NAME ...]

The goal: on a series that is not the shipped data, the network's test RMSE is at most
1.02 x the test RMSE of the best simple baseline, where "best" is chosen on the validation
period (as the case itself chooses it). Each series below is generated here, with a fixed
seed, in the shapes students bring: with and without a trend, with a yearly, quarterly or
weekly cycle, on business days. Each is written as a CSV into a temporary folder and run
through Case 17-2 (monthly, quarterly, weekly) or Case 17-3 (daily, business days) with
`--csv` and every other flag at its default (so `--target auto`), as a student would.

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
        weekend = np.isin(dates.dayofweek, (5, 6))
        values = 500 + 0.05 * t + 30 * _yearly(t, 365.25) - 80 * weekend + rng.normal(0, 10.0, len(t))
    elif name == "business days, random walk":  # a share price, Monday to Friday
        dates = pd.bdate_range("2012-01-02", periods=2000)
        values = 50 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, len(dates))))
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
}


def run_one(name, seed, folder):
    """Write the series, run its case on it, and return one row of the table."""
    csv = folder / (name.replace(",", "").replace(" ", "_") + ".csv")
    make_series(name, np.random.default_rng(seed)).to_csv(csv, index=False)
    out_dir = folder / (csv.stem + "_out")
    command = [sys.executable, str(SERIES[name]), "--csv", str(csv), "--date-col", "Date",
               "--value-col", "Value", "--seed", str(seed), "--no-show", "--output-dir", str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    if result.returncode != 0:
        return {"series": name, "error": (result.stderr.strip().splitlines() or ["?"])[-1]}
    m = json.loads((out_dir / "metrics.json").read_text())
    best = m["best_baseline_on_validation"]
    baseline = m["baselines"][best]["rmse"]
    return {
        "series": name, "case": "17-2 (LSTM)" if SERIES[name] == LSTM_CASE else "17-3 (GRU)",
        "target": m.get("target"), "best baseline (validation)": best,
        "baseline test RMSE": baseline, "network test RMSE": m["model_rmse"],
        "ratio": m["model_rmse"] / baseline,
        "ridge test RMSE": m["baselines"].get("ridge", {}).get("rmse"),
    }


def to_markdown(rows, seed):
    lines = [
        f"Generated series (seed {seed}), each run with `--csv` and default flags; "
        "ratio = network test RMSE / "
        f"test RMSE of the best simple baseline chosen on validation (goal: at most {GOAL}).",
        "",
        "| series | case | target | best baseline on validation | its test RMSE | network test RMSE "
        "| ratio | goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['series']} | | | | | | | error: {row['error']} |")
            continue
        verdict = "met" if row["ratio"] <= GOAL else "not met"
        lines.append(
            f"| {row['series']} | {row['case']} | {row['target']} | {row['best baseline (validation)']} | "
            f"{row['baseline test RMSE']:.3f} | {row['network test RMSE']:.3f} | {row['ratio']:.3f} "
            f"| {verdict} |"
        )
    met = sum(1 for row in rows if "ratio" in row and row["ratio"] <= GOAL)
    lines += ["", f"Goal met on {met} of {len(rows)} series."]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", nargs="+", choices=list(SERIES), help="run only these series")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or SERIES:
            print(f"  {name} ...", flush=True)
            rows.append(run_one(name, args.seed, Path(tmp)))
    markdown = to_markdown(rows, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "student_series.md").write_text(markdown + "\n", encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
