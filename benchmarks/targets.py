"""The issues' targets, judged: each a small named check over named keys of a case's metrics.json.

A check reads one run: the metrics.json its case wrote (`metrics`; docs/METRICS.md describes the
keys) and the run's whole wall-clock seconds (`seconds`, measured by benchmarks/run_cases.py around
the process, so it includes starting Python and importing TensorFlow). `Target.reads` names the keys
a check uses, dotted: `baselines.*.rmse` is every baseline's RMSE, `baselines.<best_ngram>.rmse` the
one whose name is stored under `best_ngram`. A run whose metrics.json lacks one of them gets "n/a",
never a pass.

A goal is reported beside the required targets, but only the required ones decide "all met".
The test suite's timing (`--suite`) is judged here too, by `judge_suite`.
"""

from dataclasses import dataclass
from typing import Callable

SOLVED_ADDING_MSE = 0.01  # Case 17-4's "solved" line: 6 % of the predict-the-mean MSE (about 0.167)


@dataclass(frozen=True)
class Target:
    """One target: what RESULTS.md calls it, the check, the metrics.json keys it reads, and its kind."""

    description: str
    check: Callable[[dict, float], bool]  # (metrics, whole-run seconds) -> met?
    reads: tuple = ()  # metrics.json keys, dotted; () for a target on the whole-run seconds alone
    goal: bool = False  # a goal is reported, but only required targets count as missed

    @property
    def label(self):
        """The description as the verdicts carry it: a goal's starts with "goal: "."""
        return f"goal: {self.description}" if self.goal else self.description


# ----- the checks ---------------------------------------------------------------------------------

def below_best_ngram_on_test(metrics, seconds):
    """The network's test bits/char is below every n-gram's on the same test characters."""
    best = min(baseline["bits_per_char"] for baseline in metrics["baselines"].values())
    return metrics["model_bits_per_char"] < best


def below_ngram_chosen_on_validation(metrics, seconds):
    """The network's test bits/char is below that of the n-gram the case chose on validation."""
    return metrics["model_bits_per_char"] < metrics["baselines"][metrics["best_ngram"]]["bits_per_char"]


def generation_matches_rereading(metrics, seconds):
    """Generating with the carried state gives what re-reading from a zero state gives (within 1e-5)."""
    return metrics["generation"]["carried_vs_keras_max_abs_diff"] <= 1e-5


def rmse_below(baseline):
    """A check: the network's test RMSE is below the test RMSE of the baseline named `baseline`."""
    def check(metrics, seconds):
        return metrics["model_rmse"] < metrics["baselines"][baseline]["rmse"]

    check.__name__ = f"rmse_below_{baseline}"
    return check


def rmse_below_baseline_chosen_on_validation(metrics, seconds):
    """The network's test RMSE is below that of the simple baseline the case chose on validation."""
    return metrics["model_rmse"] < metrics["baselines"][metrics["best_baseline_on_validation"]]["rmse"]


def rmse_at_most_and_below(limit, baseline):
    """A check: the network's test RMSE is at most `limit` and below the baseline named `baseline`."""
    def check(metrics, seconds):
        rmse = metrics["model_rmse"]
        return rmse <= limit and rmse < metrics["baselines"][baseline]["rmse"]

    check.__name__ = f"rmse_at_most_{limit}_and_below_{baseline}"
    return check


def fit_at_most(limit):
    """A check: the seconds the case measured around `model.fit` are at most `limit`."""
    def check(metrics, seconds):
        return metrics["fit_seconds"] <= limit

    check.__name__ = f"fit_at_most_{limit}"
    return check


def whole_run_at_most(limit):
    """A check: the whole process, from starting Python to its exit, took at most `limit` seconds."""
    def check(metrics, seconds):
        return seconds <= limit

    check.__name__ = f"whole_run_at_most_{limit}"
    return check


def gru_solves_adding(timesteps):
    """A check: the GRU's test MSE on the adding problem at length `timesteps` is below the solved line."""
    def check(metrics, seconds):
        return metrics["adding_test_mse"]["GRU"][str(timesteps)] < SOLVED_ADDING_MSE

    check.__name__ = f"gru_solves_adding_{timesteps}"
    return check


def rmse_at_most(limit):
    """A check: the test RMSE of the model the case picked is at most `limit`."""
    def check(metrics, seconds):
        return metrics["model_rmse"] <= limit

    check.__name__ = f"rmse_at_most_{limit}"
    return check


def not_worse_than_the_reference(metrics, seconds):
    """The Diebold-Mariano verdict against the best reference chosen on validation is not "worse"."""
    return metrics["reference"]["verdict"] != "worse"


def pick_below_best_ngram_on_test(metrics, seconds):
    """The text model validation picked (the SimpleRNN, or its mixture with the n-gram) scores fewer
    test bits per character than the best n-gram on the same characters."""
    best = min(b["bits_per_char"] for b in metrics["baselines"].values())
    return metrics["pick_bits_per_char"] < best


def whole_run(limit):
    """The target on a case's whole-run seconds."""
    return Target(f"whole run <= {limit} s", whole_run_at_most(limit))


def fit(limit):
    """The target on the seconds a case measured around `model.fit`."""
    return Target(f"fit <= {limit} s", fit_at_most(limit), reads=("fit_seconds",))


# ----- the targets of each case, in the order RESULTS.md lists them -------------------------------

BITS = ("model_bits_per_char",)
RMSE = ("model_rmse",)
CHOSEN_ON_VALIDATION = RMSE + ("best_baseline_on_validation", "baselines.<best_baseline_on_validation>.rmse")

TARGETS = {
    "rnn": [
        Target("test bits/char below the best n-gram on the same test characters", below_best_ngram_on_test,
               reads=BITS + ("baselines.*.bits_per_char",)),
        Target("test bits/char below the best n-gram chosen on validation", below_ngram_chosen_on_validation,
               reads=BITS + ("best_ngram", "baselines.<best_ngram>.bits_per_char")),
        Target("carried-state generation equals re-reading from a zero state (<= 1e-5)",
               generation_matches_rereading, reads=("generation.carried_vs_keras_max_abs_diff",)),
        Target("the pick (SimpleRNN or its mixture with the n-gram) below the best n-gram on test",
               pick_below_best_ngram_on_test, reads=("pick_bits_per_char", "baselines.*.bits_per_char")),
        whole_run(60),
    ],
    "lstm": [
        Target("test RMSE below seasonal naive", rmse_below("seasonal_naive"),
               reads=RMSE + ("baselines.seasonal_naive.rmse",)),
        Target("test RMSE below the best simple baseline chosen on validation",
               rmse_below_baseline_chosen_on_validation, reads=CHOSEN_ON_VALIDATION),
        Target("below seasonal naive + last change", rmse_below("seasonal_naive_plus_last_change"),
               reads=RMSE + ("baselines.seasonal_naive_plus_last_change.rmse",), goal=True),
        Target("below SARIMA", rmse_below("sarima"), reads=RMSE + ("baselines.sarima.rmse",), goal=True),
        Target("the pick's test RMSE <= 6.63 (2 % over the baseline's 6.50)", rmse_at_most(6.63),
               reads=RMSE),
        Target("the pick's test RMSE <= 6.0 (stretch)", rmse_at_most(6.0), reads=RMSE, goal=True),
        Target("not worse than the best reference chosen on validation (Diebold-Mariano, 5 %)",
               not_worse_than_the_reference, reads=("reference.verdict",)),
        whole_run(20),
    ],
    "gru": [
        Target("test RMSE below persistence", rmse_below("persistence"),
               reads=RMSE + ("baselines.persistence.rmse",)),
        Target("test RMSE below the best simple baseline chosen on validation",
               rmse_below_baseline_chosen_on_validation, reads=CHOSEN_ON_VALIDATION),
        Target("below the validation-tuned ridge regression", rmse_below("ridge"),
               reads=RMSE + ("baselines.ridge.rmse",), goal=True),
        Target("RMSE <= 2.15 and below ridge", rmse_at_most_and_below(2.15, "ridge"),
               reads=RMSE + ("baselines.ridge.rmse",), goal=True),
        Target("not worse than the best reference chosen on validation (Diebold-Mariano, 5 %)",
               not_worse_than_the_reference, reads=("reference.verdict",)),
        fit(10),
        whole_run(20),
    ],
    "gradients": [
        whole_run(180),
        Target(f"the GRU solves the adding problem at T = 100 (test MSE < {SOLVED_ADDING_MSE})",
               gru_solves_adding(100), reads=("adding_test_mse.GRU.100",), goal=True),
    ],
    "gradients-quick": [whole_run(30)],
    "compare": [whole_run(180)],
    "compare-quick": [whole_run(30)],
    "bptt": [whole_run(30)],
}


def verdict_over_runs(passed):
    """PASS when every run met the target, FAIL when none did, else 'k/n seeds'."""
    if all(passed):
        return "PASS"
    if not any(passed):
        return "FAIL"
    return f"{sum(passed)}/{len(passed)} seeds"


def judge(name, runs):
    """[(label, verdict, required)] for the targets of case `name` over its runs ({"metrics", "seconds"})."""
    verdicts = []
    for target in TARGETS.get(name, []):
        try:
            passed = [bool(target.check(run["metrics"], run["seconds"])) for run in runs]
        except (KeyError, TypeError, ValueError):
            verdicts.append((target.label, "n/a (not in metrics.json)", not target.goal))
            continue
        verdicts.append((target.label, verdict_over_runs(passed), not target.goal))
    return verdicts


# ----- the test suite's timing ---------------------------------------------------------------------

SUITE_COMMAND = "python -m pytest -q"
SUITE_CORES = 2  # the targets are stated for a 2-core machine; on another count they cannot be judged
SUITE_TARGETS = [
    Target(f"{SUITE_COMMAND} <= 150 s on {SUITE_CORES} cores", whole_run_at_most(150)),
    Target(f"{SUITE_COMMAND} <= 120 s on {SUITE_CORES} cores", whole_run_at_most(120), goal=True),
]


def judge_suite(suite):
    """[(label, verdict, required)] for the suite's timing: {"seconds", "cores", "returncode", "timed_out"}.

    A suite that failed is not judged on its time (it may have stopped early), nor is one timed
    on another number of cores than the targets are stated for: both read "n/a". One stopped at
    the benchmark's time limit is judged on the seconds it had run, longer than either target.
    """
    verdicts = []
    for target in SUITE_TARGETS:
        if suite["returncode"] != 0 and not suite.get("timed_out"):
            verdict = f"n/a (pytest exit code {suite['returncode']})"
        elif suite["cores"] != SUITE_CORES:
            verdict = f"n/a (timed on {suite['cores']} cores)"
        else:
            verdict = "PASS" if target.check({}, suite["seconds"]) else "FAIL"
        verdicts.append((target.label, verdict, not target.goal))
    return verdicts
