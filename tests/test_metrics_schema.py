"""metrics.json: every key each payload builder writes is documented in docs/METRICS.md, and every
documented key is written (utils/forecasting/case_metrics.py builds the payloads)."""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from utils.forecasting import case_metrics
from utils.forecasting.timeline import three_periods

METRICS_MD = Path(__file__).resolve().parent.parent / "docs" / "METRICS.md"
ROW = re.compile(r"^\| `([^`]+)` \| (.*) \|$")


def documented(builder):
    """{path (a tuple of segments): required?} from the table of the section that names `builder`."""
    sections = re.split(r"^## ", METRICS_MD.read_text(encoding="utf-8"), flags=re.MULTILINE)
    section = next(s for s in sections if f"`{builder}`" in s.splitlines()[0])
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows[tuple(match.group(1).split("."))] = not match.group(2).startswith("*Only*")
    assert rows, f"no key table under the heading naming {builder}"
    return rows


def leaves(payload, prefix=()):
    """Every leaf's path; a list is a leaf, and so is an empty dict or a None where a dict may stand."""
    if isinstance(payload, dict) and payload:
        return [path for key, value in payload.items() for path in leaves(value, (*prefix, str(key)))]
    return [prefix]


def matches(pattern, path):
    """A pattern matches a path segment by segment; <...> matches any one segment. An empty map (or
    None) at `path` matches a pattern that only adds <...> segments below it."""
    if len(pattern) < len(path):
        return False
    if len(pattern) > len(path) and not all(seg.startswith("<") for seg in pattern[len(path) :]):
        return False
    return all(p.startswith("<") or p == s for p, s in zip(pattern, path))


def schema_problems(payload, builder):
    """Undocumented keys of `payload`, and documented required keys it lacks."""
    rows = documented(builder)
    paths = leaves(payload)
    problems = [
        f"undocumented: {'.'.join(path)}"
        for path in paths
        if not any(matches(pattern, path) for pattern in rows)
    ]
    problems += [
        f"missing: {'.'.join(pattern)}"
        for pattern, required in rows.items()
        if required and not any(matches(pattern, path) for path in paths)
    ]
    return problems


def forecast_payload(case):
    """A payload as Case 17-2 (with SARIMA) or Case 17-3 (with the ridge) builds it."""
    score = {"rmse": 1.0, "mae": 0.5}
    if case == "17-2":
        keys = {
            "naive (last month)": "naive",
            "seasonal naive (a year ago)": "seasonal_naive",
            "seasonal naive + last change": "seasonal_naive_plus_last_change",
        }
        other = {"SARIMA(0,1,1)(0,1,1)": "sarima"}
        extra = {
            "sarima": {"params": {"ma.L1": -0.3}, "converged": True, "note": None},
            "batch_size": 16,
            "pick": "model",
            "refit": True,
            "candidates": {"model": {"validation_rmse": 1.0, "test_rmse": 1.0, "epochs": 5}},
            "reference": {
                "name": "SARIMA(0,1,1)(0,1,1)",
                "key": "sarima",
                "rmse": 1.0,
                "dm_statistic": 0.5,
                "dm_p_value": 0.6,
                "verdict": "no clear difference",
            },
        }
        choices = {
            "target": "seasonal",
            "target_candidates_validation_rmse": {"seasonal": 2.0},
            "best_epoch": 5,
            "correction_base": "sarima",
            "pick_rule": "correction_kept",
            "pick_rule_p_value": 0.3,
        }
    else:
        keys = {
            "persistence (the day before)": "persistence",
            "mean of the last 7 days": "mean_last_7",
            "same day last year": "seasonal_naive",
        }
        other = {"ridge (same inputs)": "ridge"}
        extra = {
            "batch_size": 128,
            "pick": "model",
            "refit": True,
            "candidates": {"model": {"validation_rmse": 1.0, "test_rmse": 1.0, "epochs": 4,
                                     "weights_sha256": "0" * 64}},
        }
        choices = {
            "target": "raw",
            "target_candidates_validation_rmse": {},
            "ridge_alpha": 10.0,
            "best_epoch": 4,
            "best_baseline": "mean_last_7",
            "reference": "ridge",
            "season_from": "validation",
            "pick_rule_p_value": 0.1,
            "season_candidates_validation_rmse": {"365": 2.0, "7": 2.1},
            "cycles_autocorrelation": {"7": 0.4, "365": 0.63},
        }
        extra["reference"] = case_metrics.reference_entry(
            "ridge (same inputs)", "ridge", 1.0, SimpleNamespace(statistic=-0.5, p_value=0.6),
            "no clear difference",
        )
    scores = {"model": score, **{name: score for name in [*keys, *other]}}
    validation = {"model": score, **{name: score for name in keys}}
    if case == "17-3":
        validation["ridge (same inputs)"] = score
    return case_metrics.forecast_payload(
        model="model",
        scores=scores,
        validation_scores=validation,
        baseline_keys=keys,
        other_keys=other,
        best_baseline=next(iter(keys)),
        choices=choices,
        weights_sha256="0" * 64,
        unit="u",
        step="month",
        season=12,
        target=choices["target"],
        periods=three_periods(100, 20, 12),
        test_points=20,
        test_first_date="1973-05",
        fit_seconds=1.0,
        params=1169,
        seed=42,
        window=24,
        epochs=40,
        units=16,
        learning_rate=0.01,
        backend="tensorflow",
        **extra,
    )


def text_payload(scored_test=True):
    baselines = {
        key: {"k": 0.1, "val_bits_per_char": 3.0} for key in ("unigram", "bigram", "trigram", "fourgram")
    }
    payload = case_metrics.text_payload(
        val_bits_per_char=2.4,
        baselines=baselines,
        best_ngram="fourgram",
        uniform_bits_per_char=6.2,
        train_chars=800,
        val_chars=100,
        test_chars=100,
        val_scored_chars=64,
        best_epoch=6,
        epochs_run=7,
        val_bits_per_epoch=[2.6, 2.4],
        weights_sha256="0" * 64,
        fit_seconds=1.0,
        params=100,
        seed=42,
        seq_len=64,
        stride=8,
        epochs=8,
        units=256,
        batch_size=64,
        learning_rate=5e-3,
        vocabulary=list("ab\ufffd"),
        backend="tensorflow",
        steps=600,
        batches_per_epoch=75,
        patience=2,
        step_size_cut=0.3,
        best_epoch_is_last_allowed=False,
        mixture_payload=case_metrics.text_mixture(ngram="fourgram", weight=0.6, pick="mixture",
                                                  val_bits_per_char=2.3,
                                                  val_bits_per_weight={0.0: 3.0, 0.6: 2.3, 1.0: 2.4}),
    )
    if scored_test:
        for score in baselines.values():
            score["bits_per_char"] = 3.1
        payload.update(case_metrics.text_test_scores(2.5, 64, 0, pick_bits_per_char=2.4))
        payload["mixture"]["bits_per_char"] = 2.4
        payload["generation"] = case_metrics.generation_checks(0.02, 1.5, 1e-6, 0.0, 5e-7)
    return payload


def gradients_payload():
    variants = ["SimpleRNN", "LSTM", "GRU", "LSTM, gates open", "GRU, gates open"]
    trained = variants[:3]
    norms = {"log10_first": -9.0, "log10_middle": -4.0, "log10_last": -1.0, "log10_ratio_first_last": -8.0}
    path = {
        "gate": "forget_gate",
        "mean_gate": 0.7,
        "log10_product_median": -12.0,
        "log10_product_best": -3.0,
    }
    by_length = {v: {10: 0.1, 100: 0.2} for v in trained}
    exploding = case_metrics.exploding_summary(
        losses_without_clipping=[1.0, float("nan")],
        losses_with_clipnorm=[1.0, 0.9],
        first_nan_epoch=1,
        clipnorm=1.0,
        start_gradient_norms={"SimpleRNN kernel": 5.0},
        timesteps=15,
        recurrent_gain=2.0,
        learning_rate=0.01,
    )
    assert exploding["losses_without_clipping"] == [1.0, None]
    return case_metrics.gradients_payload(
        gradient_norms={v: {"fresh": norms} | ({"trained": norms} if v in trained else {}) for v in variants},
        gate_paths={v: {"fresh": path} | ({"trained": path} if v in trained else {}) for v in variants[1:]},
        test_mse=by_length,
        epochs_used=by_length,
        fit_seconds=by_length,
        baseline_mse={10: 0.17, 100: 0.17},
        solved=0.01,
        learning_rate=0.01,
        clipnorm=1.0,
        exploding=exploding,
        lengths=[10, 100],
        timesteps=100,
        units=32,
        epochs=25,
        samples=1600,
        batch_size=32,
        trained_variants=trained,
        gate_bias=3.0,
        quick=False,
        seed=42,
        backend="tensorflow",
        seconds=100.0,
    )


def comparison_payload():
    table = pd.DataFrame(
        [
            {
                "task": "milk",
                "cell": cell,
                "params": 10,
                "epochs": 12.0,
                "seconds_per_epoch": 0.1,
                "fit_seconds": 2.0,
                "rmse_mean": 8.0,
                "rmse_sd": 1.0,
            }
            for cell in ("LSTM", "GRU")
        ]
    )
    task = SimpleNamespace(
        name="milk", actual=np.ones(4), baselines={"naive": np.zeros(4)}, choices={"best_baseline": "naive"}
    )
    return case_metrics.comparison_payload(
        seeds=[42], quick=True, backend="tensorflow", table=table, tasks=[task]
    )


def bptt_payload(tape=True):
    by_k = {"1": 0.5, "5": 0.1}
    return case_metrics.bptt_payload(
        backward_pass={
            "dh_norm_last": 1.0,
            "dh_norm_first": 1e-5,
            "tape_max_abs_difference": {"kernel": 1e-16, "dx": 1e-17} if tape else None,
        },
        simple_rnn_jacobian_norms={"small": by_k, "large": by_k},
        simple_rnn_tape_max_abs_difference={"small": 1e-16, "large": 1e-15} if tape else None,
        lstm={
            "forget_gate_product": by_k,
            "dcT_dc_norm": by_k,
            "dhT_dh_norm": by_k,
            "tape_max_abs_difference": 1e-16 if tape else None,
        },
        timesteps=40,
        units=8,
        small_scale=0.5,
        large_scale=2.0,
        input_scale=0.1,
        seed=42,
        backend="tensorflow",
        run_seconds=3.0,
    )


PAYLOADS = {
    "Case 17-2": (lambda: forecast_payload("17-2"), "forecast_payload"),
    "Case 17-3": (lambda: forecast_payload("17-3"), "forecast_payload"),
    "Case 17-1": (text_payload, "text_payload"),
    "Case 17-1 --validation-only": (lambda: text_payload(scored_test=False), "text_payload"),
    "Case 17-4": (gradients_payload, "gradients_payload"),
    "Case 17-5": (comparison_payload, "comparison_payload"),
    "Case 17-6": (bptt_payload, "bptt_payload"),
    "Case 17-6 without a tape": (lambda: bptt_payload(tape=False), "bptt_payload"),
}


@pytest.mark.parametrize("case", PAYLOADS)
def test_every_key_is_documented_and_every_documented_key_is_written(case):
    build, builder = PAYLOADS[case]
    assert schema_problems(build(), builder) == []


def test_the_forecast_payloads_keep_their_key_order():
    """Cases 17-2 and 17-3 wrote these keys in this order before the payload moved into one builder;
    the verdict's "reference" block follows the baseline to beat, which it extends."""
    assert list(forecast_payload("17-2"))[:9] == [
        "model_rmse",
        "model_mae",
        "baselines",
        "best_baseline_on_validation",
        "reference",
        "validation",
        "choices",
        "sarima",
        "weights_sha256",
    ]
    gru = forecast_payload("17-3")
    assert list(gru["validation"]) == ["model_rmse", "ridge", "persistence", "mean_last_7", "seasonal_naive"]
    assert list(gru["baselines"]) == ["persistence", "mean_last_7", "seasonal_naive", "ridge"]
    assert list(gru)[-6:] == ["learning_rate", "batch_size", "backend", "pick", "refit", "candidates"]
    lstm = forecast_payload("17-2")
    # both cases choose the epoch count on the rolling origins: no early stopping
    assert "patience" not in lstm and "patience" not in gru
    assert list(lstm)[-4:] == ["backend", "pick", "refit", "candidates"]


def test_the_check_catches_an_undocumented_and_a_missing_key():
    payload = forecast_payload("17-2")
    payload["surprise"] = 1
    del payload["window"]
    payload["periods"]["extra"] = 3
    assert sorted(schema_problems(payload, "forecast_payload")) == [
        "missing: window",
        "undocumented: periods.extra",
        "undocumented: surprise",
    ]


def test_the_reference_entry_writes_the_agreed_keys_and_refuses_an_unknown_verdict():
    dm = SimpleNamespace(statistic=-2.2, p_value=0.03)
    entry = case_metrics.reference_entry("ridge (same inputs)", "ridge", 2.17, dm, "better")
    assert entry == {"name": "ridge (same inputs)", "key": "ridge", "rmse": 2.17, "dm_statistic": -2.2,
                     "dm_p_value": 0.03, "verdict": "better"}
    with pytest.raises(ValueError, match="unknown verdict"):
        case_metrics.reference_entry("ridge (same inputs)", "ridge", 2.17, dm, "win")
    gru = forecast_payload("17-3")
    assert list(gru)[3:5] == ["best_baseline_on_validation", "reference"]
