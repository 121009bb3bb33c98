"""Generating text one character at a time, carrying the trained SimpleRNN's hidden state forward."""


import numpy as np

from utils.language.corpus import LOOKALIKES
from utils.plumbing.errors import BadInputError
from utils.recurrent import cells

# Temperatures at or below this are treated as "always take the most likely character".
MIN_TEMPERATURE = 1e-6


# ------------------------------------------------------------------------ the model, one character at a time

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
    from utils.recurrent import cells

    x_t = weights["embedding"][np.asarray(char_ids)]  # the character's learned vector
    hidden_state = cells.simple_rnn_step(
        x_t, hidden_state, weights["kernel"], weights["recurrent_kernel"], weights["bias"],
        weights["activation"],
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
        raise BadInputError(
            f"temperature must be a number of 0 or more, got {temperature}; use for example 0.8"
        )
    if (probs.ndim != 1 or probs.size == 0 or not np.all(np.isfinite(probs)) or np.any(probs < 0)
            or probs.sum() <= 0):
        raise ValueError(
            "probs must be a non-empty 1-D array of non-negative, finite numbers with a positive sum"
        )
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
        if ch not in mapping and LOOKALIKES.get(ch) in mapping:
            ch = LOOKALIKES[ch]
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


def prompt_from_text(text, min_chars=16, max_chars=40):
    """A default prompt taken from the text itself: the first words of its first line of prose.

    "Prose" is the first line of at least 20 characters with a lowercase letter (a title in
    capitals is skipped); a text without one gives its own beginning. Whole words are taken
    until the prompt holds at least `min_chars` characters (a first word longer than
    `max_chars` is cut there), then a space. Pass the training part: every character of the
    prompt is then in the vocabulary, and the network has read these words.
    """
    line = next((line for line in text.splitlines()
                 if len(line.strip()) >= 20 and any(ch.islower() for ch in line)), text)
    prompt = ""
    for word in line.split():
        prompt = f"{prompt} {word}" if prompt else word
        if len(prompt) >= min_chars:
            break
    return prompt[:max_chars] + " " if prompt else text[:1]
