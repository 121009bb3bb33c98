"""Benchmark: run every case, check the targets, and write docs/RESULTS.md from the measurements.

    python benchmarks/benchmark.py --seeds 42 1 2   # every case, 3 seeds: rewrites docs/RESULTS.md
    python benchmarks/benchmark.py lstm gru         # some cases (prints; RESULTS.md is left alone)
    python benchmarks/benchmark.py --extras all     # also the slow choose_*.py scripts
    python benchmarks/benchmark.py --no-extras      # only the cases

Each case run is a fresh `python week17/<case>.py --no-show --output-dir ...` process, so "whole
run s" includes starting Python and importing TensorFlow, as a student would see it; "fit s" is
what the script measured around `model.fit`. Run outputs go to benchmarks/results/ (not
committed). A case whose script does not exist yet is skipped.

The extra scripts in benchmarks/ (speed_regimes.py, bench_loading.py, course_recipe.py,
choose_*.py, ...) run as they are and their markdown goes into RESULTS.md under their own
headings; memory_seeds.py's tables are built from this benchmark's own Case 17-4 runs.

docs/RESULTS.md is written by `render_results`, a pure function of the measured data, so every
number in it comes from the run. It is rewritten only by a full run (no case names given).
"""

import argparse
import ast
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
RESULTS = REPO_ROOT / "benchmarks" / "results"
DOCS = REPO_ROOT / "docs"

# name: (script in week17/, extra flags, how it uses the seeds).
#   "each": one run per seed, reported as mean ± sd;  "first": one run with the first seed;
#   "inside": one run that repeats the seeds itself (--seeds ...).
CASES = {
    "rnn": ("Case17-1-TF-Recurrent-Neural-Networks-RNN.py", [], "each"),
    "lstm": ("Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py", [], "each"),
    "gru": ("Case17-3-TF-GatedRecurrentUnitNetworks.py", [], "each"),
    "gradients": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", [], "each"),
    "gradients-quick": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", ["--quick"], "first"),
    "compare": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", [], "inside"),
    "compare-quick": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", ["--quick"], "inside"),
    "bptt": ("Case17-6-TF-Backpropagation-Through-Time.py", [], "first"),
}

# The issues' targets: (description, check(metrics, whole-run seconds) -> bool). A description that
# starts with "goal:" is a goal, every other one is required. A check whose key is missing reads "n/a".
TARGETS = {
    "rnn": [
        ("test bits/char below the best n-gram on the same test characters",
         lambda m, t: m["model_bits_per_char"] < min(b["bits_per_char"] for b in m["baselines"].values())),
        ("test bits/char below the best n-gram chosen on validation",
         lambda m, t: m["model_bits_per_char"] < m["baselines"][m["best_ngram"]]["bits_per_char"]),
        ("carried-state generation equals re-reading from a zero state (<= 1e-5)",
         lambda m, t: m["generation"]["carried_vs_keras_max_abs_diff"] <= 1e-5),
        ("whole run <= 60 s", lambda m, t: t <= 60),
    ],
    "lstm": [
        ("test RMSE below seasonal naive", lambda m, t: m["model_rmse"] < m["baselines"]["seasonal_naive"]["rmse"]),
        ("test RMSE below the best simple baseline chosen on validation",
         lambda m, t: m["model_rmse"] < m["baselines"][m["best_baseline_on_validation"]]["rmse"]),
        ("goal: below seasonal naive + last change", lambda m, t: m["model_rmse"] < m["baselines"]["seasonal_naive_plus_last_change"]["rmse"]),
        ("goal: below SARIMA", lambda m, t: m["model_rmse"] < m["baselines"]["sarima"]["rmse"]),
        ("fit <= 10 s", lambda m, t: m["fit_seconds"] <= 10),
        ("whole run <= 20 s", lambda m, t: t <= 20),
    ],
    "gru": [
        ("test RMSE below persistence", lambda m, t: m["model_rmse"] < m["baselines"]["persistence"]["rmse"]),
        ("test RMSE below the best simple baseline chosen on validation",
         lambda m, t: m["model_rmse"] < m["baselines"][m["best_baseline_on_validation"]]["rmse"]),
        ("goal: below the validation-tuned ridge regression", lambda m, t: m["model_rmse"] < m["baselines"]["ridge"]["rmse"]),
        ("goal: RMSE <= 2.15 and below ridge", lambda m, t: m["model_rmse"] <= 2.15 and m["model_rmse"] < m["baselines"]["ridge"]["rmse"]),
        ("fit <= 10 s", lambda m, t: m["fit_seconds"] <= 10),
        ("whole run <= 20 s", lambda m, t: t <= 20),
    ],
    "gradients": [
        ("whole run <= 180 s", lambda m, t: t <= 180),
        ("goal: the GRU solves the adding problem at T = 100 (test MSE < 0.01)", lambda m, t: m["adding_test_mse"]["GRU"]["100"] < 0.01),
    ],
    "gradients-quick": [("whole run <= 30 s", lambda m, t: t <= 30)],
    "compare": [("whole run <= 180 s", lambda m, t: t <= 180)],
    "compare-quick": [("whole run <= 30 s", lambda m, t: t <= 30)],
    "bptt": [("whole run <= 30 s", lambda m, t: t <= 30)],
}

# Plots that belong with the numbers: (case, file in its output dir, name in docs/, caption).
# The benchmark copies them from the first seed's run into docs/.
PLOTS = [
    ("lstm", "forecast.png", "lstm_forecast.png", "Case 17-2: the test months, actual against the LSTM and the baselines"),
    ("lstm", "gates.png", "lstm_gates.png", "Case 17-2: the LSTM's gates on one test window"),
    ("gru", "forecast.png", "gru_forecast.png", "Case 17-3: test days, actual against the GRU and the baselines"),
    ("gradients", "gradient_norms.png", "gradient_norms.png", "Case 17-4: gradient norm per input step"),
    ("gradients", "memory.png", "memory.png", "Case 17-4: long-term memory against sequence length"),
    ("gradients", "exploding.png", "exploding.png", "Case 17-4: loss with and without clipping"),
    ("bptt", "jacobian_norms.png", "jacobian_norms.png", "Case 17-6: norm of the Jacobian product against the distance k"),
    ("compare", "comparison.png", "comparison.png", "Case 17-5: the three cells on both tasks"),
]

# Extra benchmark scripts (run when present): name -> flags. "{seeds}" becomes the seeds.
# choose_*.py scripts take minutes; they run only with --extras all (or by name).
EXTRAS = {
    "speed_regimes": [],
    "bench_loading": [],
    # median of 3 whole runs for the milk, as issue 9 defines the ratio; one for the temperatures,
    # whose course recipe (2 x GRU(50) over 100-day windows) takes minutes a run
    "course_recipe": ["--temperature-repeats", "1"],
}
COVERED_BY_CASES = {"memory_seeds": "gradients"}  # rebuilt from the benchmark's own runs of that case


# ----- measuring ---------------------------------------------------------------------------------

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
    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Keras {keras.__version__} ({keras.backend.backend()} backend), NumPy {numpy.__version__}"
    )


def headless_env():
    """The environment without a display: a benchmark never opens a window."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def run_case(name, seed, seeds, backend=None):
    """Run one case once (on another Keras backend if given); return {"seed", "metrics", "seconds", "out_dir", "files"}."""
    script, extra, mode = CASES[name]
    out_dir = RESULTS / (name + (f"-{backend}" if backend else "")) / (f"seeds{'-'.join(map(str, seeds))}" if mode == "inside" else f"seed{seed}")
    if mode == "inside":  # the case repeats the seeds itself; --quick chooses its own
        seed_flags = [] if "--quick" in extra else ["--seeds", *map(str, seeds)]
    else:
        seed_flags = ["--seed", str(seed)]
    command = [sys.executable, str(REPO_ROOT / "week17" / script), "--no-show", *seed_flags, "--output-dir", str(out_dir), *extra]
    print(f"  {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    env = headless_env() | ({"KERAS_BACKEND": backend} if backend else {})
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{name} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(out_dir.glob("*.md"))}
    return {"seed": seed, "metrics": json.loads((out_dir / "metrics.json").read_text(encoding="utf-8")),
            "seconds": seconds, "out_dir": str(out_dir), "files": files}


def extra_title(path):
    """An extra script's heading: the first line of its docstring."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
    return doc.splitlines()[0].rstrip(".")


def run_extra(path, flags):
    """Run an extra benchmark script; return {"title", "markdown", "seconds", "ok"}.

    Its markdown is the `benchmarks/results/<name>.md` it (re)wrote, if any, else its printed output.
    """
    written = RESULTS / f"{path.stem}.md"
    before = written.stat().st_mtime if written.exists() else None
    print(f"  {path.name} {' '.join(flags)}", flush=True)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(path), *flags], capture_output=True, text=True, env=headless_env(), cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    if written.exists() and written.stat().st_mtime != before:
        markdown = written.read_text(encoding="utf-8").strip()
    else:
        markdown = "```text\n" + result.stdout.strip() + "\n```"
    if result.returncode != 0:
        markdown += f"\n\n(exit code {result.returncode}: {result.stderr.strip().splitlines()[-1:] or ''})"
    return {"title": extra_title(path), "markdown": markdown, "seconds": seconds, "ok": result.returncode == 0}


def copy_plots(cases):
    """Copy each plot of PLOTS from the first run of its case into docs/; return [(docs file, caption)]."""
    copied = []
    for case, source, target, caption in PLOTS:
        if case in cases and cases[case]["runs"]:
            path = Path(cases[case]["runs"][0]["out_dir"]) / source
            if path.is_file():
                shutil.copyfile(path, DOCS / target)
                copied.append((target, caption))
    return copied


# ----- judging and writing (pure functions of the measured data) ---------------------------------

def mean_sd(values, digits=3):
    """'m ± sd' over several values, or the single value; '–' when there is none."""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def judge(name, runs):
    """[(description, verdict, required)] for the case's targets over its runs."""
    verdicts = []
    for description, check in TARGETS.get(name, []):
        try:
            passed = [bool(check(run["metrics"], run["seconds"])) for run in runs]
        except (KeyError, TypeError, ValueError):
            verdicts.append((description, "n/a (not in metrics.json)", not description.startswith("goal")))
            continue
        verdict = "PASS" if all(passed) else ("FAIL" if not any(passed) else f"{sum(passed)}/{len(passed)} seeds")
        verdicts.append((description, verdict, not description.startswith("goal")))
    return verdicts


def headline(m):
    """The scores worth a row: {column: value} (model first, then the baselines)."""
    if "model_rmse" in m:
        row = {"model RMSE": m["model_rmse"], "model MAE": m.get("model_mae")}
        row.update({f"{b} RMSE": s["rmse"] for b, s in m.get("baselines", {}).items() if "rmse" in s})
        return row
    if "model_bits_per_char" in m:
        row = {"model bits/char": m["model_bits_per_char"]}
        row.update({f"{b} bits/char": s["bits_per_char"] for b, s in m.get("baselines", {}).items() if "bits_per_char" in s})
        return row
    return {}


def baselines_text(runs, score):
    """'name m ± sd, ...' for every baseline of the runs, best (lowest mean) first."""
    names = [b for b, v in runs[0]["metrics"].get("baselines", {}).items() if isinstance(v, dict) and score in v]
    values = {b: [r["metrics"]["baselines"].get(b, {}).get(score) for r in runs] for b in names}
    names.sort(key=lambda b: statistics.mean(v for v in values[b] if v is not None))
    return ", ".join(f"{b.replace('_', ' ')} {mean_sd(values[b])}" for b in names)


def summary_row(name, case):
    """One line of the summary table: case, fit s, whole run s, model score, baselines."""
    runs = case["runs"]
    m = runs[0]["metrics"]
    fit = mean_sd([r["metrics"].get("fit_seconds") for r in runs], 1)
    whole = mean_sd([r["seconds"] for r in runs], 1)
    if "model_rmse" in m:
        unit = m.get("unit", "")
        model = (f"**{mean_sd([r['metrics']['model_rmse'] for r in runs])}** RMSE {unit} "
                 f"(MAE {mean_sd([r['metrics'].get('model_mae') for r in runs], 2)})")
        base = baselines_text(runs, "rmse")
    elif "model_bits_per_char" in m:
        model = f"**{mean_sd([r['metrics']['model_bits_per_char'] for r in runs])}** bits/char"
        base = baselines_text(runs, "bits_per_char")
    else:
        model, base = "see below", ""
    return f"| {name} ({case['script'].split('-TF-')[0]}) | {len(runs)} | {fit} | {whole} | {model} | {base} |"


def case_table(name, case):
    """The full table of one case: every headline score (mean ± sd over its runs) and its targets."""
    runs = case["runs"]
    flags = " ".join(case.get("flags", []))
    lines = [f"### {name}: `{case['script']}{(' ' + flags) if flags else ''}`", "",
             f"Seeds: {', '.join(str(r['seed']) for r in runs)}.", "", "| measure | value |", "| --- | --- |"]
    fits = [r["metrics"].get("fit_seconds") for r in runs]
    if any(f is not None for f in fits):
        lines.append(f"| fit seconds | {mean_sd(fits)} |")
    lines.append(f"| whole run seconds (with import) | {mean_sd([r['seconds'] for r in runs])} |")
    for column in headline(runs[0]["metrics"]):
        values = []
        for r in runs:
            values.append(headline(r["metrics"]).get(column))
        lines.append(f"| {column.replace('_', ' ')} | {mean_sd(values)} |")
    for description, verdict, _ in case.get("targets", []):
        lines.append(f"| target: {description} | {verdict} |")
    return "\n".join(lines)


def fmt_g(value, digits=2):
    """A number in short form; '–' for None; a dict as 'key value, ...'.

    metrics.json rounds floats to 6 decimals (utils.forecasting.metrics.write_metrics), so a stored 0.0
    only says the value is below 5e-07 in size: it is written that way.
    """
    if value is None:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{key} {fmt_g(item, digits)}" for key, item in value.items())
    if value == 0:
        return "< 5e-07"
    return f"{value:.{digits}g}"


def claims_vanishing(cases):
    """Claim 1: gradients vanish. Case 17-4's input-gradient ratios; Case 17-6's Jacobian products."""
    lines = []
    runs = cases.get("gradients", {}).get("runs", [])
    if runs and "gradient_norms" in runs[0]["metrics"]:
        m0 = runs[0]["metrics"]
        lines += [f"Case 17-4, T = {m0.get('timesteps')}: log10 of ‖∂loss/∂x_1‖ / ‖∂loss/∂x_T‖ for each variant, "
                  "freshly initialised and after training (each seed, separated by /):", "",
                  "| variant | fresh | trained |", "| --- | --- | --- |"]
        for variant in m0["gradient_norms"]:
            cells = []
            for stage in ("fresh", "trained"):
                values = [r["metrics"]["gradient_norms"].get(variant, {}).get(stage, {}).get("log10_ratio_first_last") for r in runs]
                cells.append(" / ".join(fmt_g(v, 3) for v in values) if any(v is not None for v in values) else "–")
            lines.append(f"| {variant} | {cells[0]} | {cells[1]} |")
        lines += ["", "Two different quantities. The input-gradient ratio mixes every path from x_1 to the loss: through the "
                  "cell state, the hidden state and the gates, entering through the input weights. The keep-gate product "
                  "(in the initialisation table under claim 2) is the cell path alone: the LSTM adds to its cell state, "
                  "c_t = f_t·c_(t−1) + i_t·g_t, so with the gates held fixed ∂c_T/∂c_t is the product of the forget gates, "
                  "unit by unit (the GRU's update gates likewise). `utils.recurrent.gradients.keep_gate_path` computes it from the "
                  "NumPy mirror, and a test checks it against `tf.GradientTape`.", ""]
    bptt = cases.get("bptt", {}).get("runs", [])
    if bptt and "simple_rnn_jacobian_norms" in bptt[0]["metrics"]:
        m = bptt[0]["metrics"]
        labels = list(m["simple_rnn_jacobian_norms"])
        ks = list(m["simple_rnn_jacobian_norms"][labels[0]])
        lines += [f"Case 17-6 (seed {bptt[0]['seed']}, {m.get('units')} units, no training): the spectral norm of the product of "
                  "k per-step Jacobians ‖∂h_T/∂h_(T−k)‖ of a SimpleRNN, computed by the hand-written code:", "",
                  "| k | " + " | ".join(f"{label}: U = {fmt_g(m.get(label + '_scale'))} × orthogonal" if label + "_scale" in m else label
                                        for label in labels) + " |", "| --- |" + " --- |" * len(labels)]
        for k in ks:
            lines.append(f"| {k} | " + " | ".join(fmt_g(m["simple_rnn_jacobian_norms"][label].get(k)) for label in labels) + " |")
        lstm = m.get("lstm", {})
        if "forget_gate_product" in lstm:
            lines += ["", "The LSTM with Keras's initial weights: the product of the forget gates (the cell path alone) "
                      "beside the full Jacobians:", "",
                      "| k | forget-gate product | ‖∂c_T/∂c_(T−k)‖ | ‖∂h_T/∂h_(T−k)‖ |", "| --- | --- | --- | --- |"]
            for k in lstm["forget_gate_product"]:
                lines.append(f"| {k} | {fmt_g(lstm['forget_gate_product'].get(k))} | {fmt_g(lstm.get('dcT_dc_norm', {}).get(k))} | "
                             f"{fmt_g(lstm.get('dhT_dh_norm', {}).get(k))} |")
            diffs = [m.get("simple_rnn_tape_max_abs_difference"), lstm.get("tape_max_abs_difference")]
            if any(d is not None for d in diffs):
                lines += ["", f"Hand-written against `tf.GradientTape`, largest absolute difference: SimpleRNN {fmt_g(diffs[0])}, "
                          f"LSTM {fmt_g(diffs[1])}."]
        lines.append("")
    return lines


def claims_memory(cases):
    """Claim 2: long-term memory, from the benchmark's own Case 17-4 runs (memory_seeds.tables)."""
    runs = cases.get("gradients", {}).get("runs", [])
    if not runs or "adding_test_mse" not in runs[0]["metrics"]:
        return []
    try:
        from benchmarks import memory_seeds
    except ImportError:
        return []
    try:
        text = memory_seeds.tables({r["seed"]: r["metrics"] for r in runs}, {r["seed"]: r["seconds"] for r in runs})
    except (KeyError, TypeError):
        return []
    m = runs[0]["metrics"]
    return [text, "",
            f"What this does not show: that a cell which stays near the predict-the-mean level cannot learn the task, only "
            f"that it did not within {m['epochs']} epochs of {m['samples']} sequences at this learning rate. Initialisation "
            "matters (`--gate-bias` and `--train-gates-open` start the forget and update gates open; Keras already starts "
            "the LSTM's forget-gate bias at 1), and so does the optimiser: Adam moves each weight by about the learning "
            "rate whatever the size of its gradient, so a tiny gradient is not a tiny step, and each weight's gradient "
            "sums the contributions of every time step, not only the first.", ""]


def claims_exploding(cases):
    """Claim 3: gradients explode, clipping tames them (Case 17-4, step 7)."""
    runs = [r for r in cases.get("gradients", {}).get("runs", []) if "exploding" in r["metrics"]]
    if not runs:
        return []
    e = runs[0]["metrics"]["exploding"]
    lines = [f"Case 17-4, step 7: a ReLU SimpleRNN, recurrent weights {fmt_g(e.get('recurrent_gain'))} × orthogonal, "
             f"SGD at learning rate {fmt_g(e.get('learning_rate'))}, T = {e.get('timesteps')}, without clipping and with "
             f"clipnorm={fmt_g(e.get('clipnorm'))}:", "",
             "| seed | recurrent-kernel gradient norm at the start | first NaN epoch without clipping | loss before → after, with clipping |",
             "| --- | --- | --- | --- |"]
    for r in runs:
        e = r["metrics"]["exploding"]
        grads = {k: v for k, v in e.get("start_gradient_norms", {}).items() if "recurrent" in k}
        clipped = e.get("losses_with_clipnorm") or []
        lines.append(f"| {r['seed']} | {', '.join(fmt_g(v) for v in grads.values()) or '–'} | "
                     f"{e.get('first_nan_epoch_without_clipping') or 'none'} | "
                     f"{fmt_g(clipped[0] if clipped else None, 3)} → {fmt_g(clipped[-1] if clipped else None, 3)} |")
    return lines + ["", "`clipnorm` rescales each weight tensor's gradient whose norm is above the limit down to that norm, "
                    "keeping its direction (`global_clipnorm` rescales all of them together). With SGD the step is the "
                    "learning rate times that gradient, so the step is bounded too; under Adam it is not: the step is set "
                    "by the learning rate and the moment estimates (tests/test_gradients.py checks both against Keras).", ""]


def claims_compare(cases, extras=None):
    """Claim 4: LSTM against GRU (Case 17-5's own table, as it wrote it), and the speed in two regimes."""
    lines = []
    runs = cases.get("compare", {}).get("runs", [])
    if runs and "comparison.md" in runs[0].get("files", {}):
        seeds = runs[0]["metrics"].get("seeds", [])
        lines += [f"Case 17-5, seeds {', '.join(map(str, seeds))}, each task trained as its case trains it, the same for the "
                  "three cells:", "", runs[0]["files"]["comparison.md"].strip(), ""]
    speed = (extras or {}).get("speed_regimes")
    if speed:
        lines += ["Where the time goes (`python benchmarks/speed_regimes.py`): on the lesson's tasks an epoch is a handful of "
                  "small batches, and Keras's fixed costs per epoch and per step hide the cells' different arithmetic; "
                  "with many long sequences and many units the matrix products dominate. On a CPU Keras 3 runs all three "
                  "cells as a loop over the time steps inside a compiled graph (the fused cuDNN kernel is used only on a GPU).",
                  "", speed["markdown"], ""]
    return lines


JAX_CASES = ("rnn", "lstm", "gru")  # the cases that run on any Keras backend (17-4 and 17-6 use tf.GradientTape)


def jax_section(results):
    """The optional JAX comparison: the first seed on TensorFlow against the same seed on JAX."""
    jax = results.get("jax")
    if jax is None:
        return []
    lines = ["## Optional: the JAX backend", ""]
    if not jax:
        return lines + ["JAX was not installed when this ran, so nothing was measured. `pip install jax`, then rerun "
                        "the benchmark to add the comparison (`KERAS_BACKEND=jax python week17/<case>.py` runs one case on it).", ""]
    lines += [f"The same cases, seed {results['seeds'][0]}, with `KERAS_BACKEND=jax` (TensorFlow stays installed, so Keras "
              "still imports it):", "",
              "| case | fit s, TensorFlow | fit s, JAX | whole run s, TensorFlow | whole run s, JAX | score, TensorFlow | score, JAX |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, run in jax.items():
        tf_run = results["cases"][name]["runs"][0]
        score = "model_rmse" if "model_rmse" in run["metrics"] else "model_bits_per_char"
        lines.append(f"| {name} | {mean_sd([tf_run['metrics'].get('fit_seconds')], 1)} | {mean_sd([run['metrics'].get('fit_seconds')], 1)} | "
                     f"{tf_run['seconds']:.1f} | {run['seconds']:.1f} | {mean_sd([tf_run['metrics'].get(score)])} | "
                     f"{mean_sd([run['metrics'].get(score)])} |")
    return lines + ["", "Scores differ slightly between backends: the same seed draws other random numbers."
                    " Cases 17-4 and 17-6 measure gradients with `tf.GradientTape` and need the TensorFlow backend.", ""]


def safely(section, cases):
    """A claims section's lines; if the metrics do not have the shape it reads, one line saying so."""
    try:
        return section(cases)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        return [f"(Not rendered: the metrics.json files do not have the keys `{getattr(section, '__name__', 'this section')}` reads: "
                f"{type(err).__name__} {err}. Update benchmarks/benchmark.py.)", ""]


def render_results(results):
    """The markdown of docs/RESULTS.md from the measured data.

    `results` = {"machine": str, "seeds": [int], "command": str,
                 "cases": {name: {"script", "flags", "runs": [{"seed", "metrics", "seconds", "files"}], "targets"}},
                 "extras": {name: {"title", "markdown", "seconds", "ok"}},
                 "plots": [(file in docs/, caption)]}
    Every number in the text comes from `results`.
    """
    cases, extras = results["cases"], results.get("extras", {})
    out = ["# Results, measured", "",
           f"Written by `{results['command']}` (do not edit by hand: rerun it). Each case is a fresh "
           "`python week17/<case>.py --no-show` process; \"whole run s\" includes starting Python and importing "
           "TensorFlow, \"fit s\" is what the script measured around `model.fit`. Scores are on each case's test "
           "period, scored once after every choice was made on training and validation data.", "",
           f"- Machine: {results['machine']}",
           f"- Seeds: {', '.join(map(str, results['seeds']))} (mean ± sd over the seeds where a case ran once per seed)", ""]

    scored = [n for n in cases if cases[n]["runs"] and headline(cases[n]["runs"][0]["metrics"])]
    if scored or cases:
        out += ["## Summary", "", "| case | runs | fit s | whole run s | model (test) | baselines, same test data (best first) |",
                "| --- | ---: | ---: | ---: | --- | --- |"]
        out += [summary_row(n, cases[n]) for n in cases if cases[n]["runs"]]
        out.append("")

    verdicts = [(n, d, v, req) for n in cases for d, v, req in cases[n].get("targets", [])]
    if verdicts:
        missed = [v for v in verdicts if v[3] and v[2] != "PASS"]
        out += ["## Targets", "",
                "Required targets: " + ("all met." if not missed else f"{len(missed)} not met (FAIL, n/a or some seeds only, below)."),
                "Goals are reported as they are; a goal not met is not hidden.", "",
                "| case | target | kind | verdict |", "| --- | --- | --- | --- |"]
        out += [f"| {n} | {d.removeprefix('goal: ')} | {'required' if req else 'goal'} | {v} |" for n, d, v, req in verdicts]
        out.append("")

    sections = [
        ("1. \"Gradients vanish over many time steps\"", safely(claims_vanishing, cases)),
        ("2. \"LSTM and GRU remember longer than a SimpleRNN\"", safely(claims_memory, cases)),
        ("3. \"Gradients can explode, and clipping fixes that\"", safely(claims_exploding, cases)),
        ("4. \"A GRU has fewer parameters than an LSTM, trains faster, and performs similarly\"",
         safely(lambda c: claims_compare(c, extras), cases)),
    ]
    if any(body for _, body in sections):
        out += ["## What the lecture claims, measured", ""]
        for title, body in sections:
            if body:
                out += [f"### {title}", "", *body]

    further = {name: extra for name, extra in extras.items() if name != "speed_regimes" or not sections[3][1]}
    if further:
        out += ["## Further measurements", ""]
        for name, extra in further.items():
            out += [f"### {extra['title']}", "", f"`python benchmarks/{name}.py` ({extra['seconds']:.0f} s):", "",
                    extra["markdown"], ""]

    out += jax_section(results)

    if any(cases[n]["runs"] for n in cases):
        out += ["## Every case in full", ""]
        for n in cases:
            if cases[n]["runs"]:
                out += [case_table(n, cases[n]), ""]

    if results.get("plots"):
        out += ["## Plots", "", "From the first seed's run of each case.", ""]
        for path, caption in results["plots"]:
            out += [f"![{caption}]({path})", "", f"*{caption}.*", ""]
    return "\n".join(out).rstrip() + "\n"


# ----- the command line --------------------------------------------------------------------------

def present_extras(chosen):
    """The extra scripts to run: [(path, flags)], in a stable order."""
    found = {p.stem: p for p in sorted((REPO_ROOT / "benchmarks").glob("*.py")) if p.stem not in ("benchmark", "__init__")}
    found = {n: p for n, p in found.items() if n not in COVERED_BY_CASES}
    if chosen == ["none"]:
        return []
    if chosen == ["all"]:
        names = list(found)
    elif chosen:
        unknown = [n for n in chosen if n not in found]
        if unknown:
            raise SystemExit(f"error: no benchmarks/{unknown[0]}.py; present: {', '.join(found)}")
        names = chosen
    else:
        names = [n for n in found if not n.startswith("choose_")]
    return [(found[n], EXTRAS.get(n, [])) for n in names]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: every one whose script exists): {', '.join(CASES)}")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--extras", nargs="+", default=[], metavar="NAME",
                        help="extra scripts from benchmarks/ to run: names, 'all' (with the slow choose_*), or 'none' "
                             "(default: every one present except choose_*, on a full run only)")
    parser.add_argument("--no-extras", action="store_true", help="run no extra script")
    parser.add_argument("--jax", action="store_true",
                        help="also run Cases 17-1 to 17-3 on the JAX backend when it is installed (always on a full run)")
    parser.add_argument("--results", default=None,
                        help="write the markdown here (a full run writes docs/RESULTS.md; a run of some cases writes only with this flag)")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the markdown from benchmarks/results/results.json (the last measured run) without running anything")
    args = parser.parse_args()
    if args.render_only:
        results = json.loads((RESULTS / "results.json").read_text(encoding="utf-8"))
        if not (args.results or results.get("full_run")):
            parser.error("the last run measured only some cases: give --results PATH (docs/RESULTS.md comes from a full run)")
        target = args.results or str(DOCS / "RESULTS.md")
        Path(target).write_text(render_results(results), encoding="utf-8")
        raise SystemExit(f"written: {target} (from benchmarks/results/results.json)")
    full_run = not args.cases
    names = args.cases or [n for n, (script, _, _) in CASES.items() if (REPO_ROOT / "week17" / script).is_file()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    missing = [n for n in names if not (REPO_ROOT / "week17" / CASES[n][0]).is_file()]
    if missing:
        print(f"skipped (script not found): {', '.join(missing)}")
        names = [n for n in names if n not in missing]

    machine = machine_line()
    print(f"Machine: {machine}\nSeeds: {args.seeds}\n")
    cases = {}
    for name in names:
        script, flags, mode = CASES[name]
        seeds = args.seeds if mode == "each" else args.seeds[:1]
        print(f"{name}:", flush=True)
        runs = [run_case(name, seed, args.seeds) for seed in seeds]
        cases[name] = {"script": script, "flags": flags, "runs": runs, "targets": judge(name, runs)}
        print(case_table(name, cases[name]) + "\n", flush=True)

    jax = None
    if full_run or args.jax:
        import importlib.util

        jax = {}
        if importlib.util.find_spec("jax") is not None:
            for name in [n for n in JAX_CASES if n in cases]:
                print(f"{name} on JAX:", flush=True)
                try:
                    jax[name] = run_case(name, args.seeds[0], args.seeds, backend="jax")
                except SystemExit as failure:  # a backend problem must not cost the TensorFlow results
                    print(f"skipped {name} on JAX: {failure}")
        else:
            print("JAX is not installed: no JAX comparison (pip install jax to add it)")

    extras = {}
    if not args.no_extras and (full_run or args.extras):
        for path, flags in present_extras(args.extras):
            flags = [f for flag in flags for f in (map(str, args.seeds) if flag == "{seeds}" else [flag])]
            extras[path.stem] = run_extra(path, flags)
            print(f"### {extras[path.stem]['title']}\n\n{extras[path.stem]['markdown']}\n", flush=True)

    command = "python benchmarks/benchmark.py" + (f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds != [42] else "")
    target = args.results or (str(DOCS / "RESULTS.md") if full_run else None)
    if target:
        results = {"machine": machine, "seeds": args.seeds, "command": command, "full_run": full_run, "cases": cases, "extras": extras, "jax": jax,
                   "plots": copy_plots(cases) if Path(target).resolve() == (DOCS / "RESULTS.md").resolve() else []}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        Path(target).write_text(render_results(results), encoding="utf-8")
        print(f"written: {target}")
    missed = [(n, d) for n in cases for d, v, req in cases[n]["targets"] if req and v != "PASS"]
    print("All required targets met." if not missed else f"Required targets missed: {missed}")


if __name__ == "__main__":
    main()
