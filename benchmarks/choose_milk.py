"""Choose Case 17-2's network settings on its rolling-origin validation only, the way the case chooses.

Every configuration is scored by the case's own protocol (utils/forecasting/rolling_choice.run, with
`validation_only=True`) on the milk's two forecast origins, each validated on the next 12 months:
the plain LSTM with target "seasonal" and with "seasonal-diff", and the LSTM correction to the best
reference (SARIMA or a simple baseline), all trained for a fixed number of epochs at each origin.
A candidate's score is its mean validation RMSE over the origins at its best epoch count, averaged
over --seeds. The test months are cut off the series before anything runs: nothing here can read
or forecast them.

For each configuration it prints one row per candidate: that score (± its spread over the seeds),
the best epoch count per seed, and beside it the zero forecast of the candidate (what a network
that predicts 0 forecasts: for target "seasonal" the seasonal naive, for "seasonal-diff" the
seasonal naive + last change, for the correction its epoch 0, the reference itself), scored on the
same origins. The references' own scores (SARIMA and the simple baselines) are printed at the end.

The search is staged (each stage starts from the best so far; the case's defaults are the start):
  1. plain LSTM: units x learning rate   (judged on the better plain target's score);
  2. plain LSTM: epochs per origin       (the same);
  3. correction: window x units          (judged on the correction's score);
  4. correction: learning rate;
  5. correction: epochs per origin.
Within TIE of the lowest score the cheaper configuration wins.
A candidate whose settings and seed were already scored is not retrained.

Run:  python benchmarks/choose_milk.py                   (seeds 42, 1, 2)
      python benchmarks/choose_milk.py --seeds 42        (one seed, a third of the time)
      python benchmarks/choose_milk.py --quick           (smoke run: seed 42, 2 configurations, few epochs)
      add --json to write benchmarks/results/choose_milk.json (not committed)

How long: the full search with the three default seeds took 2 min 2 s (wall clock, `time`) on a 2-core
machine that was also running other work.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402

from benchmarks.staged_search import key_of, run_stage  # noqa: E402
from utils.forecasting import rolling_choice, timeline  # noqa: E402
from utils.forecasting.settings import MILK  # noqa: E402
from utils.loading.calendar import fill_gaps  # noqa: E402
from utils.loading.series import load_series  # noqa: E402
from utils.loading.step_words import describe_steps  # noqa: E402
from utils.plumbing.paths import data_file  # noqa: E402

N_ORIGINS = 2  # as Case 17-2
TARGETS = ("seasonal", "seasonal-diff")  # the case's plain targets with --target auto
CORRECTION = "correction"
ZERO_FORECAST_KEY = {"seasonal": "seasonal_naive", "seasonal-diff": "seasonal_naive_plus_last_change"}
TIE = 0.05  # lb/cow: mean validation RMSE differences smaller than this count as a tie
RESULTS = REPO_ROOT / "benchmarks" / "results"

# Case 17-2's settings (its flags' defaults), the start of the search.
_PLAIN, _HYBRID = (next(c for c in rolling_choice.default_candidates() if c.kind == kind)
                   for kind in ("plain", "hybrid"))
CASE_CONFIG = {"window": _PLAIN.window, "units": _PLAIN.units, "learning_rate": _PLAIN.learning_rate,
               "batch_size": _PLAIN.batch_size, "epochs": _PLAIN.max_epochs,
               "hybrid_window": _HYBRID.window, "hybrid_units": _HYBRID.units,
               "hybrid_learning_rate": _HYBRID.learning_rate, "hybrid_epochs": _HYBRID.max_epochs}

STAGES = [
    ("1 plain: units x learning rate", "plain", {"units": [8, 16, 32], "learning_rate": [3e-3, 1e-2]}),
    ("2 plain: epochs", "plain", {"epochs": [10, 15, 30]}),
    ("3 correction: window x units", CORRECTION, {"hybrid_window": [12, 24], "hybrid_units": [8, 16]}),
    ("4 correction: learning rate", CORRECTION, {"hybrid_learning_rate": [1e-3, 3e-3, 1e-2]}),
    ("5 correction: epochs", CORRECTION, {"hybrid_epochs": [20, 30, 45]}),
]
QUICK_CONFIG = {**CASE_CONFIG, "epochs": 3, "hybrid_epochs": 6}
QUICK_STAGES = [("quick: plain units", "plain", {"units": [16, 8]})]


def before_test():
    """The milk series with its test months cut off, the season, the unscored (filled) steps."""
    series, filled_dates = fill_gaps(load_series(data_file(MILK.csv), MILK.date_col, MILK.value_col))
    values = series.to_numpy()
    season = describe_steps(series.index).season
    n_test = timeline.fixed_test_size(len(values), course_window=12)  # as Case 17-2
    first_test = timeline.three_periods(len(values), n_test, N_ORIGINS * season).first_test
    filled = np.flatnonzero(series.index.isin(filled_dates))
    return values[:first_test], season, filled[filled < first_test]  # from here on, no test month


def candidates_of(config):
    """Case 17-2's candidates for `config`: {row name: rolling_choice.Candidate}."""
    plain = {t: rolling_choice.Candidate(f"LSTM, target {t}", "plain", t, config["window"], config["units"],
                                         config["learning_rate"], config["batch_size"], config["epochs"])
             for t in TARGETS}
    correction = rolling_choice.Candidate("LSTM correction", "hybrid", "", config["hybrid_window"],
                                          config["hybrid_units"], config["hybrid_learning_rate"],
                                          config["batch_size"], config["hybrid_epochs"])
    return {**plain, CORRECTION: correction}


class Scorer:
    """Scores configurations with the case's protocol; remembers every (candidate, seed) already run."""

    def __init__(self, values, season, unscored, seeds):
        self.values, self.season, self.unscored, self.seeds = values, season, unscored, seeds
        self.runs = {}  # (candidate, seed) -> (mean validation RMSE at the best epochs, best epochs, epoch 0)
        self.references = {}  # key -> mean validation RMSE over the origins (the same for every seed)
        self.reference = None  # the best reference: the correction's base

    def _run(self, candidates, seed):
        result = rolling_choice.run(self.values, len(self.values), self.season, seed, candidates=candidates,
                                    n_origins=N_ORIGINS, block=self.season, unscored_steps=self.unscored,
                                    validation_only=True)
        assert result.forecasts is None  # the protocol stopped before any test forecast
        self.references = {key: scores.best_score for key, scores in result.reference_scores.items()}
        self.reference = result.reference
        by_name = {c.name: c for c in candidates}
        for name, scores in result.scores.items():
            candidate = by_name.get(name) or next(c for c in candidates if c.kind == "hybrid")
            self.runs[candidate, seed] = (scores.best_score, scores.best, float(scores.mean[0]))

    def __call__(self, config):
        candidates = candidates_of(config)
        for seed in self.seeds:
            missing = [c for c in candidates.values() if (c, seed) not in self.runs]
            if missing:
                self._run(missing, seed)
        rows = {}
        for row, candidate in candidates.items():
            runs = [self.runs[candidate, seed] for seed in self.seeds]
            scores = [run[0] for run in runs]
            zero = (statistics.mean(run[2] for run in runs) if row == CORRECTION
                    else self.references[ZERO_FORECAST_KEY[row]])
            rows[row] = {"val_rmse": statistics.mean(scores), "val_rmse_sd": statistics.pstdev(scores),
                         "val_rmse_seeds": scores, "best_epochs": [run[1] for run in runs], "zero": zero}
        print(f"  {json.dumps(config)}")
        for row, result in rows.items():
            label = f"LSTM, target {row}" if row != CORRECTION else "LSTM correction"
            zero_label = "epoch 0 (the reference)" if row == CORRECTION else "zero forecast"
            print(f"    {label:<28} val RMSE {result['val_rmse']:7.3f} ± {result['val_rmse_sd']:.3f}  "
                  f"best epochs {result['best_epochs']}  {zero_label} {result['zero']:7.3f}", flush=True)
        return {"candidates": rows}


def objective_of(family):
    if family == CORRECTION:
        return lambda result: result["candidates"][CORRECTION]["val_rmse"]
    return lambda result: min(result["candidates"][t]["val_rmse"] for t in TARGETS)


def cost_of(family):
    """A machine-independent cost: epochs x window x units of the candidates the stage judges."""
    if family == CORRECTION:
        return lambda config, _: config["hybrid_epochs"] * config["hybrid_window"] * config["hybrid_units"]
    return lambda config, _: config["epochs"] * config["window"] * config["units"]




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: seed 42, 2 configurations, 3 (correction 6) epochs per origin")
    parser.add_argument("--json", action="store_true",
                        help="write benchmarks/results/choose_milk.json (not committed)")
    args = parser.parse_args()
    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    seeds, config, stages = ([42], QUICK_CONFIG, QUICK_STAGES) if args.quick else (args.seeds, CASE_CONFIG,
                                                                                   STAGES)
    values, season, unscored = before_test()
    score = Scorer(values, season, unscored, seeds)
    scored = {}

    def remembered(config):
        if key_of(config) not in scored:
            scored[key_of(config)] = score(config)
        return scored[key_of(config)]

    print(f"milk: {len(values)} months before the test (the test months are cut off and never read); "
          f"{N_ORIGINS} origins, each validated on the next {season}; seeds {seeds}")
    print(f"every score: mean validation RMSE over the origins ({MILK.unit}), at the best epoch count, "
          "averaged over the seeds\n")
    log = []
    for name, family, grid in stages:
        config = run_stage(name, config, grid, remembered, objective_of(family), cost_of(family), TIE, log)
    print("references at the same origins (mean validation RMSE): "
          + ", ".join(f"{key} {value:.3f}" for key, value in score.references.items())
          + f"; the best, {score.reference}, is the correction's base")
    print("chosen on the rolling origins:", json.dumps(config))
    if args.json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        summary = {"chosen": config, "seeds": seeds, "references": score.references,
                   "reference": score.reference, "runs": log}
        (RESULTS / "choose_milk.json").write_text(json.dumps(summary, indent=2, default=list) + "\n")


if __name__ == "__main__":
    main()
