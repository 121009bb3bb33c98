"""Every measured number the student-facing docs quote comes from docs/RESULTS.md, or is marked as the
example output of one named command: a stale number then fails here, not in a class.

A number here is a decimal in the prose of README.md, docs/CASES.md or docs/TEACHING.md (outside code
blocks and `code` spans, which hold flags and commands). It passes when
- docs/RESULTS.md (written by benchmarks/benchmark.py) has a number that rounds to it, or
- it stands in a paragraph that starts with `<!-- example output: COMMAND -->`, the command whose
  output it quotes, or
- it is a constant of the mathematics or the software, listed below with its reason.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/CASES.md", "docs/TEACHING.md"]
EXAMPLE = re.compile(r"<!-- example output: (.+?) -->")
NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")

CONSTANTS = {
    "3.10": "the oldest Python supported",
    "3.12": "the newest Python supported",
    "0.73": "sigmoid(1), where Keras's forget-gate bias of 1 starts the gate",
    "0.95": "sigmoid(3), the 'gates open' start of Case 17-4",
    "0.5": "sigmoid(0), where a GRU's zero biases start its gates",
    "0.167": "the adding problem's predict-the-mean MSE (its variance, by construction)",
}


def paragraphs(text):
    """The prose paragraphs of a markdown text with their first line numbers; code blocks left out."""
    paragraph, start, in_code = [], None, False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.strip():
            if not paragraph:
                start = number
            paragraph.append(line)
        elif paragraph:
            yield start, paragraph
            paragraph = []
    if paragraph:
        yield start, paragraph


def quoted_numbers(path):
    """(line, number, example command or None) for every decimal in the prose of `path`."""
    for start, lines in paragraphs((REPO / path).read_text(encoding="utf-8")):
        marker = EXAMPLE.search(lines[0])
        for offset, line in enumerate(lines):
            prose = re.sub(r"`[^`]*`", "", EXAMPLE.sub("", line))
            prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets are paths, not numbers
            for match in NUMBER.finditer(prose):
                yield start + offset, match.group(), marker.group(1) if marker else None


def results_numbers():
    return {float(n) for n in NUMBER.findall((REPO / "docs" / "RESULTS.md").read_text(encoding="utf-8"))}


def in_results(number, measured):
    """True when a number in RESULTS.md rounds to `number` (to as many decimals as it shows)."""
    decimals = len(number.split(".")[1])
    return any(round(value, decimals) == float(number) for value in measured)


@pytest.mark.parametrize("path", DOCS)
def test_every_quoted_number_has_a_source(path):
    measured = results_numbers()
    unsourced = [f"{path}:{line}: {number}" for line, number, example in quoted_numbers(path)
                 if example is None and number not in CONSTANTS and not in_results(number, measured)]
    assert not unsourced, ("numbers with no source in docs/RESULTS.md and no example-output marker:\n"
                           + "\n".join(unsourced))


def test_an_example_marker_names_a_command_of_this_project():
    for path in DOCS:
        for match in EXAMPLE.finditer((REPO / path).read_text(encoding="utf-8")):
            command = match.group(1)
            assert command.startswith("python "), f"{path}: {command}"
            script = command.split()[1] if command.split()[1] != "-m" else command.split()[3]
            assert (REPO / script).is_file(), f"{path}: {command} names no script of this project"


def test_the_check_finds_a_stale_number():
    """The rule itself can fail: 2.35 is no rounding of 2.368, 2.37 is."""
    assert not in_results("2.35", {2.368}) and in_results("2.37", {2.368})
