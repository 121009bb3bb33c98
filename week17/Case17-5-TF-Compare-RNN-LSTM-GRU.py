"""Case 17-5: SimpleRNN vs LSTM vs GRU, measured on the same tasks.

The lecture's comparison table says, in words: a GRU has fewer parameters than an LSTM, trains
faster, and performs "similarly"; a SimpleRNN is the cheapest but forgets. This script measures
it. The three cells get the same tasks (Case 17-2's milk forecast and Case 17-3's temperature
forecast, with their training, validation and test periods), the same units, window, optimiser
and early stopping on the validation period, and several seeds, and the script reports for each:
parameters, epochs trained, seconds per epoch, total fit seconds, and test RMSE as mean ± standard
deviation, beside the tasks' baselines (the one to beat chosen on the validation period).

  1. prepare both tasks exactly as their case scripts do (utils/forecasting/tasks.py);
  2. count each cell's parameters, by formula and by Keras;
  3. train every cell on every task with every seed (early stopping on validation), timing each epoch;
  4. print the table as markdown, and write it as CSV;
  5. plot it as a bar chart.

What "seconds per epoch" measures here: these tasks are small (an epoch is at most a few dozen
small batches), so the time is mostly Keras's and TensorFlow's fixed cost per epoch and per step,
not the cells' arithmetic. benchmarks/speed_regimes.py times the same three cells where the
arithmetic dominates, too; docs/RESULTS.md reports both regimes.

Run it:   python week17/Case17-5-TF-Compare-RNN-LSTM-GRU.py            (3 seeds)
          python week17/Case17-5-TF-Compare-RNN-LSTM-GRU.py --quick
              (one seed, at most a tenth of the epochs)
          (the run times measured by benchmarks/benchmark.py are in docs/RESULTS.md)
Debug it: set a breakpoint in the training loop of step 3 and watch `results` grow.
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

import time

import numpy as np
import pandas as pd

from utils.forecasting import case_metrics, metrics
from utils.forecasting.tasks import milk_task, temperature_task
from utils.plumbing import cli, paths
from utils.plumbing.errors import exit_cleanly_on_bad_input
from utils.plumbing.runtime import (
    backend_name,
    hide_tensorflow_startup_messages,
    set_seed,
)
from utils.recurrent import parameters
from utils.showing import plotting

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-5-compare"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-5: SimpleRNN, LSTM and GRU on the same forecasting tasks.")
parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2],
                    help="seeds to repeat each run with (default: %(default)s)")
parser.add_argument("--quick", action="store_true",
                    help="one seed and at most a tenth of the epochs: a fast look")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
seeds = args.seeds[:1] if args.quick else args.seeds

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-5 (compare cells): seeds {seeds}{' (quick)' if args.quick else ''}; writing to {out_dir}")

# %% Step 1: the tasks, prepared exactly as in Cases 17-2 and 17-3
# Same data, same three periods (training, validation, test, in time order), same scaling and
# windows as the case scripts, and each task keeps its case's training settings (task.choices:
# units, learning rate, batch size, at most max_epochs, early stopping on the validation period
# with the best weights restored), so the only thing that changes between runs is the cell.
prepared_tasks = [milk_task(), temperature_task()]
tasks = []
for task in prepared_tasks:
    c = task.choices
    tasks.append(dict(data=task, units=c["units"], epochs=c["max_epochs"], batch_size=c["batch_size"],
                      learning_rate=c["learning_rate"], patience=c["patience"]))
if args.quick:  # a tenth of the epochs at most
    for settings in tasks:
        settings["epochs"] = max(1, settings["epochs"] // 10)

for settings in tasks:
    task = settings["data"]
    print(f"\n[1] {task.name}: train X {task.X_train.shape}, validation X {task.X_val.shape}, "
          f"test X {task.X_test.shape} (samples, window, features); {settings['units']} units, "
          f"at most {settings['epochs']} epochs, "
          f"early stopping on validation (patience {settings['patience']}), batch {settings['batch_size']}, "
          f"Adam {settings['learning_rate']:g}; "
          f"baseline to beat (chosen on validation): {task.choices['best_baseline']}")

# %% Step 2: parameters, by formula and by Keras
# Keras is imported only now: loading it takes a few seconds, and the flags and data are checked.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

CELL_TYPES = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}


def build_model(cell_name, units, input_shape, learning_rate):
    """One recurrent layer of the given cell type, then a Dense layer for the forecast."""
    model = keras.Sequential([keras.Input(shape=input_shape), CELL_TYPES[cell_name](units),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


print(f"\n[2] Keras {keras.__version__} on the {backend_name()} backend. Recurrent-layer parameters:")
for settings in tasks:
    task, units = settings["data"], settings["units"]
    for cell_name in CELL_TYPES:
        layer = build_model(cell_name, units, task.X_train.shape[1:], 1e-3).layers[0]
        formula = parameters.param_formula(cell_name, units, task.X_train.shape[2])
        print(f"  {task.name:>12}: {formula:<42} (Keras: {layer.count_params()})")
# An LSTM has 4 weight blocks (3 gates + candidate), a GRU 3 (2 gates + candidate), a SimpleRNN 1.
# LSTM and GRU use a fused cuDNN kernel only on a GPU (Keras's cudnn_ok); on a CPU every cell runs
# a generic loop over the time steps inside the compiled graph.


class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock seconds of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


# %% Step 3: train every cell on every task with every seed
results = []  # one row per (task, cell, seed)
for settings in tasks:
    task = settings["data"]
    for cell_name in CELL_TYPES:
        for seed in seeds:
            set_seed(seed)
            model = build_model(cell_name, settings["units"], task.X_train.shape[1:],
                                settings["learning_rate"])
            timer = EpochTimer()
            # early stopping exactly as the cases do: watch the validation loss, keep the best weights
            stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings["patience"],
                                                 restore_best_weights=True)
            fit_started = time.perf_counter()
            model.fit(task.X_train, task.y_train, epochs=settings["epochs"],
                      batch_size=settings["batch_size"],
                      validation_data=(task.X_val, task.y_val), verbose=0, callbacks=[timer, stop])
            fit_seconds = time.perf_counter() - fit_started
            forecast = task.to_real_units(model.predict(task.X_test, verbose=0)[:, 0])
            results.append({
                "task": task.name, "cell": cell_name, "seed": seed, "params": model.count_params(),
                # the first epoch also builds the graph; the median of the rest is the steady cost
                # (on these small tasks mostly fixed per-epoch and per-step overhead, see the docstring)
                "seconds_per_epoch": float(np.median(timer.seconds[1:] or timer.seconds)),
                "fit_seconds": fit_seconds, "epochs": len(timer.seconds),
                "rmse": metrics.rmse(task.actual, forecast),
            })
            row = results[-1]
            print(f"[3] {task.name:>12} {cell_name:>9} seed {seed:>3}: "
                  f"test RMSE {row['rmse']:7.3f} {task.unit}, {row['epochs']} epochs, "
                  f"fit {fit_seconds:5.1f} s ({row['seconds_per_epoch'] * 1000:.0f} ms/epoch)")

# %% Step 4: the table, as markdown and CSV
runs = pd.DataFrame(results)
table = (
    runs.groupby(["task", "cell"], sort=False)
    .agg(params=("params", "first"), epochs=("epochs", "mean"),
         seconds_per_epoch=("seconds_per_epoch", "mean"),
         fit_seconds=("fit_seconds", "mean"), rmse_mean=("rmse", "mean"), rmse_sd=("rmse", "std"),
         seeds=("seed", "count"))
    .reset_index()
)
table["rmse_sd"] = table["rmse_sd"].fillna(0.0)  # one seed has no spread
table.to_csv(out_dir / "comparison.csv", index=False, float_format="%.4f")

# The baseline to beat is the one chosen on the validation period (task.choices["best_baseline"]).
lines = ["| task | model | parameters (whole model) | epochs (mean) | s/epoch | fit s "
         "| test RMSE (mean ± sd) |",
         "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
for task in prepared_tasks:
    for row in table[table.task == task.name].itertuples():
        lines.append(f"| {task.name} | {row.cell} | {row.params} | {row.epochs:.1f} "
                     f"| {row.seconds_per_epoch:.3f} "
                     f"| {row.fit_seconds:.1f} | {row.rmse_mean:.3f} ± {row.rmse_sd:.3f} {task.unit} |")
    for name, forecast in task.baselines.items():
        chosen = " (the one to beat, chosen on validation)" if name == task.choices["best_baseline"] else ""
        params = task.baseline_params.get(name, 0)  # a simple baseline fits nothing
        lines.append(f"| {task.name} | baseline: {name}{chosen} | {params} | – | – | – "
                     f"| {metrics.rmse(task.actual, forecast):.3f} {task.unit} |")
markdown = "\n".join(lines)
(out_dir / "comparison.md").write_text(markdown + "\n", encoding="utf-8")
print(f"\n[4] {len(seeds)} seed(s) per cell:\n{markdown}")

metrics.write_metrics(out_dir / "metrics.json", case_metrics.comparison_payload(
    seeds=seeds, quick=args.quick, backend=backend_name(), table=table, tasks=prepared_tasks))

# %% Step 5: the bar chart
baseline_rmse = [(task.name, task.unit, {n: metrics.rmse(task.actual, f) for n, f in task.baselines.items()})
                 for task in prepared_tasks]
fig = plotting.plot_comparison(table, baseline_rmse)
plotting.save_figure(fig, out_dir / "comparison.png", show=not args.no_show)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
