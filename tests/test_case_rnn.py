"""End-to-end tests of Case 17-1 (SimpleRNN character model) on a tiny generated text.

The sampling and n-gram unit tests live in tests/test_text.py; here we check the script:
it runs, writes its outputs, makes every choice without the test part (so a different
test part changes only the test scores: the mixture's weight is chosen on validation),
saves a model that reloads to the same predictions and mixture score, keeps its trace
readable, and refuses bad input with one clear line.
"""

import ast
import importlib.util
import re

import numpy as np
import pytest
from conftest import REPO_ROOT, assert_clean_failure, read_metrics, start_script

from utils.language import corpus as text_utils
from utils.language import generation, mixture

SCRIPT = "Case17-1-TF-Recurrent-Neural-Networks-RNN.py"
# Tiny settings: the whole run is a few seconds after TensorFlow has loaded. The tiny text
# gives 30 batches per epoch, so 75 gradient steps allow at most 3 epochs.
TINY_FLAGS = ["--seq-len", 16, "--units", 8, "--steps", 75, "--batch-size", 64,
              "--length", 40, "--temperature", 0.5, 1.0, "--no-show"]
# The snowman is not in the tiny text's vocabulary: the script must drop it and say so.
PROMPT = "the cat \u2603"
METRIC_KEYS = {
    "model_bits_per_char", "val_bits_per_char", "baselines", "best_ngram", "train_chars", "val_chars",
    "test_chars", "val_scored_chars", "test_scored_chars", "test_unknown_chars", "best_epoch", "epochs_run",
    "weights_sha256", "fit_seconds", "params", "seed", "seq_len", "epochs", "units", "learning_rate",
    "vocab_size", "vocabulary", "steps", "batches_per_epoch", "best_epoch_is_last_allowed", "patience",
    "step_size_cut", "mixture", "pick_bits_per_char",
    "backend", "generation",
}
MIXTURE_KEYS = {"ngram", "weight", "pick", "val_bits_per_char", "weights_tried", "val_bits_per_weight",
                "bits_per_char"}
# The only numbers allowed to change when the test part of the text changes.
TEST_SCORES = ("model_bits_per_char", "pick_bits_per_char", "test_unknown_chars")


def write_tiny_text(path, n_sentences=170, seed=0):
    """About 4 KB of short, repetitive sentences: easy to learn in a few seconds."""
    rng = np.random.default_rng(seed)
    subjects = ["the cat", "a dog", "the bird", "my friend", "the teacher", "a small robot"]
    verbs = ["sees", "likes", "follows", "draws", "remembers", "finds"]
    objects = ["the ball", "a red box", "the garden", "an old song", "the river", "a long word"]
    sentences = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}."
                 for _ in range(n_sentences)]
    lines = [" ".join(s.capitalize() for s in sentences[i:i + 5]) for i in range(0, n_sentences, 5)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replace_test_part(text):
    """The same text with every character of its test part (the last 10 %) replaced.

    The test part is reversed and every 5th character becomes one the text never uses,
    so the length, and with it the split, stays the same.
    """
    _, _, n_test = text_utils.split_sizes(len(text))
    test_part = "".join("\u03a9" if i % 5 == 0 else ch for i, ch in enumerate(reversed(text[-n_test:])))
    return text[:-n_test] + test_part


def start_runs(tmp_path_factory):
    """Every run of this file, side by side in the background:
    - "first": the tiny text, with the same seed as
    - "other_test_part": a copy whose test part holds other characters, run from another folder;
    - each bad text file and each bad flag below."""
    folder = tmp_path_factory.mktemp("rnn")
    text_path = write_tiny_text(folder / "tiny.txt")
    other_path = folder / "other_test_part.txt"
    other_path.write_text(replace_test_part(text_path.read_text(encoding="utf-8")), encoding="utf-8")
    texts = {"first": text_path, "other_test_part": other_path}
    dirs = {name: folder / name for name in texts}
    runs = {}
    for name in texts:
        cwd = None if name == "first" else folder  # the second also checks paths from elsewhere
        runs[name] = start_script(SCRIPT, "--text", texts[name], "--prompt", PROMPT,
                                  "--output-dir", dirs[name], *TINY_FLAGS, cwd=cwd)
    bad_folder = tmp_path_factory.mktemp("rnn_bad")
    for kind, _ in BAD_TEXTS:
        text, output_dir = _bad_text(bad_folder, kind), bad_folder / f"{kind}_out"
        runs[f"text: {kind}"] = start_script(SCRIPT, "--text", text, "--output-dir", output_dir, "--no-show")
    for i, (flags, _) in enumerate(BAD_FLAGS):
        output_dir = bad_folder / f"flags{i}"
        runs[f"flags: {flags}"] = start_script(SCRIPT, *flags, "--output-dir", output_dir, "--no-show")
    return {"text": text_path, "dirs": dirs, "runs": runs}


@pytest.fixture(scope="module")
def tiny_runs(started):
    """The two good runs above: the text, the output folders and the CompletedProcesses, once both ended."""
    launched = started[__name__]
    results = {name: launched["runs"][name].result() for name in launched["dirs"]}
    return {"text": launched["text"], "dirs": launched["dirs"], "results": results}


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
        assert set(score) == {"bits_per_char", "val_bits_per_char", "k"} and score["bits_per_char"] > 0
    assert metrics["best_ngram"] in metrics["baselines"]
    assert metrics["seq_len"] == 16 and metrics["units"] == 8 and metrics["seed"] == 42
    assert len(metrics["vocabulary"]) == metrics["vocab_size"]
    assert metrics["vocabulary"].endswith(text_utils.UNKNOWN)
    assert metrics["train_chars"] > metrics["val_chars"] > 0 and metrics["test_chars"] > 0
    assert metrics["test_unknown_chars"] == 0
    # 75 steps of 30 batches: at most 3 epochs, and the trace warns when the best is the last allowed.
    assert metrics["steps"] == 75 and metrics["batches_per_epoch"] == 30 and metrics["epochs"] == 3
    assert 1 <= metrics["best_epoch"] <= metrics["epochs_run"] <= 3
    last_allowed = metrics["best_epoch"] == metrics["epochs"]
    assert metrics["best_epoch_is_last_allowed"] is last_allowed
    assert ("warning: the best epoch is the last one the budget allowed" in result.stdout) is last_allowed
    # Even three tiny epochs must learn something: better than a uniform guess over the vocabulary.
    assert 0 < metrics["model_bits_per_char"] < np.log2(metrics["vocab_size"])
    # Generation carries the state; it equals the Keras model re-reading from a zero state.
    assert metrics["generation"]["carried_vs_keras_max_abs_diff"] < 1e-5
    assert metrics["generation"]["carried_ms_per_char"] > 0
    assert metrics["generation"]["reread_ms_per_char"] > 0

    # The samples are printed and saved, one block per temperature, each starting with the prompt.
    samples = (out / "samples.txt").read_text(encoding="utf-8")
    for temperature in ("0.5", "1"):
        assert f"--- temperature {temperature} ---" in result.stdout
        assert f"--- temperature {temperature} ---" in samples
    blocks = samples.split("--- temperature ")[1:]
    assert all(block.split("\n", 1)[1].startswith("the cat ") for block in blocks)
    assert "bits/char" in result.stdout and "SNOWMAN" in result.stdout  # the table, and the dropped character
    assert "nats =" in result.stdout  # each epoch line says its unit, and converts it
    assert "time per generated character" in result.stdout and "truncated BPTT" in result.stdout
    # Where the vocabulary is printed, the trace says what the UNKNOWN symbol is.
    assert f"the last one, {text_utils.UNKNOWN!r}, is UNKNOWN" in result.stdout


def test_mixture_weight_is_the_best_on_validation_and_the_verdict_names_the_pick(tiny_runs):
    """Step 6: the weight written is the one with the lowest validation score, its two ends are the
    SimpleRNN alone and the best n-gram alone, and the closing lines are about the pick."""
    result = tiny_runs["results"]["first"]
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = read_metrics(tiny_runs["dirs"]["first"])
    mix = metrics["mixture"]
    assert set(mix) == MIXTURE_KEYS
    assert mix["weights_tried"] == [pytest.approx(w) for w in mixture.DEFAULT_WEIGHTS]
    scores = dict(zip(mix["weights_tried"], mix["val_bits_per_weight"]))
    assert mix["weight"] == min(scores, key=scores.get) and mix["val_bits_per_char"] == scores[mix["weight"]]
    assert mix["pick"] == mixture.picked_model(mix["weight"]) and mix["ngram"] == metrics["best_ngram"]
    # w = 1 is the network alone, w = 0 the best n-gram alone, on the same validation characters.
    assert scores[1.0] == pytest.approx(metrics["val_bits_per_char"], rel=1e-6)
    best_ngram = metrics["baselines"][metrics["best_ngram"]]
    assert scores[0.0] == pytest.approx(best_ngram["val_bits_per_char"], rel=1e-6)
    assert metrics["pick_bits_per_char"] == mix["bits_per_char"]
    if mix["pick"] == "SimpleRNN":
        assert metrics["pick_bits_per_char"] == pytest.approx(metrics["model_bits_per_char"], rel=1e-6)
    if mix["pick"] == "n-gram":
        assert metrics["pick_bits_per_char"] == pytest.approx(best_ngram["bits_per_char"], rel=1e-6)
    label = {"unigram": "unigram", "bigram": "bigram", "trigram": "trigram", "fourgram": "4-gram"}
    picked = {"SimpleRNN": "the SimpleRNN alone (w = 1)", "mixture": f"the mixture, w = {mix['weight']:g} ",
              "n-gram": f"the {label[metrics['best_ngram']]} alone (w = 0)"}[mix["pick"]]
    assert f"validation picks {picked}" in result.stdout
    assert "<- picked on validation" in result.stdout
    # The closing sentence says plainly whether the SimpleRNN alone beat the best n-gram.
    rnn_won = metrics["model_bits_per_char"] < best_ngram["bits_per_char"]
    verdict = [line for line in result.stdout.splitlines() if line.startswith(("Validation picked", "  it "))]
    assert verdict, result.stdout[-3000:]
    if mix["pick"] != "SimpleRNN":
        rnn_line = next(line for line in result.stdout.splitlines() if line.startswith("The SimpleRNN alone"))
        assert ("bits/char, beat the " in rnn_line) is rnn_won and ("did NOT beat" in rnn_line) is not rnn_won


def test_trace_lines_are_short_and_steps_run_without_a_gap(tiny_runs):
    """Issue 19: no trace line over 120 characters, and the numbered steps [1], [2], ... in order."""
    stdout = tiny_runs["results"]["first"].stdout
    long_lines = [line for line in stdout.splitlines() if len(line) > 120]
    assert not long_lines
    steps = [int(n) for n in re.findall(r"^\[(\d+)\]", stdout, flags=re.MULTILINE)]
    assert steps == list(range(1, 10))


def test_default_prompt_comes_from_the_text():
    """Without --prompt a student's text starts from its own first words of prose, not the primer's prompt."""
    text = "THE NIGHT FERRY\nA play\n\nMARGIT, who sells tickets, waits by the door.\nMore text.\n"
    assert generation.prompt_from_text(text) == "MARGIT, who sells "
    assert generation.prompt_from_text("no line of prose here") == "no line of prose "
    assert generation.prompt_from_text("x" * 100) == "x" * 40 + " "  # one long word is cut
    # The vocabulary printed in lines that give it back, each short enough to read.
    symbols = [chr(i) for i in range(32, 400)] + ["\n", text_utils.UNKNOWN]
    lines = text_utils.symbol_lines(symbols, width=60)
    assert all(len(line) <= 60 for line in lines)
    assert "".join(ast.literal_eval(line) for line in lines) == "".join(symbols)


def test_other_test_part_changes_only_the_test_scores(tiny_runs):
    """Issue 9's proof: every choice is made without the test part.

    The second run's text differs only in its test part. Its vocabulary, n-gram k values,
    validation scores, early-stopping epoch, trained weights and generated samples are
    identical; only the test scores differ. It also runs from another folder, and the
    same seed gives the same numbers there.
    """
    for result in tiny_runs["results"].values():
        assert result.returncode == 0, result.stderr[-3000:]
    first, other = (read_metrics(folder) for folder in tiny_runs["dirs"].values())
    # the new test characters are unknown
    assert other["test_unknown_chars"] > 0 and first["test_unknown_chars"] == 0

    for metrics in (first, other):
        metrics.pop("fit_seconds")
        for timing in ("carried_ms_per_char", "reread_ms_per_char"):
            metrics["generation"].pop(timing)
    test_scores = [(m.pop("model_bits_per_char"), m.pop("pick_bits_per_char"),
                    m["mixture"].pop("bits_per_char"),
                    [m["baselines"][key].pop("bits_per_char") for key in sorted(m["baselines"])])
                   for m in (first, other)]
    for metrics in (first, other):
        metrics.pop("test_unknown_chars")
    # The mixture's weight, the pick and every validation score behind them: chosen without the test part.
    assert first["mixture"] == other["mixture"]
    assert first == other  # every choice, every validation score, the weights' hash
    for a, b in zip(test_scores[0][:3], test_scores[1][:3]):
        assert a != pytest.approx(b, abs=1e-3)  # ... but not the test scores
    assert all(a != pytest.approx(b, abs=1e-3) for a, b in zip(test_scores[0][3], test_scores[1][3]))
    # The trace from the windows to the weight's choice is the same, word for word (fit's time aside).
    traces = []
    for result in tiny_runs["results"].values():
        chosen = result.stdout[result.stdout.index("\n[3]") : result.stdout.index("\nscores in bits/char")]
        traces.append(re.sub(r"fit: [0-9.]+ s", "fit: _ s", chosen))
    assert traces[0] == traces[1] and "validation picks" in traces[0]
    assert (tiny_runs["dirs"]["first"] / "samples.txt").read_text(encoding="utf-8") == (
        tiny_runs["dirs"]["other_test_part"] / "samples.txt"
    ).read_text(encoding="utf-8")


def test_saved_model_reloads_and_predicts_the_reported_score(tiny_runs):
    """The reloaded model.keras, on the test sequences, gives the test bits/char in metrics.json.

    This fails if the file holds other weights than the ones scored (e.g. saved before early
    stopping restored the best epoch) or if the saved vocabulary does not match the text.
    """
    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras

    out = tiny_runs["dirs"]["first"]
    metrics = read_metrics(out)
    model = keras.models.load_model(out / "model.keras")

    text = text_utils.load_text(tiny_runs["text"])
    vocab = list(metrics["vocabulary"])
    train_text, val_text, test_text = text_utils.split_text(text)
    # no test characters in it
    assert vocab == text_utils.build_vocabulary(train_text + val_text, add_unknown=True)
    test_ids = text_utils.encode(test_text, text_utils.char_to_index(vocab), unknown=text_utils.UNKNOWN)
    X_test, y_test = text_utils.make_sequences(test_ids, metrics["seq_len"], metrics["seq_len"])

    probabilities = model.predict(X_test, verbose=0)
    assert probabilities.shape == (*X_test.shape, len(vocab))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    true_char_probabilities = np.take_along_axis(probabilities, y_test[..., np.newaxis], axis=-1)
    bits = float(-np.mean(np.log2(true_char_probabilities.astype(np.float64))))
    assert bits == pytest.approx(metrics["model_bits_per_char"], abs=1e-4)

    # The pick's test score: the reloaded network mixed, at the weight written, with the best n-gram.
    order = {"unigram": 1, "bigram": 2, "trigram": 3, "fourgram": 4}[metrics["best_ngram"]]
    mapping = text_utils.char_to_index(vocab)
    train_ids, val_ids = (text_utils.encode(part, mapping) for part in (train_text, val_text))
    encoded = np.concatenate([train_ids, val_ids, test_ids])
    p_ngram = mixture.ngram_target_probabilities(
        train_ids, y_test.ravel(), order, metrics["baselines"][metrics["best_ngram"]]["k"], len(vocab),
        context=encoded[: len(train_ids) + len(val_ids) + 1])
    p_rnn = mixture.target_probabilities(probabilities, y_test)
    mixed = mixture.mixture_bits(p_rnn, p_ngram, metrics["mixture"]["weight"])
    assert mixed == pytest.approx(metrics["pick_bits_per_char"], abs=1e-4)


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


BAD_TEXTS = [
    ("missing", ["does not exist"]),
    ("empty", ["empty"]),
    ("binary", ["binary"]),
    ("not-utf8", ["UTF-8", "offset"]),
    ("too-short", ["420 characters", "--seq-len"]),
]
BAD_FLAGS = [
    (["--seq-len", "0"], ["--seq-len", "1 or more"]),
    (["--steps", "0"], ["--steps", "1 or more"]),
    (["--learning-rate", "0"], ["--learning-rate"]),
    (["--temperature", "-1"], ["--temperature"]),
    (["--temperature", "0.5", "warm"], ["--temperature", "warm"]),
    (["--temperature"], ["--temperature"]),
]


@pytest.mark.parametrize("kind, words", BAD_TEXTS)
def test_bad_text_file_is_one_clear_line(started, kind, words):
    result = started[__name__]["runs"][f"text: {kind}"].result()
    assert_clean_failure(result, *words)


@pytest.mark.parametrize("flags, words", BAD_FLAGS)
def test_bad_flags_are_one_clear_line(started, flags, words):
    result = started[__name__]["runs"][f"flags: {flags}"].result()
    assert_clean_failure(result, *words)


# ----------------------------------------------------------------------------- benchmarks/choose_rnn.py

def test_choose_rnn_searches_one_axis_at_a_time():
    """The search that chose the case's defaults, on a made-up score with a known minimum."""
    spec = importlib.util.spec_from_file_location("choose_rnn", REPO_ROOT / "benchmarks" / "choose_rnn.py")
    choose_rnn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(choose_rnn)

    calls = []

    def score(settings):  # lowest at units 256, learning rate 2e-3, seq_len 32
        calls.append(settings)
        return (abs(settings["units"] - 256) + 1000 * abs(settings["learning_rate"] - 2e-3)
                + abs(settings["seq_len"] - 32))

    best, best_score, tried = choose_rnn.coordinate_search(score, choose_rnn.START, choose_rnn.AXES)
    assert best == {"units": 256, "learning_rate": 2e-3, "seq_len": 32} and best_score == pytest.approx(0.0)
    # each setting trained once
    assert len(calls) == len(tried) == len({tuple(sorted(c.items())) for c in calls})
    assert len(calls) == 1 + sum(len(values) - 1 for values in choose_rnn.AXES.values())
