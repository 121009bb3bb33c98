"""Tests for utils/language/mixture.py: toy cases small enough to check by hand."""

import math

import numpy as np
import pytest

from utils.language.corpus import make_sequences
from utils.language.mixture import (
    DEFAULT_WEIGHTS,
    choose_weight,
    mixture_bits,
    ngram_distributions,
    ngram_target_probabilities,
    picked_model,
    target_probabilities,
)
from utils.language.ngrams import ngram_bits_per_char
from utils.plumbing.errors import BadInputError

# The toy alphabet: a=0, b=1, c=2 (V = 3). Training text "aab": bigrams aa, ab.


def test_bigram_distribution_by_hand():
    train = np.array([0, 0, 1])  # a a b
    # Score "b" then "a", preceded by "a" (the context's last character).
    dist = ngram_distributions(train, targets=[1, 0], n=2, k=1.0, vocab_size=3, context=[0])
    # After "a": count(a)=2 as a context (aa, ab); aa=1, ab=1, ac=0 -> (1+1, 1+1, 0+1) / (2+3).
    np.testing.assert_allclose(dist[0], [2 / 5, 2 / 5, 1 / 5])
    # After "b" (the first target): never a context in training -> uniform (0+1)/(0+3).
    np.testing.assert_allclose(dist[1], [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(dist.sum(axis=1), 1.0)


def test_unigram_distribution_is_smoothed_character_frequency():
    train = np.array([0, 0, 1, 2])
    dist = ngram_distributions(train, targets=[2, 2], n=1, k=0.5, vocab_size=3, context=[])
    expected = np.array([2.5, 1.5, 1.5]) / (4 + 1.5)
    np.testing.assert_allclose(dist, [expected, expected])


def test_target_probabilities_pick_the_true_character():
    train = np.array([0, 0, 1])
    p = ngram_target_probabilities(train, targets=[1, 0], n=2, k=1.0, vocab_size=3, context=[0])
    np.testing.assert_allclose(p, [2 / 5, 1 / 3])


def test_context_decides_the_first_rows():
    train = np.array([0, 1, 2, 0, 1, 2])  # abcabc: after "ab" always "c"
    with_ab = ngram_target_probabilities(train, [2], n=3, k=0.1, vocab_size=3, context=[0, 1])
    with_ba = ngram_target_probabilities(train, [2], n=3, k=0.1, vocab_size=3, context=[1, 0])
    assert with_ab[0] == pytest.approx((2 + 0.1) / (2 + 0.3))
    assert with_ba[0] == pytest.approx(1 / 3)  # "ba" never seen: uniform


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_agrees_with_ngrams_module(n):
    rng = np.random.default_rng(0)
    text = rng.integers(0, 5, 400)
    train, val = text[:300], text[300:]
    p = ngram_target_probabilities(train, val, n=n, k=0.1, vocab_size=6, context=text[:300])
    expected = ngram_bits_per_char(train, val, n, k=0.1, vocab_size=6, context=text[:300])
    assert -np.mean(np.log2(p)) == pytest.approx(expected, rel=1e-12)


def test_ngram_refuses_bad_input():
    with pytest.raises(BadInputError, match="k > 0"):
        ngram_distributions([0, 1], [1], n=1, k=0, vocab_size=2, context=[])
    with pytest.raises(BadInputError, match="context"):
        ngram_distributions([0, 1, 0], [1], n=3, k=1, vocab_size=2, context=[0])
    with pytest.raises(ValueError, match="vocab_size"):
        ngram_distributions([0, 1, 2], [1], n=1, k=1, vocab_size=2, context=[])


def test_network_target_probabilities_follow_ravel_order():
    probabilities = np.array([[[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]],
                              [[0.3, 0.3, 0.4], [0.5, 0.25, 0.25]]])  # 2 windows, 2 positions, V=3
    targets = np.array([[0, 1], [2, 1]])
    np.testing.assert_allclose(target_probabilities(probabilities, targets), [0.7, 0.8, 0.4, 0.25])
    with pytest.raises(ValueError, match="do not match"):
        target_probabilities(probabilities, targets[:, :1])


def test_mixture_bits_by_hand():
    p_rnn, p_ngram = np.array([0.5, 0.25]), np.array([0.25, 0.5])
    assert mixture_bits(p_rnn, p_ngram, 1.0) == pytest.approx(1.5)  # (1 + 2) / 2
    assert mixture_bits(p_rnn, p_ngram, 0.0) == pytest.approx(1.5)
    # Half and half: 0.375 at both positions.
    assert mixture_bits(p_rnn, p_ngram, 0.5) == pytest.approx(-math.log2(0.375))
    # A zero probability costs infinitely many bits, unless the other model keeps a share.
    assert mixture_bits([0.0, 0.5], [0.5, 0.5], 1.0) == math.inf
    assert math.isfinite(mixture_bits([0.0, 0.5], [0.5, 0.5], 0.9))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mixture_bits(p_rnn, p_ngram, 1.5)


def test_choose_weight_mixes_models_that_err_in_different_places():
    # Each model is sure where the other is lost: the mixture beats both.
    p_rnn, p_ngram = np.array([0.9, 0.01]), np.array([0.01, 0.9])
    weight, bits, scores = choose_weight(p_rnn, p_ngram)
    assert set(scores) == set(DEFAULT_WEIGHTS) and 0.0 in scores and 1.0 in scores
    assert weight == 0.5 and bits == pytest.approx(-math.log2(0.455))
    assert bits < min(scores[0.0], scores[1.0])
    assert picked_model(weight) == "mixture"


def test_choose_weight_falls_back_on_one_model():
    better = np.array([0.8, 0.7, 0.9])
    worse = better / 4
    assert choose_weight(better, worse)[0] == 1.0 and picked_model(1.0) == "SimpleRNN"
    assert choose_weight(worse, better)[0] == 0.0 and picked_model(0.0) == "n-gram"
    with pytest.raises(BadInputError):
        choose_weight(better, worse, weights=())


def test_ngram_rows_line_up_with_the_case_windows():
    # Training text 0 1 2 3 4 0 1 ...: after c always comes (c + 1) % 5, so each bigram row
    # points at the successor of the character it conditions on.
    train = np.arange(200) % 5
    val = np.random.default_rng(1).integers(0, 5, 41)
    encoded = np.concatenate([train, val])
    X_val, y_val = make_sequences(val, seq_len=8, stride=8)  # the case's non-overlapping windows
    targets = y_val.ravel()
    dist = ngram_distributions(train, targets, n=2, k=0.01, vocab_size=5, context=encoded[: len(train) + 1])
    # Row i conditions on the character the network reads at that position: X_val.ravel()[i].
    np.testing.assert_array_equal(dist.argmax(axis=1), (X_val.ravel() + 1) % 5)
