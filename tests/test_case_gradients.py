"""Case 17-4 (vanishing and exploding gradients) end to end with --quick, and bad input.

Only claims that hold by a wide margin under the fixed seed are asserted: with Keras's
default initialisation every fresh cell's gradient shrinks by more than 1000x over 100 steps
(measured: 1e-6 to 1e-20); opening the gated cells' memory gate at the start keeps far more of
it (measured: LSTM 1e-9 -> 9, GRU 1e-20 -> 1e-2); and the unclipped exploding run turns NaN
while the clipped one stays finite and goes down. Which cell wins the recall task depends on
the budget, so the quick run's accuracies are only checked to be accuracies.
"""

from conftest import assert_clean_failure, read_metrics

SCRIPT = "Case17-4-TF-Vanishing-Exploding-Gradients.py"
CELLS = ("SimpleRNN", "LSTM", "GRU")  # as Keras initialises them
OPEN = ("LSTM, gates open", "GRU, gates open")  # memory gate started at sigmoid(3)


def check_outputs_and_trace(folder, run):
    for name in ("gradient_norms.png", "memory.png", "exploding.png", "metrics.json"):
        assert (folder / name).is_file(), name
    for text in ("[1] recall lengths T = [10, 100]", "first/last", "test accuracy (chance = 0.5)",
                 "LSTM forget_gate", "GRU update_gate", "LSTM, gates open forget_gate", "with clipnorm=1", "Done in"):
        assert text in run.stdout, text
    assert "Traceback" not in run.stderr


def check_metrics(m):
    assert m["recall_lengths"] == [10, 100] and m["timesteps"] == 100 and m["quick"] is True
    assert m["seed"] == 42 and m["chance_accuracy"] == 0.5
    for cell in CELLS + OPEN:
        for T in ("10", "100"):
            assert 0.0 <= m["recall_accuracy"][cell][T] <= 1.0
            assert 1 <= m["recall_epochs"][cell][T] <= m["epochs"]
        fresh = m["gradient_norms"][cell]["fresh"]
        assert set(fresh) == {"log10_first", "log10_middle", "log10_last", "log10_ratio_first_last"}
        assert set(m["gradient_norms"][cell]["trained"]) == set(fresh)
    for cell in CELLS:
        # Vanishing at initialisation: the first step's gradient is < 1/1000 of the last's.
        assert m["gradient_norms"][cell]["fresh"]["log10_ratio_first_last"] < -3, cell
    for cell in ("LSTM", "GRU"):
        # An open memory gate keeps at least 1000x more of the gradient from step 1.
        default = m["gradient_norms"][cell]["fresh"]["log10_ratio_first_last"]
        opened = m["gradient_norms"][f"{cell}, gates open"]["fresh"]["log10_ratio_first_last"]
        assert opened > default + 3, (cell, default, opened)


def check_exploding(e):
    plain, clipped = e["losses_without_clipping"], e["losses_with_clipnorm"]
    assert len(plain) == len(clipped) == 4  # before training + 3 epochs
    assert plain[0] == clipped[0]  # the same starting weights
    assert e["first_nan_epoch_without_clipping"] == 1 and plain[1] is None  # NaN is written as null
    assert all(loss is not None for loss in clipped) and clipped[-1] < clipped[0]
    assert e["start_gradient_norms"]["SimpleRNN recurrent_kernel"] > 100 * e["clipnorm"]


def test_quick_run_end_to_end(run_case, tmp_path):
    """One --quick run (about 20 s): every output, the trace, and the measured numbers."""
    run = run_case(SCRIPT, "--quick", "--no-show", "--output-dir", tmp_path, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    check_outputs_and_trace(tmp_path, run)
    m = read_metrics(tmp_path)
    check_metrics(m)
    check_exploding(m["exploding"])


def test_zero_timesteps_is_one_clean_line(run_case, tmp_path):
    result = run_case(SCRIPT, "--timesteps", "0", "--no-show", "--output-dir", tmp_path)
    assert_clean_failure(result, "--timesteps")


def test_too_few_samples_is_one_clean_line(run_case, tmp_path):
    result = run_case(SCRIPT, "--samples", "5", "--no-show", "--output-dir", tmp_path)
    assert_clean_failure(result, "--samples")
