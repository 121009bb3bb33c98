"""Tests for utils/language/: toy cases small enough to check by hand."""

import math

import numpy as np
import pytest

from utils.language.corpus import (
    UNKNOWN,
    build_vocabulary,
    char_to_index,
    check_text_length,
    decode,
    encode,
    load_text,
    make_sequences,
    split_sizes,
    split_text,
)
from utils.language.generation import (
    apply_temperature,
    prepare_prompt,
    sample_next,
    softmax,
)
from utils.language.ngrams import best_add_k, bits_per_char, ngram_bits_per_char
from utils.plumbing.errors import BadInputError

# ----------------------------------------------------------------- vocabulary and encoding

def test_vocabulary_is_sorted_and_round_trip_is_exact():
    text = "hello, world\n"
    vocab = build_vocabulary(text)
    assert vocab == sorted(set(text))
    encoded = encode(text, char_to_index(vocab))
    assert encoded.dtype == np.int32
    assert decode(encoded, vocab) == text


def test_encode_unknown_character_names_it():
    with pytest.raises(BadInputError, match="'z'"):
        encode("abz", char_to_index(["a", "b"]))


# ----------------------------------------------------------------- split and windows

def test_split_text_is_chronological_with_the_test_part_last():
    encoded = np.arange(100)
    train, val, test = split_text(encoded, 0.1, 0.1)
    assert (len(train), len(val), len(test)) == (80, 10, 10)
    assert train.max() < val.min() and val.max() < test.min()  # each part comes after the one before
    np.testing.assert_array_equal(np.concatenate([train, val, test]), encoded)
    np.testing.assert_array_equal(test, encoded[-10:])  # the test part is the end of the text
    assert split_text("abcdefghij", 0.1, 0.1) == ("abcdefgh", "i", "j")
    assert split_text("abcdefghij", 0.2, 0.0) == ("abcdefgh", "ij", "")


def test_split_sizes_round_up_and_reject_bad_fractions():
    assert split_sizes(101, 0.1, 0.1) == (79, 11, 11)  # ceil(10.1) = 11 for validation and test
    for fractions in ((0.0, 0.1), (0.5, 0.5), (0.1, -0.1)):
        with pytest.raises(BadInputError, match="fraction"):
            split_sizes(100, *fractions)


def test_make_sequences_shapes_and_shift_by_one():
    encoded = np.arange(10)
    X, y = make_sequences(encoded, seq_len=4, stride=2)
    # windows start at 0, 2, 4 (a start at 6 would need characters 6..10, but 10 is missing)
    assert X.shape == y.shape == (3, 4)
    np.testing.assert_array_equal(X[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(y[0], [1, 2, 3, 4])
    np.testing.assert_array_equal(X[2], [4, 5, 6, 7])
    np.testing.assert_array_equal(y[:, :-1], X[:, 1:])  # y is X shifted by one
    assert make_sequences(encoded, seq_len=9)[0].shape == (1, 9)
    with pytest.raises(BadInputError, match="too short"):
        make_sequences(encoded, seq_len=10)


def test_check_text_length():
    assert check_text_length(1000, 40, 0.1, 0.1) == (800, 100, 100)
    # Each part needs 41 characters (a window of 40 plus the next one). Validation and
    # test are ceil(0.1 * n) each, which reaches 41 first at n = 401 (ceil(40.1) = 41).
    with pytest.raises(BadInputError, match="needs at least 401"):
        check_text_length(300, 40, 0.1, 0.1)
    assert check_text_length(401, 40, 0.1, 0.1) == (319, 41, 41)
    with pytest.raises(BadInputError, match="--seq-len"):
        check_text_length(400, 40, 0.1, 0.1)
    # Without a test part, only training and validation need a window.
    assert check_text_length(401, 40, 0.1, 0.0) == (360, 41, 0)


def test_unknown_symbol_stands_for_unseen_characters():
    vocab = build_vocabulary("abca", add_unknown=True)
    assert vocab == ["a", "b", "c", UNKNOWN] and build_vocabulary("abca") == ["a", "b", "c"]
    mapping = char_to_index(vocab)
    np.testing.assert_array_equal(encode("abzc", mapping, unknown=UNKNOWN), [0, 1, 3, 2])
    with pytest.raises(BadInputError, match="'z'"):
        encode("abzc", mapping)  # without `unknown`, an unseen character is an error


# ----------------------------------------------------------------- n-gram baselines

def test_unigram_add_k_by_hand():
    # train "aab", val "ab", V = 2, k = 1:
    #   P(a) = (2 + 1) / (3 + 1*2) = 3/5,  P(b) = (1 + 1) / (3 + 2) = 2/5
    #   bits = -(log2 3/5 + log2 2/5) / 2 = (0.7370 + 1.3219) / 2 = 1.0294
    expected = -(math.log2(3 / 5) + math.log2(2 / 5)) / 2
    assert ngram_bits_per_char("aab", "ab", n=1, k=1.0) == pytest.approx(expected)
    assert expected == pytest.approx(1.0294, abs=1e-4)


def test_bigram_by_hand_uses_end_of_train_as_context():
    # train "abab": bigrams ab, ba, ab -> count(ab)=2, count(ba)=1; contexts a:2, b:1.
    # val "ab": the 'a' follows the last train char 'b': P(a|b) = (1+1)/(1+2) = 2/3
    #           the 'b' follows 'a':                      P(b|a) = (2+1)/(2+2) = 3/4
    # product 1/2, so bits = -log2(1/2) / 2 = 0.5 exactly.
    assert ngram_bits_per_char("abab", "ab", n=2, k=1.0) == pytest.approx(0.5)


def test_predictable_text_scores_near_zero_with_tiny_k():
    assert ngram_bits_per_char("abcabcabc", "abc", n=2, k=1e-9) < 1e-6
    # the unigram model cannot use context: about log2(3) bits
    assert ngram_bits_per_char("abcabcabc", "abc", n=1, k=1e-9) == pytest.approx(math.log2(3), abs=1e-6)


def test_unseen_character_gets_a_finite_score():
    bits = ngram_bits_per_char("aaaa", "ab", n=2, k=0.5)  # 'b' never appears in train
    assert math.isfinite(bits) and bits > 0
    # P(a|a) = (3+.5)/(3+1) = 7/8, P(b|a) = .5/4 = 1/8
    assert bits == pytest.approx(-(math.log2(7 / 8) + math.log2(1 / 8)) / 2)


def test_larger_vocab_size_costs_more_bits_and_arrays_match_strings():
    assert ngram_bits_per_char("aab", "ab", 1, 1.0, vocab_size=4) > ngram_bits_per_char("aab", "ab", 1, 1.0)
    assert ngram_bits_per_char(np.array([0, 0, 1]), np.array([0, 1]), 1, 1.0) == pytest.approx(
        ngram_bits_per_char("aab", "ab", 1, 1.0)
    )


def test_context_is_the_text_before_the_scored_part():
    # train "abab" (a=0, b=1) counts as in the test above, with V = 3 (x=2). Score "b"
    # preceded by the context "xa" (its last character 'a' is what comes just before):
    # P(b|a) = (2+1)/(2+3) = 3/5. With the default context, the end of train ('b'):
    # P(b|b) = (0+1)/(1+3) = 1/4.
    train, val = np.array([0, 1, 0, 1]), np.array([1])
    assert ngram_bits_per_char(train, val, 2, 1.0, vocab_size=3, context=np.array([2, 0])) == pytest.approx(
        -math.log2(3 / 5)
    )
    assert ngram_bits_per_char(train, val, 2, 1.0, vocab_size=3) == pytest.approx(2.0)
    # best_add_k passes the context on: the same k and score as scoring each k by hand
    k, bits = best_add_k(train, val, 2, ks=(0.1, 1.0), vocab_size=3, context=np.array([2, 0]))
    assert bits == pytest.approx(
        min(ngram_bits_per_char(train, val, 2, kk, 3, context=np.array([2, 0])) for kk in (0.1, 1.0))
    )


def test_best_add_k_returns_the_minimum_over_ks():
    train, val = "the cat sat on the mat. " * 5, "the rat sat on the hat."
    ks = (0.01, 0.1, 1.0)
    k, bits = best_add_k(train, val, n=3, ks=ks)
    scores = {kk: ngram_bits_per_char(train, val, 3, kk) for kk in ks}
    assert k in ks and bits == pytest.approx(min(scores.values()))
    assert scores[k] == pytest.approx(bits)


def test_bits_per_char_converts_nats():
    assert bits_per_char(math.log(2)) == pytest.approx(1.0)
    np.testing.assert_allclose(bits_per_char([0.0, 2 * math.log(2)]), [0.0, 2.0])


# ----------------------------------------------------------------- the model one character at a time

def test_softmax_is_stable_and_sums_to_one():
    p = softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, math.log(3), 0.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.2, 0.6, 0.2]])


def test_carrying_the_state_equals_rereading_from_a_zero_state():
    """Generation carries the hidden state: one step per new character.

    The probabilities after each character equal those of the Keras model re-reading the
    whole context since the zero state, within 1e-5. They equal a re-read of only the last
    L characters exactly while the context is at most L long; after that the re-read
    window has dropped characters the carried state still holds, so the two differ.
    """
    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras

    from utils.language.generation import char_model_step, char_model_weights

    keras.utils.set_random_seed(0)
    vocab_size, units, window = 7, 6, 8
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, 4),
        keras.layers.SimpleRNN(units, return_sequences=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    ])
    context = np.random.default_rng(0).integers(0, vocab_size, size=30)
    weights = char_model_weights(model)

    carried, state = [], np.zeros(units, dtype=np.float32)
    for char_id in context:
        probabilities, state = char_model_step(char_id, state, weights)
        carried.append(probabilities)
    carried = np.array(carried)

    # re-read from the zero state, all at once
    whole = keras.ops.convert_to_numpy(model(context[np.newaxis]))[0]
    np.testing.assert_allclose(carried, whole, atol=1e-5)

    windows = np.stack([context[t + 1 - window : t + 1] for t in range(window - 1, len(context))])
    # re-read only the last `window` characters
    reread_last = keras.ops.convert_to_numpy(model(windows))[:, -1]
    np.testing.assert_allclose(carried[window - 1], reread_last[0], atol=1e-5)  # same context: equal
    assert np.abs(carried[window:] - reread_last[1:]).max() > 1e-4  # the window forgot what the state holds

    batch = char_model_step(np.array([1, 2]), np.zeros((2, units), dtype=np.float32), weights)[0]
    np.testing.assert_allclose(batch.sum(axis=1), 1.0)  # a batch of rows works too


# ----------------------------------------------------------------- temperature and sampling

PROBS = np.array([0.1, 0.6, 0.3])


def _entropy(p):
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def test_temperature_near_zero_is_one_hot_argmax():
    for t in (0.0, 1e-9, 1e-6):
        np.testing.assert_array_equal(apply_temperature(PROBS, t), [0.0, 1.0, 0.0])
    sharp = apply_temperature(PROBS, 0.01)  # small but above the cut-off: no overflow, no NaN
    assert np.all(np.isfinite(sharp)) and sharp[1] == pytest.approx(1.0)


def test_temperature_one_returns_the_input():
    np.testing.assert_allclose(apply_temperature(PROBS, 1.0), PROBS)


def test_higher_temperature_flattens_monotonically():
    entropies = [_entropy(apply_temperature(PROBS, t)) for t in (0.25, 0.5, 1.0, 2.0, 5.0, 100.0)]
    assert all(a < b for a, b in zip(entropies, entropies[1:]))
    assert entropies[-1] == pytest.approx(math.log2(3), abs=1e-2)  # nearly uniform


def test_negative_temperature_is_rejected():
    with pytest.raises(BadInputError, match="temperature"):
        apply_temperature(PROBS, -1.0)


def test_sample_next_with_tiny_temperature_always_picks_argmax():
    rng = np.random.default_rng(0)
    assert {sample_next(PROBS, 1e-7, rng) for _ in range(50)} == {1}


def test_sample_next_at_temperature_one_follows_the_probabilities():
    rng = np.random.default_rng(0)
    draws = np.array([sample_next(PROBS, 1.0, rng) for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 3000, PROBS, atol=0.03)


# ----------------------------------------------------------------- prompts

def test_prepare_prompt_drops_unknown_characters_and_reports_them():
    mapping = char_to_index(build_vocabulary("the cat"))
    encoded, dropped = prepare_prompt("the Cat\u00e9!", mapping)
    assert decode(encoded, build_vocabulary("the cat")) == "the at"
    assert dropped == ["C", "\u00e9", "!"]


def test_prepare_prompt_maps_curly_quotes_when_plain_ones_are_known():
    vocab = build_vocabulary("it's")
    encoded, dropped = prepare_prompt("it\u2019s", char_to_index(vocab))
    assert decode(encoded, vocab) == "it's" and dropped == []


def test_prepare_prompt_falls_back_when_nothing_is_left():
    vocab = build_vocabulary("ab c")
    mapping = char_to_index(vocab)
    encoded, dropped = prepare_prompt("XYZ", mapping, fallback="a")
    assert decode(encoded, vocab) == "a" and dropped == ["X", "Y", "Z"]
    encoded, _ = prepare_prompt("", mapping)
    assert decode(encoded, vocab) == " "  # default without a fallback: a space


# ----------------------------------------------------------------- loading files

def test_load_text_reads_utf8_and_normalises_line_endings(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_bytes("\ufeffcaf\u00e9\r\nbar\n".encode("utf-8"))
    assert load_text(path) == "caf\u00e9\nbar\n"


def test_load_text_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        load_text(tmp_path / "nope.txt")


def test_load_text_folder(tmp_path):
    with pytest.raises(BadInputError, match="folder"):
        load_text(tmp_path)


def test_load_text_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n")
    with pytest.raises(BadInputError, match="empty"):
        load_text(path)


def test_load_text_binary_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc\x00def")
    with pytest.raises(BadInputError, match="binary"):
        load_text(path)


def test_load_text_not_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("hello caf\u00e9".encode("latin-1"))  # 0xe9 at offset 9
    with pytest.raises(BadInputError, match="UTF-8") as info:
        load_text(path)
    assert "offset 9" in str(info.value) and "\n" not in str(info.value)


def test_count_ngrams_counts_each_bigram_and_its_context_once():
    from utils.language.ngrams import count_ngrams

    ids = np.array([0, 1, 0, 1, 2])  # bigrams: 01, 10, 01, 12
    table = count_ngrams(ids, 2, 3)
    assert table.gram_count(np.array([0 * 3 + 1, 1 * 3 + 0, 1 * 3 + 2, 2 * 3 + 0])).tolist() == [2, 1, 1, 0]
    assert table.context_count(np.array([0, 1, 2])).tolist() == [2, 2, 0]  # "2" never precedes anything


def test_ngram_order_and_length_checks_are_one_clear_line():
    from utils.language.ngrams import check_lengths, check_order

    with pytest.raises(BadInputError, match="order must be 1 or more"):
        check_order(0)
    with pytest.raises(BadInputError, match="too few for an order-3 model"):
        check_lengths(3, 2, 5)
    with pytest.raises(BadInputError, match="needs 2"):
        check_lengths(3, 10, 1)
    check_lengths(3, 3, 2)  # exactly enough
