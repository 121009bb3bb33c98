"""Case 17-5: SimpleRNN vs LSTM vs GRU, measured on the same tasks.

The lecture's comparison table says, in words: a GRU has fewer parameters than an LSTM, trains
faster, and performs "similarly"; a SimpleRNN is the cheapest but forgets. This script measures
it. The three cells get the same tasks (Case 17-2's milk forecast and Case 17-3's temperature
forecast), the same units, window, optimiser and epochs, and the same protocol as the cases' plain
network (utils/forecasting/tasks.py): at each of two forecast origins before the test, a network
trains for a fixed number of epochs on the steps before it, and its validation RMSE is taken after
every epoch; the epoch count (for the milk also the target) with the lowest mean over the origins
is kept; refit or not is decided at the origins; then the test period is forecast, once. Each
cell runs with several seeds, and the script reports for each: parameters, the epochs chosen,
seconds per epoch, total fit seconds, and the RMSE at the origins and on the test period (mean ±
standard deviation over the seeds; one value with one seed), beside the tasks' references, and
judges each network against the reference to beat, chosen at the origins.

  1. prepare both tasks as their case scripts do, and pick each task's reference: the one with
     the lowest mean validation RMSE over the origins (SARIMA and the simple baselines for the milk,
     the ridge and the simple baselines for the temperatures);
  2. count each cell's parameters, by formula and by Keras;
  3. run the protocol for every cell on every task with every seed, timing each epoch;
  4. print the table as markdown, and write it as CSV (with a note when start-up dominates the timings);
  5. judge each network against its task's reference on the test period, and say it plainly when
     every network loses;
  6. plot it.

What "seconds per epoch" measures here: these tasks are small (an epoch is at most a few dozen
small batches), and the per-epoch times do not follow the parameter counts: in
benchmarks/speed_regimes.py (its table is in docs/RESULTS.md, claim 4) the GRU, with three weight
blocks to the LSTM's four, took about as long per epoch as the LSTM on a 2-core CPU, and repeated
runs put their ratio on either side of 1, even where the matrix products dominate (2,048 sequences
of 100 steps, 256 units). On tasks this small, fixed costs per step weigh as much as the arithmetic.
Fewer parameters is no promise of a faster epoch. The first epoch of each network also traces and
compiles its graph: s/epoch is the median of the other epochs, and step 4 says when the first
epochs take a large share of the time.

Run it:   python week17/Case17-5-TF-Compare-RNN-LSTM-GRU.py            (3 seeds)
          python week17/Case17-5-TF-Compare-RNN-LSTM-GRU.py --quick
              (one seed, a third of the epochs at each origin)
          (the run times measured by benchmarks/benchmark.py are in docs/RESULTS.md)
Debug it: set a breakpoint in the loop of step 3 and watch `results` grow.
"""

# %% Step 0: set-up (find the project folder, read the flags)
import sys
from pathlib import Path

# Find the project folder (the one holding utils/) whether this runs as a script, under a
# debugger, or cell by cell in an interactive window (where __file__ does not exist).
_here = Path(globals().get("__file__", Path.cwd())).resolve()
REPO_ROOT = next((p for p in (_here, *_here.parents) if (p / "utils" / "__init__.py").is_file()), None)
if REPO_ROOT is None:
    sys.exit("error: cannot find the project folder (the one holding utils/); "
             "run this from inside the project")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import textwrap
import time

import numpy as np
import pandas as pd

from utils.forecasting import case_metrics, diebold_mariano, metrics
from utils.forecasting.tasks import milk_task, temperature_task
from utils.plumbing import cli, paths
from utils.plumbing.errors import exit_cleanly_on_bad_input
from utils.plumbing.runtime import backend_name, hide_tensorflow_startup_messages
from utils.recurrent import parameters
from utils.showing import plotting

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-5-compare"
TRACE_WIDTH = 120  # no printed line is longer
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-5: SimpleRNN, LSTM and GRU on the same forecasting tasks.")
parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2],
                    help="seeds to repeat each run with (default: %(default)s)")
parser.add_argument("--quick", action="store_true",
                    help="one seed and a third of the epochs at each origin: a fast look")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
seeds = args.seeds[:1] if args.quick else args.seeds

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-5 (compare cells): seeds {seeds}{' (quick)' if args.quick else ''}; writing to {out_dir}")

# %% Step 1: the tasks, prepared as in Cases 17-2 and 17-3
# Same data, same test period, same forecast origins and the same references as the case scripts;
# each task keeps its case's settings for the plain network (window, units, learning rate, batch
# size, epochs at each origin), so the only thing that changes between runs is the cell.
tasks = [milk_task(), temperature_task()]
epochs = {task.name: task.settings["epochs"] for task in tasks}
if args.quick:  # a third of the epochs at each origin
    epochs = {name: max(1, n // 3) for name, n in epochs.items()}

# The reference each network must beat: of every reference the task has (the simple baselines, and
# SARIMA for the milk or the ridge regression on the same windows for the temperatures), the one with
# the lowest mean validation RMSE over the origins. Chosen before any network is trained.
references = {task.name: min(task.baseline_validation_rmse, key=task.baseline_validation_rmse.get)
              for task in tasks}

print("\n[1] The two tasks, prepared as Cases 17-2 and 17-3 prepare them:")
for task in tasks:
    settings, reference = task.settings, references[task.name]
    blocks = ", ".join(f"{task.dates[o.validation[0]]:%Y-%m-%d} .. {task.dates[o.validation[-1]]:%Y-%m-%d}"
                       for o in task.origins)
    print(f"  {task.name}: {len(task.values)} steps; {len(task.origins)} origins, validated on {blocks}")
    print(f"    test {task.test_dates[0]:%Y-%m-%d} .. {task.test_dates[-1]:%Y-%m-%d} "
          f"({len(task.test_steps)} steps scored)")
    print(f"    window {settings['window']}, {settings['units']} units, Adam {settings['learning_rate']:g}, "
          f"batch {settings['batch_size']}, {epochs[task.name]} epochs at each origin")
    chosen = "the target (" + " or ".join(task.targets) + "), " if task.targets else ""
    print(f"    chosen at the origins: {chosen}the epoch count, and refit or not before the test")
    print(f"    reference to beat, chosen at the origins: {reference} "
          f"(mean validation RMSE {task.baseline_validation_rmse[reference]:.3f} {task.unit})")

# %% Step 2: parameters, by formula and by Keras
# Keras is imported only now: loading it takes a few seconds, and the flags and data are checked.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

CELL_TYPES = ("SimpleRNN", "LSTM", "GRU")
print(f"\n[2] Keras {keras.__version__} on the {backend_name()} backend. Recurrent-layer parameters:")
for task in tasks:
    units = task.settings["units"]
    for cell_name in CELL_TYPES:
        layer = getattr(keras.layers, cell_name)(units)
        layer.build((None, task.settings["window"], task.n_features))
        formula = parameters.param_formula(cell_name, units, task.n_features)
        print(f"  {task.name:>12}: {formula:<42} (Keras: {layer.count_params()})")
# An LSTM has 4 weight blocks (3 gates + candidate), a GRU 3 (2 gates + candidate), a SimpleRNN 1.
# LSTM and GRU use a fused cuDNN kernel only on a GPU (Keras's cudnn_ok); on a CPU every cell runs
# a generic loop over the time steps inside the compiled graph, or, unrolled (the temperatures' short
# windows, as in Case 17-3), one copy of the step per time step.

# %% Step 3: run the protocol for every cell on every task with every seed
units = "; ".join(f"{task.name} in {task.unit}" for task in tasks)
print(f"\n[3] {len(CELL_TYPES)} cells × {len(tasks)} tasks × {len(seeds)} seed(s), "
      "each on its case's protocol.")
print(f"RMSE at the origins (their mean) / on the test ({units}):")
results = []  # one row per (task, cell, seed)
test_errors = {}  # (task, cell, seed) -> actual - forecast on every test step, for the verdicts in step 5
for task in tasks:
    for cell_name in CELL_TYPES:
        for seed in seeds:
            run = task.run_cell(cell_name, seed, epochs[task.name])
            test_errors[task.name, cell_name, seed] = task.actual - run.forecasts
            # the first epoch of each network also traces and compiles its graph; the median of the
            # others is the steady cost per epoch
            later_epochs = [seconds for network in run.epoch_seconds for seconds in network[1:]]
            first_epochs = [network[0] for network in run.epoch_seconds if network]
            results.append({
                "task": task.name, "cell": cell_name, "seed": seed, "params": run.params,
                "seconds_per_epoch": float(np.median(later_epochs or first_epochs)),
                "first_epoch_seconds": float(np.sum(first_epochs)), "timed_epochs": len(later_epochs),
                "fit_seconds": run.fit_seconds, "epochs": run.epochs, "refit": run.refit,
                # the origins also chose the epoch count (and target): this score flatters a little
                "val_rmse": run.val_rmse,
                "rmse": metrics.rmse(task.actual, run.forecasts),
            })
            row = results[-1]
            chosen = f"{run.choice}, " if run.choice else ""
            refit = "refit" if run.refit else "no refit"
            print(f"  {task.name:>12} {cell_name:>9} seed {seed:>3}: {row['val_rmse']:6.3f} / "
                  f"{row['rmse']:6.3f}; {chosen}{run.epochs:>2} epochs, {refit}; "
                  f"fit {run.fit_seconds:4.1f} s, {row['seconds_per_epoch'] * 1000:.0f} ms/epoch")

# %% Step 4: the table, as markdown and CSV
runs = pd.DataFrame(results)
table = (
    runs.groupby(["task", "cell"], sort=False)
    .agg(params=("params", "first"), epochs=("epochs", "mean"),
         seconds_per_epoch=("seconds_per_epoch", "mean"),
         first_epoch_seconds=("first_epoch_seconds", "mean"),
         timed_epochs=("timed_epochs", "min"), fit_seconds=("fit_seconds", "mean"),
         val_rmse_mean=("val_rmse", "mean"), val_rmse_sd=("val_rmse", "std"),
         rmse_mean=("rmse", "mean"), rmse_sd=("rmse", "std"), seeds=("seed", "count"),
         refits=("refit", "sum"))
    .reset_index()
)
one_seed = len(seeds) == 1
table[["val_rmse_sd", "rmse_sd"]] = table[["val_rmse_sd", "rmse_sd"]].fillna(0.0)  # one seed has no spread


def score(mean, sd):
    """A cell's RMSE: mean ± sd over the seeds, or the single value when there is one seed (no spread)."""
    return f"{mean:.3f}" if one_seed else f"{mean:.3f} ± {sd:.3f}"


over = f"seed {seeds[0]}" if one_seed else "mean ± sd"
lines = [f"| task | model | parameters | epochs | s/epoch | fit s | validation RMSE ({over}) "
         f"| test RMSE ({over}) |",
         "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
for task in tasks:
    for row in table[table.task == task.name].itertuples():
        lines.append(f"| {task.name} | {row.cell} | {row.params} | {row.epochs:.1f} "
                     f"| {row.seconds_per_epoch:.3f} | {row.fit_seconds:.1f} "
                     f"| {score(row.val_rmse_mean, row.val_rmse_sd)} | {score(row.rmse_mean, row.rmse_sd)} |")
    for name, forecast in task.baselines.items():
        to_beat = " (to beat)" if name == references[task.name] else ""
        params = task.baseline_params.get(name, 0)  # a simple baseline fits nothing
        lines.append(f"| {task.name} | baseline: {name}{to_beat} | {params} | – | – | – "
                     f"| {task.baseline_validation_rmse[name]:.3f} "
                     f"| {metrics.rmse(task.actual, forecast):.3f} |")
markdown = "\n".join(lines)
notes = [f"RMSE in real units ({units}); validation: the mean over the origins.",
         "(to beat): the reference with the lowest validation RMSE.",
         "epochs: the count chosen at the origins. The networks' validation RMSE is where that count "
         "was chosen, so it flatters them a little."]
if one_seed:
    notes.append(f"One seed ({seeds[0]}): single values, no spread; "
                 "the default run repeats each cell with 3 seeds.")
table.to_csv(out_dir / "comparison.csv", index=False, float_format="%.4f")
(out_dir / "comparison.md").write_text(markdown + "\n\n" + "\n".join(notes) + "\n", encoding="utf-8")
how_many = "one seed" if one_seed else f"{len(seeds)} seeds {seeds}"
print(f"\n[4] The comparison, {how_many} per cell:\n{markdown}")
for note in notes:
    print(textwrap.fill(note, width=TRACE_WIDTH))

# When the first epochs, which also trace and compile each network's graph, take most of the fit
# time (--quick), or few epochs were timed after them, the timings say more about start-up than
# about the cells. Say so, with this run's numbers, when it applies.
first_share = runs.first_epoch_seconds.sum() / runs.fit_seconds.sum()
fewest_timed = int(runs.timed_epochs.min())
if first_share > 0.5 or fewest_timed < 5:
    print(textwrap.fill(
        f"Timing note: the first epoch of each network, which also traces and compiles its graph, took "
        f"{100 * first_share:.0f} % of all fit time, and s/epoch is the median of as few as {fewest_timed} "
        "later epoch(s): here the fit s column says more about start-up than about the cells. "
        "benchmarks/speed_regimes.py times the cells' epochs on their own.", width=TRACE_WIDTH))

# %% Step 5: each network against its task's reference, on the test period
# "Better" or "worse" only when a Diebold-Mariano test on the one-step test errors can tell the two
# forecasts apart (p < 0.05), as Cases 17-2 and 17-3 decide it; otherwise "no clear difference".


def verdict_against_reference(model_name, model_errors, reference_name, reference_errors, unit):
    """("better", "worse" or "no clear difference", one sentence): the model against the reference."""
    sentence, result = diebold_mariano.verdict(model_name, model_errors, reference_name, reference_errors,
                                               unit)
    if result.p_value >= diebold_mariano.ALPHA:
        return "no clear difference", sentence
    model_better = np.mean(np.square(model_errors)) < np.mean(np.square(reference_errors))
    return ("better" if model_better else "worse"), sentence


print("\n[5] Each network against its task's reference (chosen at the origins), on the test period:")
outcomes = {}  # (task, cell) -> the verdict of each seed
for task in tasks:
    reference = references[task.name]
    reference_errors = task.actual - task.baselines[reference]
    reference_rmse = metrics.rmse(task.actual, task.baselines[reference])
    print(f"  {task.name}: reference {reference}, test RMSE {reference_rmse:.3f} {task.unit}")
    for cell_name in CELL_TYPES:
        judged = [verdict_against_reference(cell_name, test_errors[task.name, cell_name, seed], reference,
                                            reference_errors, task.unit) for seed in seeds]
        outcomes[task.name, cell_name] = [outcome for outcome, _ in judged]
        if one_seed:
            # keep each number with its unit on one line (a no-break space while wrapping)
            glued_unit = "\u00a0" + task.unit.replace(" ", "\u00a0")
            sentence = judged[0][1].replace(" %", "\u00a0%").replace(f" {task.unit}", glued_unit)
            print(textwrap.fill(sentence, width=TRACE_WIDTH, initial_indent="    ",
                                subsequent_indent="      ").replace("\u00a0", " "))
        else:
            found = outcomes[task.name, cell_name]
            counts = ", ".join(f"{word} with {found.count(word)} of {len(seeds)} seeds"
                               for word in ("better", "worse", "no clear difference") if word in found)
            cell_runs = runs[(runs.task == task.name) & (runs.cell == cell_name)]
            rmses = " / ".join(f"{r:.3f}" for r in cell_runs.rmse)
            print(f"    {cell_name}: {counts} (test RMSE {rmses})")
    cells = {cell_name: set(outcomes[task.name, cell_name]) for cell_name in CELL_TYPES}
    every_seed = "" if one_seed else " with every seed"
    if all(found == {"worse"} for found in cells.values()):
        closing = f"every network loses to {reference}{every_seed}."
    elif all(found == {"better"} for found in cells.values()):
        closing = f"every network beats {reference}{every_seed}."
    elif all(found == {"no clear difference"} for found in cells.values()):
        closing = f"no network can be told apart from {reference}{every_seed} (Diebold–Mariano, 5 %)."
    else:
        said = {frozenset({"better"}): "beats it", frozenset({"worse"}): "loses to it",
                frozenset({"no clear difference"}): "cannot be told apart from it"}
        closing = "; ".join(f"{cell_name} {said.get(frozenset(found), 'differs from seed to seed')}"
                            for cell_name, found in cells.items()) + "."
    print(textwrap.fill(f"  => {task.name}: {closing}", width=TRACE_WIDTH, subsequent_indent="     "))

metrics.write_metrics(out_dir / "metrics.json", case_metrics.comparison_payload(
    seeds=seeds, quick=args.quick, backend=backend_name(), table=table, tasks=tasks,
    references=references, outcomes=outcomes))

# %% Step 6: the chart
baseline_rmse = [(task.name, task.unit, {n: metrics.rmse(task.actual, f) for n, f in task.baselines.items()})
                 for task in tasks]
fig = plotting.plot_comparison(table, baseline_rmse, references=references)
plotting.save_figure(fig, out_dir / "comparison.png", show=not args.no_show)
print("\n[6] Saved comparison.png: test RMSE (dots, zoomed axis), ms per epoch and parameters, per task.")

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
