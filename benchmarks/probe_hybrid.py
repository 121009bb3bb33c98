"""Probe: the rolling-origin protocol (utils/forecasting/rolling_choice.py) on the milk and on
two generated monthly series with a regime change, per seed.

For each series and seed it runs the whole protocol (choice of candidate and epoch count on the mean
over two rolling origins, refit decision, one test forecast) and prints:
  - each candidate's mean rolling-origin validation RMSE and its epoch count;
  - the pick, its test RMSE, and the wall time of the protocol;
  - the references: SARIMA(0,1,1)(0,1,1,12) (parameters fitted before the test period) and the
    simple baselines; the best simple baseline and the best reference are chosen on the mean
    validation RMSE over the same origins (SARIMA's is the hybrid's epoch-0 column), never on the test;
  - the Diebold-Mariano p-value (squared loss, HLN-corrected) of the pick against the best reference.

Run:  python benchmarks/probe_hybrid.py                    (3 series x 3 seeds; minutes on 2 cores)
      python benchmarks/probe_hybrid.py --series milk --seeds 42
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from utils.forecasting import baselines, diebold_mariano, metrics, rolling_choice, sarima, timeline  # noqa: E402
from utils.loading.series import load_series  # noqa: E402
from utils.plumbing import paths  # noqa: E402
from utils.plumbing.runtime import hide_tensorflow_startup_messages  # noqa: E402

SEASON = 12


def milk():
    return load_series(paths.data_file("monthly_milk_production.csv"), "Date", "Production").to_numpy()


def growth_that_flattens(n=168, seed=11):
    """Monthly: +2 a month until month 124 (in the validation blocks), +0.2 after; a yearly cycle; noise."""
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    trend = np.where(months < 124, 2.0 * months, 2.0 * 124 + 0.2 * (months - 124))
    return 600 + trend + 40 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 5, n)


def level_shift(n=168, seed=12):
    """Monthly: +1.5 a month, a yearly cycle, noise, a drop of 40 at month 118 (in the validation blocks)."""
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    return (
        600
        + 1.5 * months
        + 40 * np.sin(2 * np.pi * months / 12)
        - 40.0 * (months >= 118)
        + rng.normal(0, 5, n)
    )


SERIES = {"milk": milk, "flattening": growth_that_flattens, "level-shift": level_shift}


def simple_baselines(values, steps):
    return {
        "naive": baselines.naive(values, steps),
        "seasonal naive": baselines.seasonal_naive(values, steps, SEASON),
        "seasonal naive + last change": baselines.seasonal_naive_plus_last_change(values, steps, SEASON),
    }


def probe(name, values, seeds):
    first_test = len(values) - timeline.fixed_test_size(len(values), course_window=12)
    test = np.arange(first_test, len(values))
    actual = values[test]
    sarima_test = sarima.one_step_forecasts(values, first_test, SEASON)["forecasts"]
    print(f"\n=== {name}: {len(values)} months, test = the last {len(test)}")
    rows = []
    for seed in seeds:
        result = rolling_choice.run(values, first_test, SEASON, seed, forecast_all=True, unit="")
        # References chosen on the same origins' validation blocks.
        validation = {
            key: np.mean(
                [
                    metrics.rmse(values[o.validation], f)
                    for o, f in ((o, simple_baselines(values, o.validation)[key]) for o in result.origins)
                ]
            )
            for key in simple_baselines(values, test[:0])
        }
        hybrid = next(c.name for c in rolling_choice.default_candidates() if c.kind == "hybrid")
        best_baseline = min(validation, key=validation.get)
        validation["SARIMA"] = float(result.scores[hybrid].mean[0])
        best_reference = min(validation, key=validation.get)
        test_forecasts = {**simple_baselines(values, test), "SARIMA": sarima_test}
        pick_rmse = metrics.rmse(actual, result.forecasts)
        dm = diebold_mariano.dm_test(actual - result.forecasts, actual - test_forecasts[best_reference])
        print(f"\n-- seed {seed}")
        print("\n".join(result.trace))
        for candidate, forecasts in result.candidate_forecasts.items():
            print(f"  test RMSE of {candidate:<28} {metrics.rmse(actual, forecasts):8.3f}")
        print(
            f"  pick {result.pick!r}, {result.epochs} epochs, refit {result.refit}: "
            f"test RMSE {pick_rmse:.3f}; "
            f"SARIMA {metrics.rmse(actual, sarima_test):.3f}; best baseline on validation ({best_baseline}) "
            f"{metrics.rmse(actual, test_forecasts[best_baseline]):.3f}; "
            f"best reference on validation: {best_reference} "
            f"{metrics.rmse(actual, test_forecasts[best_reference]):.3f}; "
            f"DM p (pick vs best reference) {dm.p_value:.3f}; "
            f"protocol {result.seconds:.1f} s"
        )
        rows.append(
            (
                seed,
                result.pick,
                result.epochs,
                result.refit,
                pick_rmse,
                metrics.rmse(actual, test_forecasts[best_reference]),
                best_reference,
                dm.p_value,
                result.seconds,
            )
        )
    picks = [row[4] for row in rows]
    print(
        f"\n{name} summary: pick test RMSE per seed {[round(p, 3) for p in picks]}, "
        f"mean {statistics.mean(picks):.3f}, "
        f"max {max(picks):.3f}; SARIMA {metrics.rmse(actual, sarima_test):.3f}; "
        + "; ".join(
            f"seed {r[0]}: {r[1]} ({r[2]} epochs, refit {r[3]}), ref {r[6]} {r[5]:.3f}, "
            f"DM p {r[7]:.3f}, {r[8]:.1f} s"
            for r in rows
        )
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", choices=list(SERIES), default=list(SERIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 1, 2])
    args = parser.parse_args()
    started = time.perf_counter()
    hide_tensorflow_startup_messages()
    print(f"TensorFlow imported in {time.perf_counter() - started:.1f} s")
    for name in args.series:
        probe(name, SERIES[name](), args.seeds)


if __name__ == "__main__":
    main()
