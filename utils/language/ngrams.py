"""n-gram character models with add-k smoothing, and bits per character: the baselines of Case 17-1."""

import math
from typing import NamedTuple

import numpy as np

from utils.language.corpus import build_vocabulary, char_to_index
from utils.plumbing.errors import BadInputError

# --------------------------------------------------------------------------- n-gram baselines

def _as_ids(train, val, vocab_size, context=None):
    """Both parts (and the context, if any) as int64 arrays plus the vocabulary size V."""
    if isinstance(train, str) != isinstance(val, str) or (
        context is not None and isinstance(context, str) != isinstance(val, str)
    ):
        raise TypeError("train, val and context must all be strings or all be integer arrays")
    if isinstance(train, str):
        mapping = char_to_index(build_vocabulary(train + val + (context or "")))
        train_ids, val_ids = (np.array([mapping[c] for c in part], dtype=np.int64) for part in (train, val))
        context_ids = None if context is None else np.array([mapping[c] for c in context], dtype=np.int64)
    else:
        train_ids = np.asarray(train, dtype=np.int64)
        val_ids = np.asarray(val, dtype=np.int64)
        context_ids = None if context is None else np.asarray(context, dtype=np.int64)
    parts = (train_ids, val_ids, context_ids)
    needed = int(max(part.max(initial=-1) for part in parts if part is not None)) + 1
    if isinstance(train, str):
        needed = len(mapping)
    if vocab_size is None:
        vocab_size = needed
    elif vocab_size < needed:
        raise ValueError(f"vocab_size={vocab_size} is smaller than the {needed} characters the data needs")
    return train_ids, val_ids, (train_ids if context_ids is None else context_ids), int(vocab_size)


class NgramCounts(NamedTuple):
    """Every n-gram of a training text counted once, and every (n-1)-character context.

    Each n-gram is packed into one integer (base-V digits, last character least significant),
    so counting is `np.unique` and looking up is `np.searchsorted`: well under a second for 50 KB.
    A context's code is its n-gram's code // V; "context, then c" is context * V + c.
    """

    place: np.ndarray  # V ** (n-1), ..., V, 1: the digit weights of a packed n-gram
    grams: np.ndarray  # sorted packed n-grams seen in training
    gram_counts: np.ndarray
    contexts: np.ndarray  # sorted packed contexts seen in training
    context_counts: np.ndarray

    def gram_count(self, codes):
        """How often each packed n-gram in `codes` occurred in training (0 if never)."""
        return _lookup(self.grams, self.gram_counts, codes)

    def context_count(self, codes):
        """How often each packed context in `codes` occurred in training (0 if never)."""
        return _lookup(self.contexts, self.context_counts, codes)


def _lookup(keys, counts, queries):
    position = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[position] == queries, counts[position], 0)


def count_ngrams(train_ids, n, V):
    """Count the order-`n` n-grams of `train_ids` (integer array, indices below V) and their contexts."""
    if V ** n >= 2 ** 62:
        raise ValueError(f"V**n = {V}**{n} is too large to pack n-grams into 64-bit integers")
    place = V ** np.arange(n - 1, -1, -1, dtype=np.int64)
    train_codes = np.lib.stride_tricks.sliding_window_view(np.asarray(train_ids, dtype=np.int64), n) @ place
    grams, gram_counts = np.unique(train_codes, return_counts=True)
    contexts, context_counts = np.unique(train_codes // V, return_counts=True)
    return NgramCounts(place, grams, gram_counts, contexts, context_counts)


def check_order(n):
    """An n-gram order below 1 is bad input: one clear line."""
    if n < 1:
        raise BadInputError(f"n-gram order must be 1 or more, got {n}")


def check_lengths(n, n_train, n_context):
    """An order-n model needs n training characters and n-1 characters of context before the scored part."""
    if n_train < n:
        raise BadInputError(f"the training part has {n_train} characters, too few for an order-{n} model")
    if n_context < n - 1:
        raise BadInputError(f"the context has {n_context} characters; an order-{n} model needs {n - 1}")


def _ngram_counts(train, val, n, vocab_size=None, context=None):
    """For each scored character: its n-gram count and its context count in train.

    Returns `(gram_counts, context_counts, V)`, arrays of length len(val) (see `count_ngrams`).
    """
    check_order(n)
    train_ids, val_ids, before_ids, V = _as_ids(train, val, vocab_size, context)
    if len(val_ids) == 0:
        raise BadInputError("the part to score is empty; use a longer text or a larger fraction")
    check_lengths(n, len(train_ids), len(before_ids))
    table = count_ngrams(train_ids, n, V)
    # The context of the first n-1 scored characters is taken from the end of the text
    # that really precedes them (the training text, unless `context` says otherwise).
    full = np.concatenate([before_ids[len(before_ids) - (n - 1):] if n > 1 else before_ids[:0], val_ids])
    val_codes = np.lib.stride_tricks.sliding_window_view(full, n) @ table.place
    return table.gram_count(val_codes), table.context_count(val_codes // V), V


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
