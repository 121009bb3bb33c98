"""The three-seed memory table of Case 17-4: the adding problem over seeds 42, 1 and 2.

    python benchmarks/memory_seeds.py                        # the case's default run, seeds 42 1 2
    python benchmarks/memory_seeds.py --seeds 42 1 2 3       # more seeds
    python benchmarks/memory_seeds.py -- --train-gates-open  # flags after -- go to the case script
    python benchmarks/memory_seeds.py -- --epochs 30         # a larger budget

Each seed is one fresh run of week17/Case17-4-TF-Vanishing-Exploding-Gradients.py --no-show
--seed S (plus the flags after --), written to benchmarks/results/memory_seeds/seed_S/ (not
committed). The script then reads every run's metrics.json and prints, as markdown:
  1. test MSE on the adding problem per cell and length T: every seed's value, and the mean;
  2. how many seeds "solved" each length (test MSE below 0.01, 6 % of the predict-the-mean 0.167);
  3. at initialisation: log10 of the input-gradient ratio ‖∂L/∂x_1‖/‖∂L/∂x_T‖ and the gated
     cells' keep-gate product over steps 2..T (median unit), per seed;
  4. each run's wall-clock seconds.
The markdown also goes to benchmarks/results/memory_seeds.md.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "week17" / "Case17-4-TF-Vanishing-Exploding-Gradients.py"
RESULTS = REPO_ROOT / "benchmarks" / "results"
SOLVED_TEST_MSE = 0.01


def run_seed(seed, extra, folder):
    """One run of the case; returns (metrics dict, wall seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(SCRIPT), "--no-show", "--seed", str(seed), "--output-dir", str(folder),
               *extra]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (folder / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1:]
        sys.exit(f"error: seed {seed} failed (exit {result.returncode}): {last}")
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8")), seconds


def fmt(value, digits=4):
    return "–" if value is None else f"{value:.{digits}f}"


def tables(runs, seconds):
    """The markdown text from {seed: metrics}."""
    seeds = list(runs)
    first = runs[seeds[0]]
    lengths = [str(T) for T in first["lengths"]]
    cells = first["trained_variants"]
    header = ["| cell | " + " | ".join(f"T = {T}" for T in lengths) + " |",
              "| --- |" + " --- |" * len(lengths)]
    lines = [f"Case 17-4, adding problem: {first['units']} units, at most {first['epochs']} epochs of "
             f"{first['samples']} sequences (batch {first['batch_size']}), Adam {first['learning_rate']:g}, "
             f"clipnorm {first['clipnorm']:g}, stop at validation MSE {first['solved_below_val_mse']:g}; "
             f"seeds {', '.join(map(str, seeds))}.", "",
             "**Test MSE** (each seed, then the mean; predicting the mean scores 1/6 = 0.167, "
             "remembering only the second number 1/12 = 0.083):", "",
             *header]
    for cell in cells:
        row = []
        for T in lengths:
            values = [runs[s]["adding_test_mse"][cell][T] for s in seeds]
            row.append(" / ".join(fmt(v, 3) for v in values) + f" (mean {statistics.mean(values):.3f})")
        lines.append(f"| {cell} | " + " | ".join(row) + " |")
    baseline = [" / ".join(fmt(runs[s]["mean_baseline_test_mse"][T], 3) for s in seeds) for T in lengths]
    lines.append("| predict the mean | " + " | ".join(baseline) + " |")
    lines += ["", f"**Solved** (test MSE below {SOLVED_TEST_MSE}), seeds out of {len(seeds)}; "
              "epochs used per seed:", "", *header]
    for cell in cells:
        row = []
        for T in lengths:
            solved = sum(runs[s]["adding_test_mse"][cell][T] < SOLVED_TEST_MSE for s in seeds)
            epochs = "/".join(str(runs[s]["adding_epochs"][cell][T]) for s in seeds)
            row.append(f"{solved} of {len(seeds)} (epochs {epochs})")
        lines.append(f"| {cell} | " + " | ".join(row) + " |")
    T = first["timesteps"]
    lines += ["", f"**At initialisation, T = {T}** (log10, each seed): the input-gradient ratio "
              f"‖∂L/∂x_1‖/‖∂L/∂x_{T}‖, and for the gated cells the keep-gate's mean and its "
              "product over "
              "steps 2..T (median unit, one sequence):", "",
              "| variant | log10 gradient ratio | mean keep-gate | log10 keep-gate product |",
              "| --- | --- | --- | --- |"]
    for variant in first["gradient_norms"]:
        ratio = " / ".join(fmt(runs[s]["gradient_norms"][variant]["fresh"]["log10_ratio_first_last"], 1)
                           for s in seeds)
        if variant in first["gate_paths"]:
            paths = [runs[s]["gate_paths"][variant]["fresh"] for s in seeds]
            gate = " / ".join(f"{p['mean_gate']:.3f}" for p in paths)
            product = " / ".join(f"{p['log10_product_median']:.1f}" for p in paths)
        else:
            gate = product = "–"
        lines.append(f"| {variant} | {ratio} | {gate} | {product} |")
    lines += ["", "Wall-clock seconds per run (whole script, from a fresh Python): "
              + ", ".join(f"seed {s}: {seconds[s]:.0f} s" for s in seeds)]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2],
                        help="seeds (default: %(default)s)")
    parser.add_argument("extra", nargs="*", help="flags for the case script, after --")
    args = parser.parse_args()
    runs, seconds = {}, {}
    for seed in args.seeds:
        runs[seed], seconds[seed] = run_seed(seed, args.extra, RESULTS / "memory_seeds" / f"seed_{seed}")
        print(f"seed {seed}: {seconds[seed]:.0f} s", flush=True)
    text = tables(runs, seconds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory_seeds.md").write_text(text + "\n", encoding="utf-8")
    print("\n" + text)


if __name__ == "__main__":
    main()
