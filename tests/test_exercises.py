"""docs/TEACHING.md's exercises cannot go stale silently: every "Check:" command names flags its script
has, writes into its own outputs/ex<N> folder, and looks for lines that the script really prints.

The lines are looked for in the runs the other test files make anyway (a case's output does not
change its wording with the flags an exercise adds), so this file starts only the exercise-6 script.
"""

import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BACKGROUND, REPO_ROOT

TEACHING = REPO_ROOT / "docs" / "TEACHING.md"
CHECK = re.compile(r"^\s*Check: `(.+)`\s*$", re.MULTILINE)


def exercise_checks():
    """(exercise number, command line) for each "Check:" of the Exercises section, in order."""
    text = TEACHING.read_text(encoding="utf-8").split("## Exercises", 1)[1]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \*\*", text, flags=re.MULTILINE)]
    checks = CHECK.findall(text)
    assert len(numbers) == len(checks), "every exercise has exactly one Check: line"
    return list(zip(numbers, checks))


def python_commands(check):
    """Each `python script args...` of a check, as (script, [args]), up to the next | && ; or done."""
    commands = []
    for part in re.split(r"\||&&|;", check):
        words = shlex.split(part.replace("$", ""))
        if words[:1] == ["do"]:
            words = words[1:]
        if words[:1] == ["python"]:
            commands.append((words[1], words[2:]))
    return commands


def searched_lines(check):
    """The patterns a check filters the output with: grep's, and both ends of a sed range."""
    patterns = re.findall(r'grep (?:-A\d+ )?"([^"]+)"', check)
    for start, end in re.findall(r"sed -n '/(.+?)/,/(.+?)/p'", check):
        patterns += [start, end]
    return patterns


def as_regex(pattern):
    """A grep (basic regular expression) pattern of the kind the checks use, as a Python regex."""
    anchored = pattern.startswith("^")
    literal = pattern[1:] if anchored else pattern
    literal = literal.replace("\\[", "[").replace("\\]", "]")
    return ("^" if anchored else "") + re.escape(literal)


def start_runs(tmp_path_factory):
    """Exercise 6's short run, the one script no other test file runs."""
    return BACKGROUND.start([sys.executable, "benchmarks/exploding_threshold.py", "--gains", "1.0", "2.0",
                             "--epochs", "1"], REPO_ROOT, timeout=300)


def session_output(script, started, quick_runs):
    """The stdout of a run of `script` that another test file made in this session."""
    name = Path(script).name
    if name.startswith("exploding_threshold"):
        return started[__name__].result().stdout
    if name.startswith("Case17-4"):
        return quick_runs("Case17-4")[1].stdout
    module, pick = {
        "Case17-1": ("test_case_rnn", lambda runs: runs["runs"]["first"]),
        "Case17-2": ("test_case_lstm", lambda runs: runs["runs"]["default"]),
        "Case17-3": ("test_case_gru", lambda runs: runs["tiny"]["original"]),
        "Case17-6": ("test_case_bptt", lambda runs: runs[1]["short"]),
    }[name[:8]]
    importlib.import_module(module)  # its start_runs, called through `started`, makes the run
    return pick(started[module]).result().stdout


_help = {}


def help_text(script):
    if script not in _help:
        result = subprocess.run([sys.executable, script, "--help"], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        _help[script] = result.stdout
    return _help[script]


@pytest.mark.parametrize("number, check", exercise_checks())
def test_an_exercises_check_runs_real_flags_into_its_own_folder(number, check):
    commands = python_commands(check)
    assert commands, check
    for script, args in commands:
        assert (REPO_ROOT / script).is_file(), script
        flags = [arg for arg in args if arg.startswith("--")]
        for flag in flags:
            found = re.search(rf"{re.escape(flag)}\b", help_text(script))
            assert found, f"exercise {number}: {script} has no {flag}"
        if script.startswith("week17/"):  # a case writes outputs: never over the default run's
            assert "--output-dir" in args and args[args.index("--output-dir") + 1].startswith(
                f"outputs/ex{number}"), f"exercise {number}: {args}"


@pytest.mark.parametrize("number, check", exercise_checks())
def test_an_exercises_check_finds_the_lines_it_looks_for(number, check, started, quick_runs):
    patterns = searched_lines(check)
    scripts = [script for script, _ in python_commands(check)]
    for pattern in patterns:
        outputs = [session_output(script, started, quick_runs) for script in scripts]
        found = any(re.search(as_regex(pattern), out, flags=re.MULTILINE) for out in outputs)
        assert found, f"exercise {number}: no line matches {pattern!r} in the output of {scripts}"
    if "samples.txt" in check:
        assert "samples.txt" in session_output(scripts[0], started, quick_runs)


def test_the_helpers_read_a_check_as_a_shell_would():
    check = ("for t in a b; do python week17/x.py --target $t --output-dir outputs/ex3-$t "
             "| grep -A5 \"^\\[5\\]\"; done")
    assert python_commands(check) == [("week17/x.py", ["--target", "t", "--output-dir", "outputs/ex3-t"])]
    assert searched_lines(check) == ["^\\[5\\]"]
    assert re.search(as_regex("^\\[5\\]"), "x\n[5] rolling", flags=re.MULTILINE)
    assert not re.search(as_regex("^update_gate ("), "the update_gate (", flags=re.MULTILINE)
