"""One kind of error for bad input, and the hook that turns it into one clear line.

Every check in `utils` raises `BadInputError` with a message that names the problem
and the fix. A case script calls `exit_cleanly_on_bad_input()` once, at the top, so a
student who passes a wrong file or flag sees one line and exit code 2, not a traceback.
"""

import sys

EXIT_BAD_INPUT = 2
_cleanups = []  # called before a bad-input exit, e.g. to remove an output folder still empty


def before_bad_input_exit(cleanup):
    """Call `cleanup()` if the run ends on bad input (it undoes what the run set up for its outputs)."""
    _cleanups.append(cleanup)


class BadInputError(Exception):
    """Input the script cannot use: the message says what is wrong and how to fix it."""


def exit_cleanly_on_bad_input():
    """Print `BadInputError` as one line on stderr and exit with code 2.

    Any other exception keeps its normal traceback: that is a bug, and the traceback
    is what a developer needs to fix it.
    """
    previous_hook = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, BadInputError):
            sys.stdout.flush()
            one_line = " ".join(str(exc).split())  # a message must never spill onto a second line
            print(f"error: {one_line}", file=sys.stderr)
            for cleanup in _cleanups:
                cleanup()
            raise SystemExit(EXIT_BAD_INPUT)
        previous_hook(exc_type, exc, tb)

    sys.excepthook = hook
