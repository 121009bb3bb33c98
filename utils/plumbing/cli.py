"""Command-line flags shared by the case scripts.

Flags are parsed with `parse_known_args` because a `# %%` cell run in an IDE's
interactive window sees the kernel's own `sys.argv` (for example `--f=kernel.json`).
There the defaults are used; in a terminal an unknown flag is still an error.
"""

import argparse
import sys

from utils.plumbing.errors import EXIT_BAD_INPUT


class StudentArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2 (argparse prints usage too)."""

    def error(self, message):
        sys.stdout.flush()
        print(f"error: {message} (run with --help to see every flag)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def positive_int(text):
    """argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def positive_float(text):
    """argparse type: a number greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def new_parser(description):
    """A parser for a case script (flags are added by the script, or with the helpers below)."""
    # allow_abbrev=False: a typo such as --epoch must be an error, not silently read as --epochs
    return StudentArgumentParser(description=description, allow_abbrev=False)


def add_series_flags(parser, csv, date_col, value_col, window):
    """--csv, --date-col, --value-col and --window, with the lesson's values as defaults."""
    parser.add_argument("--csv", default=str(csv),
                        help="CSV file with a date column and a value column (default: %(default)s)")
    parser.add_argument("--date-col", default=date_col,
                        help="name of the date column (default: %(default)s)")
    parser.add_argument("--value-col", default=value_col,
                        help="name of the value column (default: %(default)s)")
    parser.add_argument("--window", type=positive_int, default=window,
                        help="time steps the network sees per sample (default: %(default)s)")


def add_training_flags(parser, epochs, units, seed=42, epochs_help=None):
    """--epochs, --units and --seed, with the lesson's values as defaults (`epochs_help`: a case's own
    words for --epochs)."""
    parser.add_argument("--epochs", type=positive_int, default=epochs,
                        help=(epochs_help or "the most training epochs; training may stop earlier, "
                                             "judged on validation data") + " (default: %(default)s)")
    parser.add_argument("--units", type=positive_int, default=units,
                        help="units in the recurrent layer (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=seed,
                        help="random seed; the same seed gives the same numbers (default: %(default)s)")


def add_fitting_flags(parser, learning_rate, batch_size, patience, learning_rate_help=None):
    """--learning-rate, --batch-size and --patience (early stopping on the validation loss; no flag when
    `patience` is None, for a case that does not stop early)."""
    parser.add_argument("--learning-rate", type=positive_float, default=learning_rate,
                        help=(learning_rate_help or "Adam's learning rate") + " (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=batch_size,
                        help="samples per gradient step (default: %(default)s)")
    if patience is None:
        return
    parser.add_argument("--patience", type=positive_int, default=patience,
                        help="stop after this many epochs without a better validation loss "
                             "(default: %(default)s)")


def add_output_flags(parser):
    """--output-dir and --no-show."""
    parser.add_argument("--output-dir", default=None,
                        help="where to write the plots, metrics.json and the other outputs "
                             "(default: outputs/<case>/)")
    parser.add_argument("--no-show", action="store_true", help="save the plots without opening a window")


def running_in_notebook_kernel():
    """True inside an IPython/Jupyter kernel (an IDE's interactive window), where sys.argv is the kernel's."""
    return "ipykernel" in sys.modules or "ipykernel_launcher" in (sys.argv[0] if sys.argv else "")


def parse_flags(parser, argv=None):
    """Parse the flags: strict in a terminal, defaults-only inside an interactive kernel."""
    if argv is None:
        argv = [] if running_in_notebook_kernel() else sys.argv[1:]
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.error(f"unknown flag(s): {' '.join(unknown)}")
    return args
