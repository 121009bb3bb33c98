"""Case 17-6 end to end on a short sequence: every hand-made number equals the tape's, and the lesson's
claims hold."""

from conftest import assert_clean_failure, read_metrics, start_script, trace_problems

SCRIPT = "Case17-6-TF-Backpropagation-Through-Time.py"


def start_runs(tmp_path_factory):
    """Both runs, side by side in the background."""
    folder = tmp_path_factory.mktemp("bptt")
    return folder, {
        "short": start_script(SCRIPT, "--timesteps", 12, "--units", 4, "--no-show", "--output-dir", folder),
        "bad flag": start_script(SCRIPT, "--timesteps", 0),
    }


def test_case_runs_and_matches_the_tape(started):
    tmp_path, runs = started[__name__]
    result = runs["short"].result()
    assert result.returncode == 0, result.stderr[-3000:]
    for step in range(1, 7):
        assert f"[{step}]" in result.stdout
    assert trace_problems(result.stdout, last_step=6) == []
    assert (tmp_path / "jacobian_norms.png").stat().st_size > 10_000
    m = read_metrics(tmp_path)
    # Step 2: the backward pass by hand equals the tape.
    assert max(m["backward_pass"]["tape_max_abs_difference"].values()) < 1e-5
    # Step 3: per-step Jacobian products equal the tape's; small weights vanish, large ones do not.
    assert max(m["simple_rnn_tape_max_abs_difference"].values()) < 1e-5
    small, large = m["simple_rnn_jacobian_norms"]["small"], m["simple_rnn_jacobian_norms"]["large"]
    assert small["1"] > small["5"] > small["10"] and small["10"] < 1e-2
    assert large["10"] > 1.0
    # Step 4: the LSTM's full Jacobians equal the tape's; the forget-gate product is below 1 and shrinks.
    lstm = m["lstm"]
    assert lstm["tape_max_abs_difference"] < 1e-5
    assert 1.0 > lstm["forget_gate_product"]["1"] > lstm["forget_gate_product"]["10"] > 0


def test_bad_flag_is_one_clear_line(started):
    _, runs = started[__name__]
    assert_clean_failure(runs["bad flag"].result(), "--timesteps")
