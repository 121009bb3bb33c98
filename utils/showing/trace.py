"""The printed trace: lines a student can read beside a debugger's Variables pane."""

import textwrap

TRACE_WIDTH = 120  # characters per printed line


def say(text, indent="  "):
    """Print `text`, each of its lines wrapped at TRACE_WIDTH characters (continuations indented by
    `indent`); words are never split, so a number or a name stays whole."""
    for line in str(text).split("\n"):
        lead = line[: len(line) - len(line.lstrip())]
        print(textwrap.fill(line, width=TRACE_WIDTH, subsequent_indent=lead + indent,
                            break_long_words=False, break_on_hyphens=False) if line.strip() else line)
