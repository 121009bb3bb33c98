"""Case 17-6 end to end on a short sequence: every hand-made number equals the tape's, and the lesson's claims hold."""

from conftest import assert_clean_failure, read_metrics

SCRIPT = "Case17-6-TF-Backpropagation-Through-Time.py"


def test_case_runs_and_matches_the_tape(run_case, tmp_path):
    result = run_case(SCRIPT, "--timesteps", 12, "--units", 4, "--no-show", "--output-dir", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    for step in range(1, 7):
        assert f"[{step}]" in result.stdout
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


def test_bad_flag_is_one_clear_line(run_case):
    assert_clean_failure(run_case(SCRIPT, "--timesteps", 0), "--timesteps")
