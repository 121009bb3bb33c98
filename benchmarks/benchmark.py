"""Benchmark: run each case with its default configuration and check the speed and accuracy targets.

    python benchmarks/benchmark.py                 # every case, seed 42
    python benchmarks/benchmark.py lstm gru        # some cases
    python benchmarks/benchmark.py --seeds 1 2 3   # mean ± sd over seeds

Each run is a fresh `python week17/<case>.py --no-show` process, so "total seconds" includes
starting Python and importing TensorFlow, as a student would see it. "fit seconds" is what
the script itself measured around `model.fit`. Outputs go to benchmarks/results/ (not committed).
Where statsmodels is installed, the milk case is also compared with SARIMA(0,1,1)(0,1,1,12),
the classical reference; no case script needs statsmodels.

The README's results tables are pasted from this script's output, with the machine line it prints.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
RESULTS = REPO_ROOT / "benchmarks" / "results"

# name: (script in week17/, extra flags). Case 17-5 repeats its own seeds (--seeds), so it runs once.
CASES = {
    "rnn": ("Case17-1-TF-Recurrent-Neural-Networks-RNN.py", []),
    "lstm": ("Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py", []),
    "gru": ("Case17-3-TF-GatedRecurrentUnitNetworks.py", []),
    "gradients": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", []),
    "gradients-quick": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", ["--quick"]),
    "compare": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", []),
    "compare-quick": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", ["--quick"]),
}

# The issues' targets: (description, function of (metrics, total seconds) -> bool).
TARGETS = {
    "rnn": [
        ("val bits/char below the bigram baseline", lambda m, t: m["model_bits_per_char"] < m["baselines"]["bigram"]["bits_per_char"]),
        ("goal: below the best n-gram", lambda m, t: m["model_bits_per_char"] < min(b["bits_per_char"] for b in m["baselines"].values())),
        ("whole run <= 60 s", lambda m, t: t <= 60),
    ],
    "lstm": [
        ("test RMSE below seasonal naive", lambda m, t: m["model_rmse"] < m["baselines"]["seasonal_naive"]["rmse"]),
        ("goal: below seasonal naive + last change", lambda m, t: m["model_rmse"] < m["baselines"]["seasonal_naive_plus_last_change"]["rmse"]),
        ("goal: below SARIMA", lambda m, t: "sarima" in m["baselines"] and m["model_rmse"] < m["baselines"]["sarima"]["rmse"]),
        ("fit <= 10 s", lambda m, t: m["fit_seconds"] <= 10),
        ("whole run <= 20 s", lambda m, t: t <= 20),
    ],
    "gru": [
        ("test RMSE below persistence", lambda m, t: m["model_rmse"] < m["baselines"]["persistence"]["rmse"]),
        ("goal: RMSE <= 2.15 and below ridge", lambda m, t: m["model_rmse"] <= 2.15 and m["model_rmse"] < m["baselines"]["ridge"]["rmse"]),
        ("fit <= 10 s", lambda m, t: m["fit_seconds"] <= 10),
        ("whole run <= 20 s", lambda m, t: t <= 20),
    ],
    "gradients": [("whole run <= 180 s", lambda m, t: t <= 180)],
    "gradients-quick": [("whole run <= 30 s", lambda m, t: t <= 30)],
    "compare": [("whole run <= 180 s", lambda m, t: t <= 180)],
    "compare-quick": [("whole run <= 30 s", lambda m, t: t <= 30)],
}


def machine_line():
    """The machine the numbers come from: CPU, cores, OS, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from utils.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Keras {keras.__version__} ({keras.backend.backend()} backend), NumPy {numpy.__version__}"
    )


def sarima_reference():
    """SARIMA(0,1,1)(0,1,1,12) on the milk data: fitted on the training months, then one-step-ahead
    forecasts over the same 32 test months as the LSTM, with the fitted parameters. None without statsmodels."""
    try:
        import warnings

        from statsmodels.tsa.statespace.sarimax import SARIMAX
    except ImportError:
        return None
    from utils.data import fill_gaps, load_series
    from utils.metrics import score
    from utils.paths import data_file
    from utils.windows import test_size

    values = fill_gaps(load_series(data_file("monthly_milk_production.csv"), "Date", "Production"))[0].to_numpy()
    first_test = len(values) - test_size(len(values) - 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = SARIMAX(values[:first_test], order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False)
        one_step = fitted.apply(values).get_prediction(start=first_test, end=len(values) - 1).predicted_mean
    return score(values[first_test:], one_step)


def run_case(name, seed):
    """Run one case once; return (metrics dict, total seconds)."""
    script, extra = CASES[name]
    out_dir = RESULTS / name / f"seed{seed}"
    seed_flag = [] if name.startswith("compare") else ["--seed", str(seed)]
    command = [sys.executable, str(REPO_ROOT / "week17" / script), "--no-show", *seed_flag, "--output-dir", str(out_dir), *extra]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    total = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{name} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads((out_dir / "metrics.json").read_text()), total


def headline(name, m):
    """The numbers worth a row in the table, as {column: value}."""
    if "model_rmse" in m:
        row = {"model RMSE": m["model_rmse"], "model MAE": m["model_mae"]}
        row.update({f"{b} RMSE": s["rmse"] for b, s in m["baselines"].items()})
        return row
    if "model_bits_per_char" in m:
        row = {"model bits/char": m["model_bits_per_char"]}
        row.update({f"{b} bits/char": s["bits_per_char"] for b, s in m["baselines"].items()})
        return row
    return {}


def mean_sd(values):
    values = list(values)
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all present): {', '.join(CASES)}")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    args = parser.parse_args()
    names = args.cases or [n for n, (script, _) in CASES.items() if (REPO_ROOT / "week17" / script).is_file()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")

    print(f"Machine: {machine_line()}")
    print(f"Seeds: {args.seeds}\n")
    sarima = sarima_reference() if "lstm" in names else None
    all_ok = True
    for name in names:
        seeds = args.seeds[:1] if name.startswith("compare") else args.seeds
        runs = [run_case(name, seed) for seed in seeds]
        if name == "lstm" and sarima:
            for m, _ in runs:
                m["baselines"]["sarima"] = sarima
        print(f"## {name}: {CASES[name][0]} {' '.join(CASES[name][1])}".rstrip())
        print("| measure | value |\n| --- | --- |")
        fits = [m["fit_seconds"] for m, _ in runs if "fit_seconds" in m]
        if fits:
            print(f"| fit seconds | {mean_sd(fits)} |")
        print(f"| total seconds (with import) | {mean_sd(t for _, t in runs)} |")
        columns = headline(name, runs[0][0])
        for column in columns:
            print(f"| {column} | {mean_sd(headline(name, m)[column] for m, _ in runs)} |")
        for description, check in TARGETS.get(name, []):
            passed = [check(m, t) for m, t in runs]
            verdict = "PASS" if all(passed) else ("FAIL" if not any(passed) else f"{sum(passed)}/{len(passed)} seeds")
            required = not description.startswith("goal")
            all_ok &= all(passed) or not required
            print(f"| target: {description} | {verdict} |")
        print()
    print("All required targets met." if all_ok else "Some required targets were missed (see FAIL above).")


if __name__ == "__main__":
    main()
