"""The course's own recipes, rebuilt honestly, timed as whole processes beside Cases 17-2 and 17-3.

The speed target is a ratio: the whole default run of Case 17-2 (and of Case 17-3)
must take at most half as long as the course's own recipe for the same task, on the same
machine. This script measures both as a student would: each run is a fresh
`python ...` process, so the time includes starting Python and importing TensorFlow.

The course's recipes, as this repository describes them (the course's notebooks are not in it;
the settings below are our reading of them, and are flags so that they can be checked):
  milk:          the raw values scaled to 0..1, 12-month windows, LSTM(100, activation="relu")
                 then Dense(1), Adam, MSE, 50 epochs, batch size 1 (one window per step);
  temperatures:  the raw temperatures scaled to 0..1, 100-day windows, GRU(50) -> GRU(50) then
                 Dense(1), Adam, MSE, 20 epochs, batch size 32.
"Honestly": the scaler is fitted on the training steps only, and the test steps are the
cases' (the milk's last 32 months, the temperatures' last 731 days), predicted one step ahead
from true values and scored once; no choice is made on them. The recipe has no validation
period: it trains for a fixed number of epochs, as the course does.

Run:  python benchmarks/course_recipe.py                   (both tasks, median of 3 runs each)
      python benchmarks/course_recipe.py --tasks milk --repeats 1
Writes benchmarks/results/course_recipe.md (a markdown table; not committed).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
from utils.forecasting.settings import MILK, TEMPERATURE

RESULTS = REPO_ROOT / "benchmarks" / "results"

CASES = {
    "milk": ("Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py", "case 17-2 (LSTM)"),
    "temperatures": ("Case17-3-TF-GatedRecurrentUnitNetworks.py", "case 17-3 (GRU)"),
}
RECIPES = {
    "milk": {"data": MILK, "window": 12, "course_window": 12,
             "layers": [("LSTM", 100)], "activation": "relu", "epochs": 50, "batch_size": 1},
    "temperatures": {"data": TEMPERATURE, "window": 100, "course_window": 0,
                     "layers": [("GRU", 50), ("GRU", 50)], "activation": "tanh", "epochs": 20,
                     "batch_size": 32},
}


def run_recipe(task, seed, json_path, epochs=None):
    # `epochs` overrides the recipe's, for a quick check of this script only.
    """One whole run of the course's recipe for `task` (this runs inside its own process)."""

    from utils.forecasting import metrics, scaling, timeline, windows
    from utils.loading.calendar import fill_gaps
    from utils.loading.series import load_series
    from utils.plumbing.paths import data_file
    from utils.plumbing.runtime import hide_tensorflow_startup_messages, set_seed

    recipe = RECIPES[task]
    data = recipe["data"]  # the same file and columns as the case's
    values = fill_gaps(load_series(data_file(data.csv), data.date_col, data.value_col))[0].to_numpy()
    first_test = len(values) - timeline.fixed_test_size(len(values), course_window=recipe["course_window"])
    scaler = scaling.fit_scaler(values[:first_test], feature_range=(0, 1))  # training steps only
    scaled = scaling.scale(scaler, values)
    X, y, positions = windows.make_windows(scaled, scaled, recipe["window"])
    X_train, X_test, y_train, _, test_positions = windows.split_by_position(X, y, positions, first_test)

    hide_tensorflow_startup_messages()
    import keras

    set_seed(seed)
    layers = [keras.Input(shape=(recipe["window"], 1))]
    for i, (kind, units) in enumerate(recipe["layers"]):
        last = i == len(recipe["layers"]) - 1
        layers.append(getattr(keras.layers, kind)(units, activation=recipe["activation"],
                                                  return_sequences=not last))
    model = keras.Sequential([*layers, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    started = time.perf_counter()
    model.fit(X_train, y_train, epochs=epochs or recipe["epochs"], batch_size=recipe["batch_size"], verbose=0)
    fit_seconds = time.perf_counter() - started
    predicted = scaling.unscale(scaler, model.predict(X_test, verbose=0)[:, 0])
    Path(json_path).write_text(json.dumps({"test_rmse": metrics.rmse(values[test_positions], predicted),
                                           "test_points": int(len(test_positions)),
                                           "fit_seconds": fit_seconds}))


def timed(command, env):
    """Run a command; return (seconds, CompletedProcess)."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    return time.perf_counter() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=list(RECIPES), default=list(RECIPES))
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each; the median time is reported (default: 3)")
    parser.add_argument("--temperature-repeats", type=int, default=None,
                        help="runs of the temperatures task, whose course recipe takes minutes a run "
                             "(default: --repeats)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--run", choices=list(RECIPES), help=argparse.SUPPRESS)  # internal: one recipe run
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_recipe(args.run, args.seed, args.json)
        return

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for task in args.tasks:
            script, case_name = CASES[task]
            ours, course, our_metrics, course_metrics = [], [], None, None
            repeats = args.repeats
            if task == "temperatures" and args.temperature_repeats:
                repeats = args.temperature_repeats
            for repeat in range(repeats):
                out_dir = Path(scratch) / f"{task}-ours-{repeat}"
                seconds, result = timed([sys.executable, str(REPO_ROOT / "week17" / script), "--no-show",
                                         "--seed", str(args.seed), "--output-dir", str(out_dir)], env)
                if result.returncode != 0:
                    raise SystemExit(f"{script} failed:\n{result.stderr[-2000:]}")
                ours.append(seconds)
                our_metrics = json.loads((out_dir / "metrics.json").read_text())
                json_path = Path(scratch) / f"{task}-course-{repeat}.json"
                seconds, result = timed([sys.executable, __file__, "--run", task, "--seed", str(args.seed),
                                         "--json", str(json_path)], env)
                if result.returncode != 0:
                    raise SystemExit(f"the course's {task} recipe failed:\n{result.stderr[-2000:]}")
                course.append(seconds)
                course_metrics = json.loads(json_path.read_text())
                print(f"{task} run {repeat + 1}: ours {ours[-1]:.1f} s, course {course[-1]:.1f} s",
                      flush=True)
            rows.append((task, case_name, repeats, statistics.median(ours), statistics.median(course),
                         our_metrics, course_metrics))

    unit = {"milk": "lb/cow", "temperatures": "°C"}
    lines = [f"Median of the whole runs of each (fresh processes, seed {args.seed}); "
             "ratio = ours / course's, target <= 0.5.", "",
             "| task | our run | runs | whole s | course's recipe whole s | ratio | our test RMSE "
             "| course's test RMSE |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for task, case_name, repeats, our_s, course_s, our_m, course_m in rows:
        lines.append(f"| {task} | {case_name} | {repeats} | {our_s:.1f} | {course_s:.1f} | "
                     f"{our_s / course_s:.2f} | "
                     f"{our_m['model_rmse']:.3f} {unit[task]} | {course_m['test_rmse']:.3f} {unit[task]} |")
    recipe_text = "; ".join(
        f"{task}: " + " -> ".join(f"{kind}({units})" for kind, units in r["layers"])
        + f", {r['window']}-step windows, {r['epochs']} epochs, batch {r['batch_size']}"
        for task, r in RECIPES.items())
    lines += ["", f"The course's recipes as rebuilt here: {recipe_text}; "
              "raw values scaled 0..1 on the training steps."]
    markdown = "\n".join(lines)
    print("\n" + markdown)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "course_recipe.md").write_text(markdown + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
