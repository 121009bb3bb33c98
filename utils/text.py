"""Text helpers for the character-level language-model case: load, split, encode, window,
score counting baselines, run the trained model one character at a time, and sample with
a temperature.

Everything here is plain Python and NumPy, so it is quick to test and easy to read; only
`char_model_weights` touches a Keras model, to copy its weights out. Conventions used
throughout:

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


def index_to_char(vocab):
    """Dict mapping each index to its character (the inverse of `char_to_index`)."""
    return dict(enumerate(vocab))


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


# --------------------------------------------------------------------------- n-gram baselines

def _as_ids(train, val, vocab_size, context=None):
    """Both parts (and the context, if any) as int64 arrays plus the vocabulary size V."""
    if isinstance(train, str) != isinstance(val, str) or (context is not None and isinstance(context, str) != isinstance(val, str)):
        raise TypeError("train, val and context must all be strings or all be integer arrays")
    if isinstance(train, str):
        mapping = char_to_index(build_vocabulary(train + val + (context or "")))
        train_ids, val_ids = (np.array([mapping[c] for c in part], dtype=np.int64) for part in (train, val))
        context_ids = None if context is None else np.array([mapping[c] for c in context], dtype=np.int64)
    else:
        train_ids = np.asarray(train, dtype=np.int64)
        val_ids = np.asarray(val, dtype=np.int64)
        context_ids = None if context is None else np.asarray(context, dtype=np.int64)
    needed = int(max(part.max(initial=-1) for part in (train_ids, val_ids, context_ids) if part is not None)) + 1
    if isinstance(train, str):
        needed = len(mapping)
    if vocab_size is None:
        vocab_size = needed
    elif vocab_size < needed:
        raise ValueError(f"vocab_size={vocab_size} is smaller than the {needed} characters the data needs")
    return train_ids, val_ids, (train_ids if context_ids is None else context_ids), int(vocab_size)


def _ngram_counts(train, val, n, vocab_size=None, context=None):
    """For each scored character: its n-gram count and its context count in train.

    Returns `(gram_counts, context_counts, V)`, arrays of length len(val). Each n-gram is
    packed into one integer (base-V digits, last character least significant), so the
    counting is `np.unique` plus `np.searchsorted`: well under a second for 50 KB.
    """
    if n < 1:
        raise BadInputError(f"n-gram order must be 1 or more, got {n}")
    train_ids, val_ids, before_ids, V = _as_ids(train, val, vocab_size, context)
    if len(val_ids) == 0:
        raise BadInputError("the part to score is empty; use a longer text or a larger fraction")
    if len(train_ids) < n:
        raise BadInputError(f"the training part has {len(train_ids)} characters, too few for an order-{n} model")
    if len(before_ids) < n - 1:
        raise BadInputError(f"the context has {len(before_ids)} characters; an order-{n} model needs {n - 1}")
    if V ** n >= 2 ** 62:
        raise ValueError(f"V**n = {V}**{n} is too large to pack n-grams into 64-bit integers")
    weights = V ** np.arange(n - 1, -1, -1, dtype=np.int64)

    def codes(ids):
        return np.lib.stride_tricks.sliding_window_view(ids, n) @ weights

    train_codes = codes(train_ids)
    grams, gram_counts = np.unique(train_codes, return_counts=True)
    contexts, context_counts = np.unique(train_codes // V, return_counts=True)

    # The context of the first n-1 scored characters is taken from the end of the text
    # that really precedes them (the training text, unless `context` says otherwise).
    full = np.concatenate([before_ids[len(before_ids) - (n - 1):] if n > 1 else before_ids[:0], val_ids])
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


def ngram_bits_per_char(train, val, n, k=1.0, vocab_size=None, context=None):
    """Cross-entropy (bits per character) of an order-`n` character model on `val`.

    The model is fitted by counting on `train` and scored on `val` (any part that is
    not the training text: validation, or test):

        P(c | context) = (count(context + c) + k) / (count(context) + k * V)

    where the context is the previous n-1 characters (none for n=1, the unigram model),
    counts come from the training text only, and V is the vocabulary size. Add-k
    smoothing gives every character a non-zero probability, so characters or contexts
    never seen in training still get a finite score.

    `train` and `val` are both strings (V = number of distinct characters in train+val)
    or both integer arrays (V = largest index + 1). Pass `vocab_size` to use a larger V,
    e.g. the vocabulary of a neural model, so the scores are comparable.

    The first n-1 scored characters take their context from the text just before `val`:
    by default the end of `train`; pass `context` (the text that really precedes `val`,
    e.g. training + validation before a test part) when `val` does not follow `train`
    directly. No back-off is needed.
    """
    gram_counts, context_counts, V = _ngram_counts(train, val, n, vocab_size, context)
    return _bits(gram_counts, context_counts, V, k)


DEFAULT_KS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def best_add_k(train, val, n, ks=DEFAULT_KS, vocab_size=None, context=None):
    """Try every k in `ks` on `val` and return `(best_k, best_bits_per_char)`.

    Pass the validation part as `val`: k is a choice, so it is made on validation, and
    the chosen k is then used unchanged on the test part (`ngram_bits_per_char`).
    Counting is done once; each extra k costs one vectorised pass. `context` as in
    `ngram_bits_per_char`.
    """
    if len(ks) == 0:
        raise BadInputError("ks is empty; pass at least one smoothing value, e.g. ks=(0.01, 0.1, 1.0)")
    gram_counts, context_counts, V = _ngram_counts(train, val, n, vocab_size, context)
    scores = [(_bits(gram_counts, context_counts, V, k), k) for k in ks]
    bits, k = min(scores)
    return k, bits


def bits_per_char(nats):
    """Convert a cross-entropy in nats (Keras's loss) to bits: nats / ln 2."""
    if np.ndim(nats) == 0:
        return float(nats) / math.log(2)
    return np.asarray(nats, dtype=np.float64) / math.log(2)


# --------------------------------------------------------------------------- the model, one character at a time

def softmax(logits):
    """exp(logits) / sum(exp(logits)) along the last axis, computed without overflow."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def char_model_weights(model):
    """The weights of a trained Embedding -> SimpleRNN -> Dense(softmax) model, as NumPy arrays.

    Returns a dict: embedding (V, E), kernel (E, units), recurrent_kernel (units, units),
    bias (units,), activation (NumPy function), dense_kernel (units, V), dense_bias (V,).
    Raises ValueError for a model of another shape.
    """
    from utils import cells

    if len(model.layers) != 3:
        raise ValueError(f"expected Embedding -> SimpleRNN -> Dense, got {len(model.layers)} layers")
    embedding_layer, rnn_layer, dense_layer = model.layers
    weights = cells.cell_weights(rnn_layer)  # kind, units, kernel, recurrent_kernel, bias, activation
    if weights["kind"] != "simple_rnn" or getattr(dense_layer.activation, "__name__", "") != "softmax":
        raise ValueError("expected Embedding -> SimpleRNN -> Dense(activation='softmax')")
    weights["embedding"] = np.asarray(embedding_layer.get_weights()[0], dtype=np.float32)
    dense_kernel, dense_bias = dense_layer.get_weights()
    weights["dense_kernel"] = np.asarray(dense_kernel, dtype=np.float32)
    weights["dense_bias"] = np.asarray(dense_bias, dtype=np.float32)
    return weights


def char_model_step(char_ids, hidden_state, weights):
    """Read ONE more character and return `(next-character probabilities, new hidden state)`.

    This is one step of the recurrence, h_t = tanh(x_t·W + h_{t-1}·U + b), with x_t the
    character's embedding vector, followed by the Dense softmax on h_t. Feeding a text one
    character at a time, carrying `hidden_state` from each call to the next and starting
    from zeros, gives the same probabilities as the Keras model reading the whole text
    at once (float rounding aside).

    char_ids: one index (shape ()) or one per row of a batch (shape (batch,));
    hidden_state: shape (units,) or (batch, units); weights: from `char_model_weights`.
    Probabilities are float64, shape (V,) or (batch, V).
    """
    from utils import cells

    x_t = weights["embedding"][np.asarray(char_ids)]  # the character's learned vector
    hidden_state = cells.simple_rnn_step(
        x_t, hidden_state, weights["kernel"], weights["recurrent_kernel"], weights["bias"], weights["activation"]
    ).hidden_state
    probabilities = softmax(hidden_state @ weights["dense_kernel"] + weights["dense_bias"])
    return probabilities, hidden_state


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
