"""End-to-end tests of Case 17-1 (SimpleRNN character model) on a tiny generated text.

The sampling and n-gram unit tests live in tests/test_text.py; here we check the script:
it runs, writes its outputs, is repeatable, saves a model that reloads to the same
predictions, and refuses bad input with one clear line.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import run_script, assert_clean_failure, read_metrics

from utils import text as text_utils

SCRIPT = "Case17-1-TF-Recurrent-Neural-Networks-RNN.py"
# Tiny settings: the whole run is a few seconds after TensorFlow has loaded.
TINY_FLAGS = ["--seq-len", 16, "--units", 8, "--epochs", 2, "--batch-size", 64,
              "--length", 40, "--temperature", 0.5, 1.0, "--no-show"]
# The snowman is not in the tiny text's vocabulary: the script must drop it and say so.
PROMPT = "the cat \u2603"
METRIC_KEYS = {
    "model_bits_per_char", "baselines", "best_ngram", "val_chars", "fit_seconds", "params",
    "seed", "seq_len", "epochs", "units", "vocab_size", "vocabulary", "backend",
}


def write_tiny_text(path, n_sentences=170, seed=0):
    """About 4 KB of short, repetitive sentences: easy to learn in a few seconds."""
    rng = np.random.default_rng(seed)
    subjects = ["the cat", "a dog", "the bird", "my friend", "the teacher", "a small robot"]
    verbs = ["sees", "likes", "follows", "draws", "remembers", "finds"]
    objects = ["the ball", "a red box", "the garden", "an old song", "the river", "a long word"]
    sentences = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}." for _ in range(n_sentences)]
    lines = [" ".join(s.capitalize() for s in sentences[i:i + 5]) for i in range(0, n_sentences, 5)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Two runs with the same seed, side by side: one from the repository, one from another folder."""
    folder = tmp_path_factory.mktemp("rnn")
    text_path = write_tiny_text(folder / "tiny.txt")
    runs = {name: folder / name for name in ("first", "second")}

    def run(name):
        cwd = None if name == "first" else folder  # the second also checks paths from elsewhere
        return run_script(SCRIPT, "--text", text_path, "--prompt", PROMPT, "--output-dir", runs[name], *TINY_FLAGS, cwd=cwd)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(runs, pool.map(run, runs)))
    return {"text": text_path, "dirs": runs, "results": results}


def test_smoke_run_writes_every_output(tiny_runs):
    result = tiny_runs["results"]["first"]
    assert result.returncode == 0, result.stderr[-3000:]
    out = tiny_runs["dirs"]["first"]
    for name in ("loss.png", "gates.png", "samples.txt", "model.keras", "metrics.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name

    metrics = read_metrics(out)
    assert METRIC_KEYS <= set(metrics)
    assert set(metrics["baselines"]) == {"unigram", "bigram", "trigram", "fourgram"}
    for score in metrics["baselines"].values():
        assert set(score) == {"bits_per_char", "k"} and score["bits_per_char"] > 0
    assert metrics["best_ngram"] in metrics["baselines"]
    assert metrics["seq_len"] == 16 and metrics["units"] == 8 and metrics["seed"] == 42
    assert len(metrics["vocabulary"]) == metrics["vocab_size"]
    # Even two tiny epochs must learn something: better than a uniform guess over the vocabulary.
    assert 0 < metrics["model_bits_per_char"] < np.log2(metrics["vocab_size"])

    # The samples are printed and saved, one block per temperature, each starting with the prompt.
    samples = (out / "samples.txt").read_text(encoding="utf-8")
    for temperature in ("0.5", "1"):
        assert f"--- temperature {temperature} ---" in result.stdout
        assert f"--- temperature {temperature} ---" in samples
    blocks = samples.split("--- temperature ")[1:]
    assert all(block.split("\n", 1)[1].startswith("the cat ") for block in blocks)
    assert "bits/char" in result.stdout and "SNOWMAN" in result.stdout  # the table, and the dropped character


def test_same_seed_gives_identical_results_from_any_folder(tiny_runs):
    for result in tiny_runs["results"].values():
        assert result.returncode == 0, result.stderr[-3000:]
    first, second = (read_metrics(folder) for folder in tiny_runs["dirs"].values())
    first.pop("fit_seconds")
    second.pop("fit_seconds")
    assert first == second
    assert (tiny_runs["dirs"]["first"] / "samples.txt").read_text(encoding="utf-8") == (
        tiny_runs["dirs"]["second"] / "samples.txt"
    ).read_text(encoding="utf-8")


def test_saved_model_reloads_and_predicts_the_reported_score(tiny_runs):
    """The reloaded model.keras, on the validation sequences, gives the bits/char in metrics.json.

    This fails if the file holds other weights than the ones scored (e.g. saved before early
    stopping restored the best epoch) or if the saved vocabulary does not match the text.
    """
    from utils.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras

    out = tiny_runs["dirs"]["first"]
    metrics = read_metrics(out)
    model = keras.models.load_model(out / "model.keras")

    text = text_utils.load_text(tiny_runs["text"])
    vocab = list(metrics["vocabulary"])
    assert vocab == text_utils.build_vocabulary(text)
    _, val_ids = text_utils.split_text(text_utils.encode(text, text_utils.char_to_index(vocab)))
    X_val, y_val = text_utils.make_sequences(val_ids, metrics["seq_len"], metrics["seq_len"])

    probabilities = model.predict(X_val, verbose=0)
    assert probabilities.shape == (*X_val.shape, len(vocab))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    true_char_probabilities = np.take_along_axis(probabilities, y_val[..., np.newaxis], axis=-1)
    bits = float(-np.mean(np.log2(true_char_probabilities.astype(np.float64))))
    assert bits == pytest.approx(metrics["model_bits_per_char"], abs=1e-4)


# ----------------------------------------------------------------------------- bad input

def _bad_text(tmp_path, kind):
    """Write (or not) the file for one kind of bad input and return its path."""
    path = tmp_path / f"{kind}.txt"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary":
        path.write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)) * 20)
    elif kind == "not-utf8":
        path.write_bytes("Caf\u00e9 au lait, s'il vous pla\u00eet.\n".encode("latin-1") * 200)
    elif kind == "too-short":
        path.write_text("A short text. " * 30, encoding="utf-8")  # 420 characters, 42 for validation
    return path


@pytest.mark.parametrize(
    "kind, words",
    [
        ("missing", ["does not exist"]),
        ("empty", ["empty"]),
        ("binary", ["binary"]),
        ("not-utf8", ["UTF-8", "offset"]),
        ("too-short", ["420 characters", "--seq-len"]),
    ],
)
def test_bad_text_file_is_one_clear_line(run_case, tmp_path, kind, words):
    result = run_case(SCRIPT, "--text", _bad_text(tmp_path, kind), "--output-dir", tmp_path / "out", "--no-show")
    assert_clean_failure(result, *words)


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--seq-len", "0"], ["--seq-len", "1 or more"]),
        (["--temperature", "-1"], ["--temperature"]),
        (["--temperature", "0.5", "warm"], ["--temperature", "warm"]),
        (["--temperature"], ["--temperature"]),
    ],
)
def test_bad_flags_are_one_clear_line(run_case, tmp_path, flags, words):
    result = run_case(SCRIPT, *flags, "--output-dir", tmp_path / "out", "--no-show")
    assert_clean_failure(result, *words)
