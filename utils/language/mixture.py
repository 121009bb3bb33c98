"""Mixing the network's next-character probabilities with an n-gram's: Case 17-1's hybrid.

The forecasting cases correct a classical model with a network; the language-model
counterpart is older and simpler: *interpolate* the two models' probabilities,

    p_mix(c | history) = w * p_rnn(c | history) + (1 - w) * p_ngram(c | last n-1 characters)

with one weight w in [0, 1] chosen on the validation part. Any such mixture is a proper
distribution (it sums to 1), and w = 1 is the network alone, w = 0 the n-gram alone, so
validation can always fall back on either. Mikolov, Deoras, Kombrink, Burget and Cernocky
("Empirical evaluation and combination of advanced language modeling techniques",
Interspeech 2011) combined neural-network language models, recurrent ones among them, with
n-gram and other models by this kind of linear interpolation.

Why it helps: the two models make different mistakes. The n-gram copies exact strings
it counted (names, rare words) that a small network blurs; the network generalises
across contexts the n-gram never saw. Where one is confidently wrong, the other keeps
the mixture's probability of the true character away from zero, and -log2 punishes
near-zero probabilities hardest.

Conventions as in the rest of utils/language/: texts are encoded as integer arrays of
vocabulary indices; scores are bits per character (lower is better). Probabilities are
per scored position, aligned with the network's: position i is the i-th label of the
non-overlapping windows, i.e. `y.ravel()[i]`.
"""

import numpy as np

from utils.language import ngrams
from utils.plumbing.errors import BadInputError

# The weights validation tries: both ends (one model alone) and nine mixtures between.
DEFAULT_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))


# --------------------------------------------------------------------------- n-gram probabilities

def ngram_distributions(train_ids, targets, n, k, vocab_size, context):
    """The add-k n-gram's full next-character distribution before each of `targets`.

    Returns an array of shape `(len(targets), vocab_size)`: row i is

        P(c | previous n-1 characters) = (count(context + c) + k) / (count(context) + k * V)

    for every character c, with counts from `train_ids` only (the same model as
    `utils.language.ngrams.ngram_bits_per_char`). Row i conditions on the n-1 characters
    just before `targets[i]`: for the first ones they come from the end of `context`, the
    text that really precedes `targets` (for the validation labels of Case 17-1,
    `encoded[: val_start + 1]`); after that, from `targets` itself. Each row sums to 1.
    """
    train_ids = np.asarray(train_ids, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    context = np.asarray(context, dtype=np.int64)
    V = int(vocab_size)
    ngrams.check_order(n)
    if not k > 0:
        raise BadInputError(f"add-k smoothing needs k > 0, got {k}; use for example 0.1")
    if len(targets) == 0:
        raise BadInputError("there are no characters to score; use a longer text")
    ngrams.check_lengths(n, len(train_ids), len(context))
    largest = max(int(part.max(initial=-1)) for part in (train_ids, targets, context))
    if largest >= V:
        raise ValueError(f"vocab_size={V} is too small for character index {largest}")
    table = ngrams.count_ngrams(train_ids, n, V)
    # The context of each scored character: the n-1 characters before it.
    before = np.concatenate([context[len(context) - (n - 1):] if n > 1 else context[:0], targets[:-1]])
    if n > 1:
        query_contexts = np.lib.stride_tricks.sliding_window_view(before, n - 1) @ table.place[1:]
    else:
        query_contexts = np.zeros(len(targets), dtype=np.int64)
    every_gram = query_contexts[:, None] * V + np.arange(V, dtype=np.int64)  # (positions, V)
    numerators = table.gram_count(every_gram) + k
    denominators = table.context_count(query_contexts) + k * V
    return numerators / denominators[:, None]


def ngram_target_probabilities(train_ids, targets, n, k, vocab_size, context):
    """The add-k n-gram's probability of each actual character of `targets`, given the ones before.

    One number per position, aligned with `targets`; arguments as in `ngram_distributions`.
    `-mean(log2(...))` of the result is `ngrams.ngram_bits_per_char` on the same characters.
    """
    distributions = ngram_distributions(train_ids, targets, n, k, vocab_size, context)
    return distributions[np.arange(len(distributions)), np.asarray(targets, dtype=np.int64)]


# --------------------------------------------------------------------------- network probabilities

def target_probabilities(probabilities, targets):
    """Pick, at every position, the probability a model gave the character that came next.

    `probabilities` has shape `(..., V)` (for Case 17-1, `model.predict(X_val)`: windows,
    positions, V) and `targets` the matching shape without the last axis (`y_val`). Returns
    a flat float64 array in the order of `targets.ravel()`, the order of the n-gram's
    probabilities of the same characters.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.int64)
    if probabilities.shape[:-1] != targets.shape:
        raise ValueError(
            f"probabilities of shape {probabilities.shape} do not match targets of shape {targets.shape}"
        )
    flat = probabilities.reshape(-1, probabilities.shape[-1])
    return flat[np.arange(len(flat)), targets.ravel()]


# --------------------------------------------------------------------------- the mixture

def mixture_bits(p_rnn, p_ngram, weight):
    """Bits per character of `weight * p_rnn + (1 - weight) * p_ngram` on the same characters.

    `p_rnn` and `p_ngram` are each model's probability of the true character at every
    position (aligned, same length). A probability of 0 costs infinitely many bits: the
    network alone (weight 1) can score inf if its softmax underflowed, and validation then
    never picks it; any weight below 1 keeps the add-k n-gram's non-zero share.
    """
    p_rnn = np.asarray(p_rnn, dtype=np.float64)
    p_ngram = np.asarray(p_ngram, dtype=np.float64)
    if p_rnn.shape != p_ngram.shape or p_rnn.ndim != 1 or len(p_rnn) == 0:
        raise ValueError(
            f"p_rnn {p_rnn.shape} and p_ngram {p_ngram.shape} must be aligned, non-empty 1-D arrays"
        )
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the mixture weight must lie in [0, 1], got {weight}")
    mixed = weight * p_rnn + (1.0 - weight) * p_ngram
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log2(mixed)))


def choose_weight(p_rnn_val, p_ngram_val, weights=DEFAULT_WEIGHTS):
    """Try every weight on the validation part; return `(best_weight, its_bits, {weight: bits})`.

    The weight is a choice, so it is made on validation and then used unchanged on the
    test part (`mixture_bits(p_rnn_test, p_ngram_test, best_weight)`). On a tie the weight
    listed first wins.
    """
    if len(weights) == 0:
        raise BadInputError("no mixture weights to try; pass for example (0.0, 0.5, 1.0)")
    scores = {float(w): mixture_bits(p_rnn_val, p_ngram_val, w) for w in weights}
    best = min(scores, key=scores.get)
    return best, scores[best], scores


def picked_model(weight):
    """What a chosen weight means: 'SimpleRNN' (w = 1), 'n-gram' (w = 0), or 'mixture'."""
    if weight == 1.0:
        return "SimpleRNN"
    if weight == 0.0:
        return "n-gram"
    return "mixture"
