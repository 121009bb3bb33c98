"""Choose Case 17-3's defaults on the VALIDATION period only, the way the case itself would.

    python benchmarks/choose_gru.py                  # the shipped temperatures, seeds 42 and 1
    python benchmarks/choose_gru.py --seeds 42       # quicker
    python benchmarks/choose_gru.py --csv my.csv --date-col Date --value-col Temp

The test period (the last 20 % of the days) is cut off the series before anything else happens,
so nothing below can read it. What is left is split into training and validation exactly as in
Case 17-3 (utils.forecasting.windows.three_periods): the validation period is the year just before the test.

Every candidate is trained on the training days with early stopping on the validation days
(best weights restored) and scored by its validation RMSE in real units, averaged over seeds.
The search goes one setting at a time (coordinate search): for each setting in turn, every value
is tried with the best values found so far for the others, and the best is kept. A value counts
as better only if it lowers the mean validation RMSE by more than TIE (°C); within TIE the
cheaper one wins (less work: epochs x batches per epoch x window x units, a count that does not
depend on how busy the machine is), so a default never costs time for a difference the
validation period cannot tell apart.

It prints one line per trained candidate and writes benchmarks/results/choose_gru.json
(not committed). Each candidate's result is also kept in benchmarks/results/choose_gru_cache.json
as soon as it is known, so an interrupted search resumes where it stopped (delete the file to
start afresh). The defaults of Case 17-3 come from this script's output.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from utils.forecasting import metrics, scaling, timeline, transforms, windows
from utils.forecasting.features import day_of_year_features
from utils.forecasting.ridge import ridge_on_validation
from utils.forecasting.settings import TEMPERATURE
from utils.loading.calendar import fill_gaps
from utils.loading.series import load_series
from utils.loading.step_words import describe_steps
from utils.plumbing.paths import data_file

# The settings searched, in this order, each with its candidate values. The first value of each
# is the starting point (the case's defaults before this search).
SEARCH = {
    "feature_range": [(-1, 1), (0, 1)],
    "day_of_year": [True, False],
    "target": ["raw", "diff", "seasonal"],
    "window": [14, 7, 30],
    "units": [32, 16, 64],
    "learning_rate": [3e-3, 1e-3, 1e-2],
    "batch_size": [128, 64, 256],
    "patience": [3, 6],  # epochs without a better validation loss before early stopping ends the fit
}
MAX_EPOCHS = TEMPERATURE.max_epochs  # every candidate trains as the case does: at most the case's epochs
TIE = 0.005  # °C: validation RMSE differences smaller than this count as a tie


def before_test_only(csv, date_col, value_col):
    """The series with its test period cut off, and the periods (training, validation) of what is left."""
    series, _ = fill_gaps(load_series(csv, date_col, value_col))
    n_test = timeline.fixed_test_size(len(series))
    n_before = len(series) - n_test
    season = describe_steps(series.index).season
    series = series.iloc[:n_before]  # from here on, the test period does not exist
    n_val = timeline.validation_size(n_before, season)
    return series, season, timeline.three_periods(n_before + n_test, n_test, n_val)


def prepare(series, season, periods, feature_range, day_of_year, target, window):
    """Training and validation windows, scaled as Case 17-3 scales them, and the validation truth."""
    values = series.to_numpy()
    inputs, targets = transforms.inputs_and_targets(values, target, season)
    train = np.arange(len(values)) < periods.first_validation
    input_scaler = scaling.fit_scaler(inputs[train], feature_range)
    target_scaler = scaling.fit_scaler(targets[train], feature_range)
    columns = [scaling.scale(input_scaler, inputs)]
    if day_of_year:
        columns.append(day_of_year_features(series.index))
    X, y, positions = windows.make_windows(np.column_stack(columns), scaling.scale(target_scaler, targets),
                                           window)
    is_train = positions < periods.first_validation
    val_positions = positions[~is_train]

    def to_levels(scaled_predictions):
        return transforms.to_levels(scaling.unscale(target_scaler, scaled_predictions), values, val_positions,
                                    target, season)

    return X[is_train], y[is_train], X[~is_train], y[~is_train], values[val_positions], to_levels


def train_one(data, units, learning_rate, batch_size, patience, seed):
    """Validation RMSE (real units), the epoch kept by early stopping, and the fit seconds."""
    import keras

    from utils.plumbing.runtime import set_seed

    X_train, y_train, X_val, y_val, actual, to_levels = data
    set_seed(seed)
    model = keras.Sequential([keras.Input(X_train.shape[1:]), keras.layers.GRU(units), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    started = time.perf_counter()
    model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=MAX_EPOCHS, batch_size=batch_size,
              shuffle=True, verbose=0, callbacks=[stop])
    seconds = time.perf_counter() - started
    predicted = to_levels(model.predict(X_val, verbose=0)[:, 0])
    return metrics.rmse(actual, predicted), stop.best_epoch + 1, seconds


def work(result, n_train):
    """A machine-independent cost of a candidate's fit: epochs run x batches per epoch x window x units."""
    settings = result["settings"]
    batches = -(-n_train // settings["batch_size"])
    return (result["best_epoch"] + settings["patience"]) * batches * settings["window"] * settings["units"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=str(data_file(TEMPERATURE.csv)))
    parser.add_argument("--date-col", default=TEMPERATURE.date_col)
    parser.add_argument("--value-col", default=TEMPERATURE.value_col)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1])
    args = parser.parse_args()

    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    series, season, periods = before_test_only(args.csv, args.date_col, args.value_col)
    print(f"{args.csv}: training {periods.n_train} steps, validation {periods.n_validation} steps "
          f"(the test's {periods.n_test} steps are cut off and never read); seeds {args.seeds}")

    best = {name: values[0] for name, values in SEARCH.items()}
    out = REPO_ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    cache_path = out / "choose_gru_cache.json"
    cache_key = json.dumps({"csv": str(Path(args.csv).resolve()), "seeds": args.seeds,
                            "max_epochs": MAX_EPOCHS})
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    tried = cache.setdefault(cache_key, {})

    def evaluate(settings):
        key = json.dumps(settings, sort_keys=True)
        if key in tried:
            print(f"  {key}: val RMSE {tried[key]['val_rmse']:.4f} (from {cache_path.name})")
        else:
            data = prepare(series, season, periods, tuple(settings["feature_range"]), settings["day_of_year"],
                           settings["target"], settings["window"])
            runs = [train_one(data, settings["units"], settings["learning_rate"], settings["batch_size"],
                              settings["patience"], seed)
                    for seed in args.seeds]
            rmse, epochs, seconds = (float(np.mean([run[i] for run in runs])) for i in range(3))
            X_train, y_train, X_val, y_val, actual, to_levels = data
            ridge = ridge_on_validation(X_train, y_train, X_val, y_val)
            ridge_rmse = metrics.rmse(actual, to_levels(ridge.predict(X_val)))
            tried[key] = dict(settings=settings, val_rmse=rmse, per_seed=[run[0] for run in runs],
                              best_epoch=epochs, fit_seconds=seconds, ridge_alpha=ridge.alpha,
                              ridge_val_rmse=ridge_rmse)
            print(f"  {key}: val RMSE {rmse:.4f} (seeds {', '.join(f'{run[0]:.4f}' for run in runs)}), "
                  f"best epoch {epochs:.1f}, fit {seconds:.1f} s; "
                  f"ridge (alpha {ridge.alpha:g}) {ridge_rmse:.4f}", flush=True)
            cache_path.write_text(json.dumps(cache, indent=1) + "\n")
        return tried[key]

    for name, values in SEARCH.items():
        print(f"\n{name}:")
        results = [evaluate({**best, name: value}) for value in values]
        winner = results[0] if results[0]["settings"][name] == best[name] else evaluate(best)
        for result in results:
            better = result["val_rmse"] < winner["val_rmse"] - TIE
            tie_but_cheaper = (abs(result["val_rmse"] - winner["val_rmse"]) <= TIE
                               and work(result, periods.n_train) < work(winner, periods.n_train))
            if better or tie_but_cheaper:
                winner = result
        best = dict(winner["settings"])
        print(f"  -> {name} = {best[name]}")

    final = evaluate(best)
    print(f"\nchosen on validation: {json.dumps(best)}\n  val RMSE {final['val_rmse']:.4f}, "
          f"best epoch {final['best_epoch']:.1f}, fit {final['fit_seconds']:.1f} s; "
          f"ridge {final['ridge_val_rmse']:.4f} (alpha {final['ridge_alpha']:g})")
    summary = {"chosen": best, "tried": list(tried.values())}
    (out / "choose_gru.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
