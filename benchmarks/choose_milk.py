"""Choose Case 17-2's defaults on the validation period only: target, learning rate, window,
units, scaling range and patience.

Every candidate is prepared by utils.forecasting.tasks.milk_task (the case's own steps: three periods,
scalers fitted on the training months), trained as the case trains (Adam, early stopping on
the validation loss with the best weights restored) and scored by its RMSE in pounds per cow
on the 24 validation months, averaged over seeds 42, 1 and 2. The test period is never
predicted here: X_test is not touched.

Every candidate trains for at most 40 epochs (--max-epochs): that is the speed budget. The
whole default run must take at most half as long as the course's recipe (see
benchmarks/course_recipe.py), and on a 2-core CPU that leaves the fit about 40 epochs of ~100
short windows. Without the cap (--max-epochs 200) the winner on validation was 'diff' with a
learning rate of 0.01 and 32 units (validation RMSE 6.89 ± 0.45), which needs 70 to 170
epochs: a run three times longer than the budget allows.

The search is staged, so it fits on a laptop (each stage starts from the best so far):
  1. target x learning rate (window 12, 16 units, range -1..1, patience 20);
  2. window (6, 12, 24);
  3. units (8, 16, 32);
  4. scaling range (-1..1, 0..1);
  5. patience (10, 20).
The lowest mean validation RMSE wins each stage; a configuration already scored is not rerun.
Results: printed, and written to benchmarks/results/choose_milk.json (not committed).

Run:  python benchmarks/choose_milk.py            (about 60 fits: 10 to 30 minutes on 2 cores)
      python benchmarks/choose_milk.py --seeds 42  (one seed, a third of the time)
"""

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from utils.forecasting import metrics
from utils.forecasting.settings import MILK
from utils.forecasting.tasks import milk_task
from utils.plumbing.runtime import hide_tensorflow_startup_messages, set_seed

RESULTS = REPO_ROOT / "benchmarks" / "results"
# The case's training settings (not its data file and columns): what a candidate keeps unless a stage
# varies it.
CASE_SETTINGS = {key: value for key, value in asdict(MILK).items()
                 if key not in ("csv", "date_col", "value_col", "unit")}


def validation_score(config, seeds):
    """Train the case's LSTM once per seed with `config`.

    Returns the mean validation RMSE (real units), the best epochs and the fit seconds.
    """
    import keras

    task = milk_task(window=config["window"], target=config["target"], feature_range=config["feature_range"])
    rmses, best_epochs, seconds = [], [], []
    for seed in seeds:
        set_seed(seed)
        model = keras.Sequential([keras.Input(shape=task.X_train.shape[1:]),
                                  keras.layers.LSTM(config["units"]), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=config["learning_rate"]), loss="mse")
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config["patience"],
                                                restore_best_weights=True)
        started = time.perf_counter()
        history = model.fit(task.X_train, task.y_train, validation_data=(task.X_val, task.y_val),
                            epochs=config["max_epochs"], batch_size=config["batch_size"], callbacks=[stopper],
                            verbose=0)
        seconds.append(time.perf_counter() - started)
        val_loss = history.history["val_loss"]
        best_epochs.append(int(min(range(len(val_loss)), key=val_loss.__getitem__)) + 1)
        predicted = task.val_to_real_units(model.predict(task.X_val, verbose=0)[:, 0])
        rmses.append(metrics.rmse(task.val_actual, predicted))
    return {"val_rmse": statistics.mean(rmses), "val_rmse_sd": statistics.pstdev(rmses),
            "val_rmse_seeds": rmses, "best_epochs": best_epochs, "fit_seconds": statistics.mean(seconds)}


_scored = {}


def run_stage(name, base, grid, seeds, log):
    """Score every combination of `grid` (key -> values) on top of `base`; return the best config."""
    import itertools

    keys = list(grid)
    rows = []
    for combo in itertools.product(*grid.values()):
        config = {**base, **dict(zip(keys, combo))}
        key = json.dumps(config, sort_keys=True, default=list)
        if key not in _scored:
            _scored[key] = validation_score(config, seeds)
        result = _scored[key]
        rows.append((config, result))
        shown = ", ".join(f"{k}={config[k]}" for k in keys)
        print(f"  {name}: {shown:<48} val RMSE {result['val_rmse']:7.3f} ± {result['val_rmse_sd']:.3f}   "
              f"best epochs {result['best_epochs']}   {result['fit_seconds']:.1f} s/fit", flush=True)
        log.append({"stage": name, **{k: config[k] for k in keys}, **result})
    best_config, best_result = min(rows, key=lambda row: row[1]["val_rmse"])
    chosen = ", ".join(f"{k}={best_config[k]}" for k in keys)
    print(f"  -> {name}: {chosen} (val RMSE {best_result['val_rmse']:.3f})\n")
    return best_config


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=MILK.max_epochs,
                        help="the speed budget: most epochs a candidate may train "
                             "(default: the case's, %(default)s)")
    args = parser.parse_args()
    hide_tensorflow_startup_messages()

    task = milk_task()
    print(f"validation period: {len(task.val_actual)} months; "
          f"the best simple baseline on it: {task.choices['best_baseline']}")
    print(f"seeds {args.seeds}; every score below is the mean validation RMSE in {MILK.unit}\n")

    log = []
    config = {**CASE_SETTINGS, "target": "seasonal-diff", "window": 12, "units": 16, "feature_range": (-1, 1),
              "patience": 20, "max_epochs": args.max_epochs}
    config = run_stage("1 target x learning rate", config,
                       {"target": ["raw", "diff", "seasonal", "seasonal-diff"],
                        "learning_rate": [1e-3, 3e-3, 1e-2]}, args.seeds, log)
    config = run_stage("2 window", config, {"window": [6, 12, 24]}, args.seeds, log)
    config = run_stage("3 units", config, {"units": [8, 16, 32]}, args.seeds, log)
    config = run_stage("4 scaling range", config, {"feature_range": [(-1, 1), (0, 1)]}, args.seeds, log)
    config = run_stage("5 patience", config, {"patience": [10, 20]}, args.seeds, log)

    shown = ("target", "learning_rate", "window", "units", "feature_range", "patience", "max_epochs")
    print("chosen on validation:", json.dumps({k: config[k] for k in shown}))
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {"chosen": config, "seeds": args.seeds, "runs": log}
    (RESULTS / "choose_milk.json").write_text(json.dumps(summary, indent=2, default=list))


if __name__ == "__main__":
    main()
