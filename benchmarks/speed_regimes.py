"""Seconds per epoch of SimpleRNN, LSTM and GRU: the lesson's small tasks, and where the arithmetic dominates.

    python benchmarks/speed_regimes.py            # every regime (a few minutes on 2 cores)
    python benchmarks/speed_regimes.py --epochs 3 # fewer timed epochs

Why two regimes. An epoch of the lesson's tasks is a handful of small batches, and the parameter
counts are no guide to its time: the measured GRU/LSTM ratio is the column to read. With many
sequences, many features, many units and long sequences the matrix products dominate, and the
cells' different amounts of arithmetic (an LSTM has 4 weight blocks, a GRU 3, a SimpleRNN 1) can show.

Each (regime, cell) gets a fresh model trained for --epochs epochs on fixed data: for the lesson
regimes the real milk and temperature training windows, prepared by the cases' own steps with the
cases' settings (utils/forecasting/settings.py: window, units and batch size of MILK and
TEMPERATURE, as Cases 17-2, 17-3 and 17-5 train them); for the others random data. The first
epoch also builds the graph, so the reported number is the median of the other epochs. The table
is printed as markdown and written to benchmarks/results/speed_regimes.md (not committed).
Timings on a busy machine are inflated: run it on a quiet one (`uptime`: a load average well
below the number of cores).

(The first line stays one line: the benchmark takes it as this table's heading in docs/RESULTS.md.)
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
RESULTS = REPO_ROOT / "benchmarks" / "results"
CELLS = ("SimpleRNN", "LSTM", "GRU")


def regimes():
    """name -> (X_train, y_train, units, batch size); lesson tasks first, then the arithmetic-heavy ones."""
    import numpy as np

    from utils.forecasting.settings import MILK, TEMPERATURE
    from utils.forecasting.tasks import milk_task, temperature_task

    # the cases' own settings: each task's default window, and its units and batch size; the windows a
    # plain network trains on at the first forecast origin
    milk, temperatures = milk_task().training_windows(), temperature_task().training_windows()
    rng = np.random.default_rng(0)
    heavy_short = rng.normal(size=(2048, 12, 32)).astype("float32")
    heavy_long = rng.normal(size=(2048, 100, 32)).astype("float32")
    target = rng.normal(size=(2048,)).astype("float32")
    return {
        "lesson: milk (Case 17-2 / 17-5)": (*milk, MILK.units, MILK.batch_size),
        "lesson: temperatures (Case 17-3 / 17-5)": (*temperatures, TEMPERATURE.units, TEMPERATURE.batch_size),
        "2,048 sequences, 32 features, T = 12, 16 units": (heavy_short, target, 16, 64),
        "2,048 sequences, 32 features, T = 100, 256 units": (heavy_long, target, 256, 64),
    }


def seconds_per_epoch(keras, cell, X, y, units, batch_size, epochs):
    """Median wall-clock seconds of epochs 2..N of a fresh one-layer model."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(X.shape[1:]), getattr(keras.layers, cell)(units),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    times = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: times.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: times.__setitem__(-1, time.perf_counter() - times[-1]),
    )
    model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[timer])
    return statistics.median(times[1:] or times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4,
                        help="epochs per model; the first is not timed (default: %(default)s)")
    args = parser.parse_args()
    if args.epochs < 2:
        sys.exit("error: --epochs must be 2 or more (the first epoch builds the graph and is not timed)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras
    import tensorflow as tf

    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
               f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
               f"GPU: {bool(tf.config.list_logical_devices('GPU'))}")
    lines = [f"s/epoch (median of epochs 2..{args.epochs}); {machine}", "",
             "| regime | sequences × T × features | units | batch (steps/epoch) | SimpleRNN | LSTM | GRU "
             "| GRU / LSTM |",
             "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name, (X, y, units, batch) in regimes().items():
        seconds = {}
        for cell in CELLS:
            seconds[cell] = seconds_per_epoch(keras, cell, X, y, units, batch, args.epochs)
            print(f"{name}: {cell} {seconds[cell]:.3f} s/epoch", flush=True)
        steps = -(-len(X) // batch)
        lines.append(f"| {name} | {len(X):,} × {X.shape[1]} × {X.shape[2]} | {units} | {batch} ({steps}) | "
                     + " | ".join(f"{seconds[c]:.3f}" for c in CELLS)
                     + f" | {seconds['GRU'] / seconds['LSTM']:.2f} |")
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed_regimes.md").write_text(text + "\n", encoding="utf-8")
    print("\n" + text)


if __name__ == "__main__":
    main()
