"""Text helpers for the character-level language-model case: load, encode, window,
score counting baselines, and sample with a temperature.

Everything here is plain Python and NumPy (no Keras), so it is quick to test and easy to
read. Conventions used throughout:

* A text is a `str`; an *encoded* text is a 1-D `np.int32` array of vocabulary indices.
* The vocabulary is the sorted list of distinct characters; index i means `vocab[i]`.
* The split is chronological: the last `val_fraction` of the characters is validation.
* Scores are cross-entropies in bits per character (lower is better; a uniform guess
  over V characters scores log2(V)).

Problems a student can cause (a wrong path, a binary file, a text too short for the
chosen window, a negative temperature) raise `BadInputError` with a one-line message
that names the problem and the fix.
"""

import math
from pathlib import Path

import numpy as np

from utils.errors import BadInputError

# Temperatures at or below this are treated as "always take the most likely character".
MIN_TEMPERATURE = 1e-6

# Typographic characters a prompt may contain (pasted from a word processor) and the
# plain character used instead when the plain one is in the vocabulary.
_LOOKALIKES = {
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
            f"{path} looks like a binary file (NUL byte at offset {nul}); pass a plain text file, not a PDF or Word document"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"{path} is not valid UTF-8 (bad byte 0x{raw[err.start]:02x} at byte offset {err.start}); "
            "re-save the file with UTF-8 encoding"
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _check_fraction(val_fraction):
    if not 0.0 < val_fraction < 1.0:
        raise BadInputError(f"val_fraction must be between 0 and 1, got {val_fraction}; use for example 0.1")


def split_sizes(n_chars, val_fraction=0.1):
    """(n_train, n_val) for a text of `n_chars` characters: n_val = ceil(n_chars * val_fraction)."""
    _check_fraction(val_fraction)
    n_val = min(n_chars, math.ceil(n_chars * val_fraction - 1e-9))
    return n_chars - n_val, n_val


def check_text_length(n_chars, seq_len, val_fraction=0.1):
    """Check a text of `n_chars` characters is long enough for windows of `seq_len`.

    Both the training part and the validation part must hold at least one window, i.e.
    `seq_len + 1` characters (the inputs plus the next character as target). Returns
    `(n_train, n_val)`; raises `BadInputError` naming the smallest length that would work.
    """
    if seq_len < 1:
        raise BadInputError(f"seq_len must be 1 or more, got {seq_len}; use for example 40")
    n_train, n_val = split_sizes(n_chars, val_fraction)
    need = seq_len + 1
    if n_train >= need and n_val >= need:
        return n_train, n_val
    n_min = math.ceil(need / min(val_fraction, 1.0 - val_fraction))
    while min(split_sizes(n_min, val_fraction)) < need:
        n_min += 1
    while n_min > 1 and min(split_sizes(n_min - 1, val_fraction)) >= need:
        n_min -= 1
    raise BadInputError(
        f"the text has {n_chars} characters, but seq_len={seq_len} with val_fraction={val_fraction} "
        f"needs at least {n_min}; use a longer text or a smaller --seq-len"
    )


# --------------------------------------------------------------------------- vocabulary

def build_vocabulary(text):
    """The sorted list of distinct characters in `text`."""
    return sorted(set(text))


def char_to_index(vocab):
    """Dict mapping each character of `vocab` to its index."""
    return {ch: i for i, ch in enumerate(vocab)}


def index_to_char(vocab):
    """Dict mapping each index to its character (the inverse of `char_to_index`)."""
    return dict(enumerate(vocab))


def encode(text, mapping):
    """Encode `text` as an `np.int32` array using `mapping` (character -> index).

    Raises `BadInputError` for a character not in the mapping (use `prepare_prompt` for
    user-typed text, which drops such characters instead).
    """
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

def split_text(encoded, val_fraction=0.1):
    """Split chronologically: `(train, val)` where `val` is the last `val_fraction`.

    Works on a `str` or an array; nothing is shuffled, so validation text always comes
    after the training text, as it would for a model used on new writing.
    """
    n_train, _ = split_sizes(len(encoded), val_fraction)
    return encoded[:n_train], encoded[n_train:]


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


# --------------------------------------------------------------------------- n-gram baselines

def _as_ids(train, val, vocab_size):
    """Both parts as int64 arrays plus the vocabulary size V used for smoothing."""
    if isinstance(train, str) != isinstance(val, str):
        raise TypeError("train and val must both be strings or both be integer arrays")
    if isinstance(train, str):
        mapping = char_to_index(build_vocabulary(train + val))
        train_ids = np.array([mapping[c] for c in train], dtype=np.int64)
        val_ids = np.array([mapping[c] for c in val], dtype=np.int64)
    else:
        train_ids = np.asarray(train, dtype=np.int64)
        val_ids = np.asarray(val, dtype=np.int64)
    needed = int(max(train_ids.max(initial=-1), val_ids.max(initial=-1))) + 1
    if isinstance(train, str):
        needed = len(mapping)
    if vocab_size is None:
        vocab_size = needed
    elif vocab_size < needed:
        raise ValueError(f"vocab_size={vocab_size} is smaller than the {needed} characters the data needs")
    return train_ids, val_ids, int(vocab_size)


def _ngram_counts(train, val, n, vocab_size=None):
    """For each validation character: its n-gram count and its context count in train.

    Returns `(gram_counts, context_counts, V)`, arrays of length len(val). Each n-gram is
    packed into one integer (base-V digits, last character least significant), so the
    counting is `np.unique` plus `np.searchsorted`: well under a second for 50 KB.
    """
    if n < 1:
        raise BadInputError(f"n-gram order must be 1 or more, got {n}")
    train_ids, val_ids, V = _as_ids(train, val, vocab_size)
    if len(val_ids) == 0:
        raise BadInputError("the validation part is empty; use a longer text or a larger val_fraction")
    if len(train_ids) < n:
        raise BadInputError(f"the training part has {len(train_ids)} characters, too few for an order-{n} model")
    if V ** n >= 2 ** 62:
        raise ValueError(f"V**n = {V}**{n} is too large to pack n-grams into 64-bit integers")
    weights = V ** np.arange(n - 1, -1, -1, dtype=np.int64)

    def codes(ids):
        return np.lib.stride_tricks.sliding_window_view(ids, n) @ weights

    train_codes = codes(train_ids)
    grams, gram_counts = np.unique(train_codes, return_counts=True)
    contexts, context_counts = np.unique(train_codes // V, return_counts=True)

    # Validation n-grams: the context of the first n-1 validation characters is taken
    # from the end of the training text, which is what really precedes them.
    full = np.concatenate([train_ids[len(train_ids) - (n - 1):] if n > 1 else train_ids[:0], val_ids])
    val_codes = codes(full)

    def lookup(keys, counts, queries):
        pos = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
        return np.where(keys[pos] == queries, counts[pos], 0)

    return lookup(grams, gram_counts, val_codes), lookup(contexts, context_counts, val_codes // V), V


def _bits(gram_counts, context_counts, V, k):
    if not k > 0:
        raise BadInputError(f"add-k smoothing needs k > 0, got {k}; use for example 0.1")
    p = (gram_counts + k) / (context_counts + k * V)
    return float(-np.mean(np.log2(p)))


def ngram_bits_per_char(train, val, n, k=1.0, vocab_size=None):
    """Validation cross-entropy (bits per character) of an order-`n` character model.

    The model is fitted by counting on `train` and scored on `val`:

        P(c | context) = (count(context + c) + k) / (count(context) + k * V)

    where the context is the previous n-1 characters (none for n=1, the unigram model),
    counts come from the training text only, and V is the vocabulary size. Add-k
    smoothing gives every character a non-zero probability, so characters or contexts
    never seen in training still get a finite score.

    `train` and `val` are both strings (V = number of distinct characters in train+val)
    or both integer arrays (V = largest index + 1). Pass `vocab_size` to use a larger V,
    e.g. the vocabulary of a neural model, so the scores are comparable.

    The first n-1 validation characters take their context from the last characters of
    the training text, which is the text that really precedes them; no back-off is needed.
    """
    gram_counts, context_counts, V = _ngram_counts(train, val, n, vocab_size)
    return _bits(gram_counts, context_counts, V, k)


DEFAULT_KS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def best_add_k(train, val, n, ks=DEFAULT_KS, vocab_size=None):
    """Try every k in `ks` and return `(best_k, best_bits_per_char)`.

    k is chosen on the validation part itself, which flatters the baseline slightly:
    that is fair to the baseline, so a network that beats it has truly done better.
    Counting is done once; each extra k costs one vectorised pass.
    """
    if len(ks) == 0:
        raise BadInputError("ks is empty; pass at least one smoothing value, e.g. ks=(0.01, 0.1, 1.0)")
    gram_counts, context_counts, V = _ngram_counts(train, val, n, vocab_size)
    scores = [(_bits(gram_counts, context_counts, V, k), k) for k in ks]
    bits, k = min(scores)
    return k, bits


def bits_per_char(nats):
    """Convert a cross-entropy in nats (Keras's loss) to bits: nats / ln 2."""
    if np.ndim(nats) == 0:
        return float(nats) / math.log(2)
    return np.asarray(nats, dtype=np.float64) / math.log(2)


# --------------------------------------------------------------------------- sampling

def apply_temperature(probs, temperature):
    """Reshape a probability vector with a temperature: p_i^(1/T), renormalised.

    T = 1 returns the input (renormalised), T < 1 sharpens it, T > 1 flattens it. For
    T <= `MIN_TEMPERATURE` the result is one-hot at the argmax (greedy decoding; on ties,
    the first). The work is done with logarithms (log p / T, minus its maximum) so small
    temperatures neither overflow nor underflow to an all-zero vector.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if not np.isfinite(temperature) or temperature < 0:
        raise BadInputError(f"temperature must be a number of 0 or more, got {temperature}; use for example 0.8")
    if probs.ndim != 1 or probs.size == 0 or not np.all(np.isfinite(probs)) or np.any(probs < 0) or probs.sum() <= 0:
        raise ValueError("probs must be a non-empty 1-D array of non-negative, finite numbers with a positive sum")
    if temperature <= MIN_TEMPERATURE:
        out = np.zeros_like(probs)
        out[np.argmax(probs)] = 1.0
        return out
    with np.errstate(divide="ignore"):
        logits = np.log(probs) / temperature
    logits -= logits.max()
    out = np.exp(logits)
    return out / out.sum()


def sample_next(probs, temperature, rng=None):
    """Draw one index from `probs` reshaped by `temperature` (see `apply_temperature`).

    `rng` is a `np.random.Generator` (pass a seeded one for repeatable samples). With
    T <= `MIN_TEMPERATURE` the argmax is returned without drawing.
    """
    p = apply_temperature(probs, temperature)
    if temperature <= MIN_TEMPERATURE:
        return int(np.argmax(p))
    rng = np.random.default_rng() if rng is None else rng
    return int(rng.choice(len(p), p=p))


def prepare_prompt(prompt, mapping, fallback=None):
    """Encode a user-typed prompt, tolerating characters the model has never seen.

    * Typographic quotes, dashes, non-breaking spaces and tabs become their plain
      equivalents when the plain character is in the vocabulary.
    * Any other character not in `mapping` is dropped; each is reported once, in order.
    * If nothing is left (an empty prompt, or only unknown characters), the prompt
      becomes `fallback` (the case script passes the first character of the training
      text); without one, a space if the vocabulary has it, else the first vocabulary
      character. Generation therefore always has something to start from.

    Returns `(encoded_prompt as np.int32, dropped_characters as list)`.
    """
    kept, dropped = [], []
    for ch in prompt:
        if ch not in mapping and _LOOKALIKES.get(ch) in mapping:
            ch = _LOOKALIKES[ch]
        if ch in mapping:
            kept.append(mapping[ch])
        elif ch not in dropped:
            dropped.append(ch)
    if not kept:
        if fallback is not None and all(c in mapping for c in fallback) and fallback:
            kept = [mapping[c] for c in fallback]
        else:
            kept = [mapping[" "] if " " in mapping else min(mapping.values())]
    return np.array(kept, dtype=np.int32), dropped
