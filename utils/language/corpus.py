"""The text of the character-level language-model case: load, split, encode and window it.
(ngrams.py scores the counting baselines; generation.py runs the trained model one
character at a time and samples with a temperature.)

Everything here is plain Python and NumPy, so it is quick to test and easy to read.
Conventions used throughout utils/language/:

* A text is a `str`; an *encoded* text is a 1-D `np.int32` array of vocabulary indices.
* The vocabulary is the sorted list of distinct characters; index i means `vocab[i]`.
  The case builds it from the training and validation parts only, plus `UNKNOWN`, the
  one symbol that stands for any character they never contain.
* The split is chronological: training, then validation, then test (the last
  `test_fraction` of the characters), nothing shuffled.
* Scores are cross-entropies in bits per character (lower is better; a uniform guess
  over V characters scores log2(V)).

Problems a student can cause (a wrong path, a binary file, a text too short for the
chosen window, a negative temperature) raise `BadInputError` with a one-line message
that names the problem and the fix.
"""

import math
from pathlib import Path

import numpy as np

from utils.plumbing.errors import BadInputError

# Typographic characters a prompt may contain (pasted from a word processor) and the
# plain character used instead when the plain one is in the vocabulary.
LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\t": " ",
}


# --------------------------------------------------------------------------- loading

def load_text(path):
    """Read a UTF-8 text file and return its contents as a `str`.

    Windows line endings (CRLF) are turned into "\\n" and a leading UTF-8 byte-order mark
    is removed, so the same text gives the same vocabulary on every system.

    Raises `BadInputError` when the path does not exist, is a folder, the file is empty
    (or only whitespace), looks binary (contains NUL bytes), or is not valid UTF-8 (the
    message gives the byte offset of the first bad byte).
    """
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"text file {path} does not exist; pass the path of a plain .txt file")
    if path.is_dir():
        raise BadInputError(f"{path} is a folder, not a file; pass the path of a plain .txt file inside it")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BadInputError(f"{path} cannot be read ({err.strerror}); check the file's permissions") from None
    if not raw.strip():
        raise BadInputError(f"{path} is empty; pass a text file with at least a few kilobytes of prose")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise BadInputError(
            f"{path} looks like a binary file (NUL byte at offset {nul}); "
            "pass a plain text file, not a PDF or Word document"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"{path} is not valid UTF-8 (bad byte 0x{raw[err.start]:02x} at byte offset {err.start}); "
            "re-save the file with UTF-8 encoding"
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _check_fractions(val_fraction, test_fraction):
    if not 0.0 < val_fraction < 1.0 or not 0.0 <= test_fraction < 1.0 or val_fraction + test_fraction >= 1.0:
        raise BadInputError(
            f"val_fraction and test_fraction must be between 0 and 1 with room left for training, "
            f"got {val_fraction} and {test_fraction}; use for example 0.1 and 0.1"
        )


def split_sizes(n_chars, val_fraction=0.1, test_fraction=0.1):
    """(n_train, n_val, n_test) for a text of `n_chars` characters.

    n_test = ceil(n_chars * test_fraction), n_val = ceil(n_chars * val_fraction), and the
    training part is what is left. The parts follow each other in that order in the text:
    training first, test last.
    """
    _check_fractions(val_fraction, test_fraction)
    n_test = min(n_chars, math.ceil(n_chars * test_fraction - 1e-9))
    n_val = min(n_chars - n_test, math.ceil(n_chars * val_fraction - 1e-9))
    return n_chars - n_val - n_test, n_val, n_test


def check_text_length(n_chars, seq_len, val_fraction=0.1, test_fraction=0.1):
    """Check a text of `n_chars` characters is long enough for windows of `seq_len`.

    The training, validation and (when test_fraction > 0) test parts must each hold at
    least one window, i.e. `seq_len + 1` characters (the inputs plus the next character as
    target). Returns `(n_train, n_val, n_test)`; raises `BadInputError` naming the smallest
    length that would work.
    """
    if seq_len < 1:
        raise BadInputError(f"seq_len must be 1 or more, got {seq_len}; use for example 40")
    need = seq_len + 1

    def long_enough(n):
        sizes = split_sizes(n, val_fraction, test_fraction)
        return min(sizes if test_fraction else sizes[:2]) >= need

    if long_enough(n_chars):
        return split_sizes(n_chars, val_fraction, test_fraction)
    # A part that is a fraction f of the text holds at most about n·f characters, so no n
    # below (need - 1) / f can work: start the search there (minus one for float rounding).
    smallest_part = min(f for f in (val_fraction, test_fraction, 1.0 - val_fraction - test_fraction) if f > 0)
    n_min = max(need, math.floor((need - 1) / smallest_part) - 1)
    while not long_enough(n_min):
        n_min += 1
    parts = "training, validation and test parts" if test_fraction else "training and validation parts"
    raise BadInputError(
        f"the text has {n_chars} characters, but seq_len={seq_len} needs at least {n_min} "
        f"(the {parts} each need {need}); use a longer text or a smaller --seq-len"
    )


# --------------------------------------------------------------------------- vocabulary

# The symbol that stands for "a character the vocabulary does not hold" (the Unicode
# replacement character). A test part may contain characters that training and
# validation never do; they are encoded as this one symbol instead of growing the model.
UNKNOWN = "\ufffd"


def build_vocabulary(text, add_unknown=False):
    """The sorted list of distinct characters in `text`, plus `UNKNOWN` if `add_unknown`."""
    return sorted(set(text) | ({UNKNOWN} if add_unknown else set()))


def char_to_index(vocab):
    """Dict mapping each character of `vocab` to its index."""
    return {ch: i for i, ch in enumerate(vocab)}


def encode(text, mapping, unknown=None):
    """Encode `text` as an `np.int32` array using `mapping` (character -> index).

    With `unknown` (a character of the mapping, e.g. `UNKNOWN`), every character not in
    the mapping is encoded as that one. Without it, such a character raises
    `BadInputError` (use `prepare_prompt` for user-typed text, which drops them instead).
    """
    if unknown is not None:
        fallback = mapping[unknown]
        return np.fromiter((mapping.get(ch, fallback) for ch in text), dtype=np.int32, count=len(text))
    try:
        return np.fromiter((mapping[ch] for ch in text), dtype=np.int32, count=len(text))
    except KeyError as err:
        ch = err.args[0]
        raise BadInputError(
            f"character {ch!r} at position {text.index(ch)} is not in the vocabulary; "
            "build the vocabulary from this text or remove the character"
        ) from None


def decode(indices, vocab):
    """Turn a sequence of indices back into a string."""
    return "".join(vocab[int(i)] for i in indices)


# --------------------------------------------------------------------------- split and windows

def split_text(encoded, val_fraction=0.1, test_fraction=0.1):
    """Split chronologically: `(train, val, test)`, test the last `test_fraction`.

    Works on a `str` or an array; nothing is shuffled, so the validation text comes after
    the training text and the test text after both, as it would for a model used on new
    writing. Sizes as in `split_sizes`.
    """
    n_train, n_val, _ = split_sizes(len(encoded), val_fraction, test_fraction)
    return encoded[:n_train], encoded[n_train:n_train + n_val], encoded[n_train + n_val:]


def make_sequences(encoded, seq_len, stride=1):
    """Cut an encoded text into training windows for a `return_sequences=True` model.

    Window i starts at character `i * stride`:

    * `X[i] = encoded[s : s + seq_len]`          shape `(n, seq_len)`, int32
    * `y[i] = encoded[s + 1 : s + seq_len + 1]`  shape `(n, seq_len)`, int32

    so `y[i, t]` is the character that follows `X[i, t]`: the model is trained to predict
    the next character at every position of the window. The number of windows is
    `n = (len(encoded) - seq_len - 1) // stride + 1`; characters after the last full window
    are not used. Raises `BadInputError` when the text is shorter than `seq_len + 1`.
    """
    encoded = np.asarray(encoded, dtype=np.int32)
    if seq_len < 1 or stride < 1:
        raise BadInputError(f"seq_len and stride must be 1 or more, got {seq_len} and {stride}")
    if len(encoded) < seq_len + 1:
        raise BadInputError(
            f"a text of {len(encoded)} characters is too short for windows of seq_len={seq_len} "
            f"(needs {seq_len + 1}); use a longer text or a smaller --seq-len"
        )
    windows = np.lib.stride_tricks.sliding_window_view(encoded, seq_len + 1)[::stride]
    return np.ascontiguousarray(windows[:, :-1]), np.ascontiguousarray(windows[:, 1:])


def symbol_lines(symbols, width=100):
    """The symbols' Python reprs (so spaces, newlines and quotes stay visible), in lines of at most `width`.

    Each line is one quoted string; concatenated, the lines' strings give `symbols` back.
    """
    lines, current = [], ""
    for symbol in symbols:
        if current and len(repr(current + symbol)) > width:
            lines.append(repr(current))
            current = ""
        current += symbol
    if current:
        lines.append(repr(current))
    return lines
