"""The README's pdb commands work exactly as typed: pasted at pdb's first prompt, they stop in a cell and
print a gate.

The commands are read from README.md: after a marker line `<!-- pdb:lstm -->` (or pdb:gru,
pdb:bptt) come two fenced blocks, the shell command and the lines to paste at the (Pdb) prompt.
The test runs the shell command with --output-dir added (so nothing is written into outputs/),
feeds the pasted lines to pdb's stdin, then `q`, and reads the value pdb printed. The three
sessions run side by side, started before the first test (conftest's `started`).
"""

import os
import re
import shlex
import sys
from pathlib import Path

import pytest
from conftest import BACKGROUND

REPO_ROOT = Path(__file__).resolve().parents[1]
# PDB_README points the test at another file with the same markers (e.g. the README draft).
README = Path(os.environ.get("PDB_README", REPO_ROOT / "README.md"))
SESSIONS = ("lstm", "gru", "bptt")
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


def readme_blocks(name):
    """(shell command, pdb lines) from the two fenced blocks after `<!-- pdb:name -->`, or skip."""
    text = README.read_text(encoding="utf-8") if README.is_file() else ""
    marker = f"<!-- pdb:{name} -->"
    if marker not in text:
        pytest.skip(f"{README.name} has no {marker} marker yet (the README's pdb section is not merged)")
    blocks = FENCE.findall(text.split(marker, 1)[1])[:2]
    assert len(blocks) == 2, f"expected two fenced blocks after {marker}: the shell command and the pdb lines"
    command = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(command) == 1 and command[0].startswith("python -m pdb "), command
    return shlex.split(command[0]), blocks[1]


def start_pdb(command, pdb_lines, output_dir):
    """Start the README's command (python -> this interpreter) with pdb_lines, then q, on stdin, in the
    background: a Future whose result() is the CompletedProcess."""
    argv = [sys.executable, *command[1:], "--output-dir", str(output_dir)]
    return BACKGROUND.start(argv, REPO_ROOT, input=pdb_lines + "\nq\n", timeout=300)


def start_runs(tmp_path_factory):
    """The three pdb sessions, side by side; a README without a session's marker starts none for it
    (its test then skips or fails on readme_blocks, as it would have)."""
    folder = tmp_path_factory.mktemp("pdb")
    sessions = {}
    for name in SESSIONS:
        try:
            command, pdb_lines = readme_blocks(name)
        except (pytest.skip.Exception, AssertionError):
            continue
        sessions[name] = start_pdb(command, pdb_lines, folder / name)
    return sessions


def pdb_output(started, name):
    """stdout and stderr of the README's pdb session `name`, started with the others."""
    result = started[__name__][name].result()
    return result.stdout + result.stderr


def printed_values(output, stop_line):
    """The numbers pdb printed after it stopped at `stop_line` (e.g. 'cells.py(139)lstm_step()')."""
    assert stop_line in output, f"pdb never stopped at {stop_line}:\n{output[-3000:]}"
    after = output.split(stop_line, 1)[1]
    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?", after.split("(Pdb)", 2)[1])]


@pytest.mark.parametrize("name, function, gate",
                         [("lstm", "lstm_step", "forget_gate"), ("gru", "gru_step", "update_gate")])
def test_readme_pdb_commands_print_a_gate(name, function, gate, started):
    _, pdb_lines = readme_blocks(name)
    assert f"p {gate}" in pdb_lines
    output = pdb_output(started, name)
    assert "not found from sys.path" not in output and "NameError" not in output, output[-3000:]
    line = re.search(r"cells\.py:(\d+)", pdb_lines).group(1)
    values = printed_values(output, f"cells.py({line}){function}()")
    assert values and all(0.0 <= v <= 1.0 for v in values), values  # a sigmoid gate, one value per unit
    if name == "lstm":  # the README's number for the first stop, the untrained layer
        readme = README.read_text(encoding="utf-8")
        quoted = float(re.search(r"about sigmoid\(1\) = ([\d.]+)", readme).group(1))
        assert abs(sum(values) / len(values) - quoted) < 0.1, (values, quoted)


def test_readme_pdb_commands_show_the_gradient_in_the_backward_loop(started):
    _, pdb_lines = readme_blocks("bptt")
    output = pdb_output(started, "bptt")
    assert "not found from sys.path" not in output and "NameError" not in output, output[-3000:]
    line = re.search(r"bptt\.py:(\d+)", pdb_lines).group(1)
    stop = f"bptt.py({line})simple_rnn_backward()"
    assert output.count(stop) >= 2, output[-3000:]  # stopped at two time steps
    pairs = re.findall(r"\((\d+), ([-+\d.e]+)\)", output.split(stop, 1)[1])
    steps = [int(t) for t, _ in pairs]
    assert len(pairs) >= 2 and steps[0] > steps[1], pairs  # walking back in time
    assert all(float(norm) > 0 for _, norm in pairs)
    # the README quotes the first two stops, e.g. `(39, 1.19...)` then `(38, 1.14...)`
    quoted = re.findall(r"`\((\d+), ([\d.]+?)\.\.\.\)`", README.read_text(encoding="utf-8"))
    assert len(quoted) == 2, quoted
    for (step, norm), (quoted_step, quoted_norm) in zip(pairs, quoted):
        assert step == quoted_step and norm.startswith(quoted_norm), (pairs[:2], quoted)
