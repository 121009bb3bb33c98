"""Benchmark: load and check a 100,000-row daily CSV (target: 2 s or less on a 2-core CPU).

    python benchmarks/bench_loading.py [--rows 100000] [--repeats 3]

Writes the file into a temporary folder (never into data/), then times `load_series`
followed by `fill_gaps` (every check a case script runs on its data) and prints the
median of the repeats and PASS or FAIL. Also times a day-first, semicolon, decimal-comma
file of the same length, the slowest shape the loader repairs, for information.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from utils.loading.calendar import fill_gaps
from utils.loading.series import load_series

TARGET_SECONDS = 2.0


def write_daily(path, rows, european=False):
    """A daily series of `rows` days with a few missing days.

    ISO dates, or (european) day-first dates with ; between columns and decimal commas.
    """
    rng = np.random.default_rng(0)
    dates = pd.date_range("1800-01-01", periods=rows, freq="D")
    values = np.round(10 + 5 * np.sin(np.arange(rows) / 58.1) + rng.normal(0, 1, rows), 2)
    keep = np.ones(rows, bool)
    keep[rng.choice(np.arange(1, rows - 1), size=rows // 1000, replace=False)] = False  # 0.1 % gaps to fill
    table = pd.DataFrame({"Date": dates[keep], "Value": values[keep]})
    if european:
        table["Date"] = table["Date"].dt.strftime("%d/%m/%Y")
        table.to_csv(path, sep=";", decimal=",", index=False)
    else:
        table["Date"] = table["Date"].dt.strftime("%Y-%m-%d")
        table.to_csv(path, index=False)
    return path


def time_load(path, repeats):
    """Median seconds of load_series + fill_gaps over `repeats` runs (notes silenced)."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        series, _ = fill_gaps(load_series(path, "Date", "Value", note=lambda text: None))
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), len(series)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        iso = write_daily(Path(folder) / "daily.csv", args.rows)
        median, n = time_load(iso, args.repeats)
        verdict = "PASS" if median <= TARGET_SECONDS else "FAIL"
        print(f"load + check a {args.rows:,}-row daily CSV (ISO dates, {n:,} days after filling): "
              f"{median:.2f} s median of {args.repeats} (target <= {TARGET_SECONDS:.0f} s): {verdict}")
        european = write_daily(Path(folder) / "daily_eu.csv", args.rows, european=True)
        median_eu, _ = time_load(european, args.repeats)
        print(f"same length, day-first dates, semicolons and decimal commas: {median_eu:.2f} s median "
              "(for information)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
