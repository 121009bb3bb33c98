"""benchmarks/choose_milk.py and choose_gru.py: each configuration is scored by the case's rolling-origin
protocol on the steps before the test only, and printed as one row per candidate with its validation
score; the test period is never forecast. Each script's --quick run (seed 42, 2 configurations)."""

import re
import sys

import numpy as np

from benchmarks import choose_gru, choose_milk
from utils.forecasting import timeline
from utils.forecasting.settings import MILK, TEMPERATURE
from utils.loading.calendar import fill_gaps
from utils.loading.series import load_series
from utils.plumbing.paths import data_file

ROW = r"val RMSE +(\d+\.\d+) ± (\d+\.\d+) +best epochs \[(\d+)\]"


def quick_run(module, protocol_module, monkeypatch, capsys):
    """main() with --quick; every protocol call is recorded (its arguments and whether it forecast)."""
    calls, real_run = [], protocol_module.run

    def spy(values, *args, **kwargs):
        result = real_run(values, *args, **kwargs)
        calls.append({"n_values": len(values), "kwargs": kwargs, "forecasts": result.forecasts})
        return result

    monkeypatch.setattr(protocol_module, "run", spy)
    monkeypatch.setattr(sys, "argv", [module.__file__, "--quick"])
    module.main()
    return calls, capsys.readouterr().out


def configurations(out):
    """The printed blocks, one per configuration: its candidate rows (name, score, sd, best epochs)."""
    blocks = []
    for line in out.splitlines():
        if line.startswith('  {"'):
            blocks.append([])
        elif blocks and (match := re.search(ROW, line)):
            blocks[-1].append((line.split("val RMSE")[0].strip(), float(match[1]), float(match[2]),
                               int(match[3]), line))
    return blocks


def test_choose_milk_quick_scores_every_candidate_at_the_origins_and_never_the_test(monkeypatch, capsys):
    calls, out = quick_run(choose_milk, choose_milk.rolling_choice, monkeypatch, capsys)
    n_months = len(fill_gaps(load_series(data_file(MILK.csv), MILK.date_col, MILK.value_col,
                                         note=lambda _: None))[0])
    first_test = timeline.three_periods(
        n_months, timeline.fixed_test_size(n_months, course_window=12), 24).first_test
    # the protocol ran on the months before the test only, stopped after its choices, forecast nothing
    assert calls and all(call["kwargs"]["validation_only"] for call in calls)
    assert all(call["n_values"] == first_test < n_months and call["forecasts"] is None for call in calls)
    blocks = configurations(out)
    assert len(blocks) == 2
    for rows in blocks:
        assert [row[0] for row in rows] == ["LSTM, target seasonal", "LSTM, target seasonal-diff",
                                            "LSTM correction"]
        for name, score, spread, epochs, line in rows:
            assert 0 < score < 100 and spread == 0.0  # one seed
            assert 0 <= epochs <= (6 if name == "LSTM correction" else 3)
            assert re.search(r"(zero forecast|epoch 0 \(the reference\)) +\d+\.\d+$", line)
        correction = rows[2]
        zero = float(correction[4].split()[-1])
        assert correction[1] <= zero + 1e-9  # its epoch 0 is a choice: never worse than the reference
    # the correction's settings did not change: it was trained once and its row repeats
    assert blocks[0][2][1:4] == blocks[1][2][1:4]
    assert "chosen on the rolling origins:" in out


def test_choose_gru_quick_scores_both_candidates_at_the_origins_and_never_the_test(monkeypatch, capsys):
    calls, out = quick_run(choose_gru, choose_gru.rc, monkeypatch, capsys)
    n_days = len(fill_gaps(load_series(data_file(TEMPERATURE.csv), TEMPERATURE.date_col,
                                       TEMPERATURE.value_col, note=lambda _: None))[0])
    assert len(calls) == 2  # one seed, two configurations
    for call in calls:
        assert call["kwargs"]["validation_only"] and call["forecasts"] is None
        assert call["n_values"] == n_days - timeline.fixed_test_size(n_days)  # the test days cut off
    blocks = configurations(out)
    assert len(blocks) == 2
    for rows in blocks:
        assert [row[0] for row in rows] == ["GRU", "ridge + GRU correction"]
        for _, score, spread, epochs, _ in rows:
            assert 0 < score < 10 and spread == 0.0 and 0 <= epochs <= 2
        ridge = float(rows[1][4].split()[-1])
        assert rows[1][1] <= ridge + 1e-9 and "epoch 0 (the ridge)" in rows[1][4]
    picks = re.findall(r"the case's rule picks: (.+) \(mean (\d+\.\d+)\)", out)
    assert len(picks) == 2 and all(pick in ("GRU", "ridge + GRU correction") for pick, _ in picks)
    assert np.isfinite([float(mean) for _, mean in picks]).all()
    assert "chosen on the rolling origins:" in out
