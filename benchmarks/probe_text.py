"""Probe Case 17-1's settings on texts other than the shipped one: network, n-gram and their mixture.

For each text and seed this trains the case's model (Embedding -> SimpleRNN -> Dense
softmax, the case's split, windows, early stopping on validation; the steps are copied
from the case, with dropout added as an option) and prints, in bits per character on the
case's validation and test characters:

* the SimpleRNN alone;
* the best add-k n-gram (order 1 to 4, its order and k chosen on validation, as in the case);
* their mixture w * p_rnn + (1 - w) * p_ngram, with w chosen on validation
  (utils/language/mixture.py);
* the pick validation makes (SimpleRNN, n-gram or mixture: the weight it chose), and the
  wall time of the run (fit, then scoring).

Every choice (the stopping epoch, each n-gram's k, the best order, the weight) is made on
validation; the test part is scored once per run, after them. This is a probe: it reads
the test part only to report it, and nothing here feeds a choice back into the settings.

Settings come from the flags (one configuration) or from --presets (named configurations,
see PRESETS; with two or more, a "select" row also shows the network chosen on validation
among them, and its cost is the sum of their fits).

Run it:  python benchmarks/probe_text.py                      (the case's settings, every text, seed 42)
         python benchmarks/probe_text.py --presets small large --seeds 42 1 2     (the numbers reported)
         python benchmarks/probe_text.py --texts data/texts/night_ferry.txt --units 128 --steps 600
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from utils.language import corpus, mixture, ngrams  # noqa: E402
from utils.plumbing.runtime import hide_tensorflow_startup_messages, set_seed  # noqa: E402

DEFAULT_TEXTS = [REPO_ROOT / "data" / "rnn_primer.txt", *sorted((REPO_ROOT / "data" / "texts").glob("*.txt"))]
VAL_FRACTION, TEST_FRACTION = 0.1, 0.1
EMBEDDING_DIM = 32
# Named settings. "case": Case 17-1's defaults today. The others change only what they list.
PRESETS = {
    "case": {"units": 256, "dropout": 0.0, "recurrent_dropout": 0.0, "output_dropout": 0.0, "epochs": 8,
             "steps": 0, "patience": 1, "plateau_factor": 1.0, "learning_rate": 5e-3, "batch_size": 64},
    # 128 units, a larger step size, at most 600 gradient steps (so a short text gets more
    # passes), patience 2, and the step size cut to 0.3x after an epoch with no gain.
    "small": {"units": 128, "learning_rate": 1e-2, "steps": 600, "patience": 2, "plateau_factor": 0.3},
    # The case's 256 units and step size, with the same budget, patience and cuts.
    "large": {"steps": 600, "patience": 2, "plateau_factor": 0.3},
}


def with_warmup(encoded, start, n_windows, seq_len, warmup):
    """The scored windows of a part starting at `start`, each led in by the `warmup` characters before it."""
    starts = start + seq_len * np.arange(n_windows)
    return np.stack([encoded[s - warmup : s + seq_len] for s in starts])


def prepare(path, seq_len, warmup=0):
    """The case's steps 1-3: split, vocabulary, windows, and the n-grams chosen on validation."""
    text = corpus.load_text(path)
    corpus.check_text_length(len(text), seq_len, VAL_FRACTION, TEST_FRACTION)
    train_text, val_text, test_text = corpus.split_text(text, VAL_FRACTION, TEST_FRACTION)
    vocab = corpus.build_vocabulary(train_text + val_text, add_unknown=True)
    mapping = corpus.char_to_index(vocab)
    train_ids, val_ids, test_ids = (
        corpus.encode(part, mapping, unknown=corpus.UNKNOWN) for part in (train_text, val_text, test_text)
    )
    encoded = np.concatenate([train_ids, val_ids, test_ids])
    X_train, y_train = corpus.make_sequences(train_ids, seq_len, max(1, seq_len // 8))
    X_val, y_val = corpus.make_sequences(val_ids, seq_len, seq_len)
    X_test, y_test = corpus.make_sequences(test_ids, seq_len, seq_len)
    val_start, test_start = len(train_ids), len(train_ids) + len(val_ids)
    V = len(vocab)
    # The n-grams: k per order on validation, then the order with the best validation score.
    val_context, test_context = encoded[: val_start + 1], encoded[: test_start + 1]
    val_targets, test_targets = y_val.ravel(), y_test.ravel()
    chosen = {}
    for n in (1, 2, 3, 4):
        chosen[n] = ngrams.best_add_k(train_ids, val_targets, n, vocab_size=V, context=val_context)
    best_n = min(chosen, key=lambda n: chosen[n][1])
    k = chosen[best_n][0]
    p_ngram_val = mixture.ngram_target_probabilities(train_ids, val_targets, best_n, k, V, val_context)
    p_ngram_test = mixture.ngram_target_probabilities(train_ids, test_targets, best_n, k, V, test_context)
    return {
        "chars": len(text), "V": V, "data": (X_train, y_train, X_val, y_val, X_test, y_test),
        "best_n": best_n, "k": k, "p_ngram_val": p_ngram_val, "p_ngram_test": p_ngram_test,
        "ngram_val_bits": chosen[best_n][1], "warmup": warmup,
        "X_val_warm": with_warmup(encoded, val_start, len(X_val), seq_len, warmup),
        "X_test_warm": with_warmup(encoded, test_start, len(X_test), seq_len, warmup),
    }


def build_model(keras, V, settings):
    """The case's model, with optional dropout on the embedding and on the recurrent state."""
    return keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(V, EMBEDDING_DIM),
            keras.layers.SimpleRNN(settings["units"], return_sequences=True, dropout=settings["dropout"],
                                   recurrent_dropout=settings["recurrent_dropout"]),
            keras.layers.Dropout(settings["output_dropout"]),
            keras.layers.Dense(V, activation="softmax"),
        ]
    )


def run_one(keras, prepared, settings, seed):
    X_train, y_train, X_val, y_val, X_test, y_test = prepared["data"]
    started = time.perf_counter()
    keras.backend.clear_session()
    set_seed(seed)
    model = build_model(keras, prepared["V"], settings)
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"], clipnorm=1.0),
                  loss="sparse_categorical_crossentropy")
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings["patience"],
                                          restore_best_weights=True)
    epochs = settings["epochs"]
    if settings["steps"]:
        # A budget of gradient steps instead of epochs: a short text gets more passes over it.
        epochs = max(1, math.ceil(settings["steps"] / math.ceil(len(X_train) / settings["batch_size"])))
    callbacks = [early]
    if settings["plateau_factor"] < 1:
        # After an epoch that does not improve validation, continue with a smaller step size.
        callbacks.insert(0, keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=settings["plateau_factor"], patience=0, min_delta=0.0))
    history = model.fit(X_train, y_train, epochs=epochs, batch_size=settings["batch_size"],
                        validation_data=(X_val, y_val), callbacks=callbacks, verbose=0)
    fit_s = time.perf_counter() - started
    val_curve = ngrams.bits_per_char(history.history["val_loss"])
    train_curve = ngrams.bits_per_char(history.history["loss"])
    best_epoch = int(np.argmin(val_curve)) + 1
    # Choices first, on validation only: the mixture's weight.
    # With a warm-up, each scored window is read after the `warmup` true characters before it
    # (the n-gram also sees the true characters before each one), and only its own positions count.
    w = prepared["warmup"]

    def predict(X):
        return model.predict(X, batch_size=256, verbose=0)[:, w:]

    p_rnn_val = mixture.target_probabilities(predict(prepared["X_val_warm"]), y_val)
    weight, mix_val, _ = mixture.choose_weight(p_rnn_val, prepared["p_ngram_val"])
    # Then the test part, once.
    p_rnn_test = mixture.target_probabilities(predict(prepared["X_test_warm"]), y_test)
    return {
        "seed": seed, "best_epoch": best_epoch, "epochs_run": len(val_curve),
        "train_bits_at_best": float(train_curve[best_epoch - 1]),
        "rnn_val": mixture.mixture_bits(p_rnn_val, prepared["p_ngram_val"], 1.0),
        "rnn_test": mixture.mixture_bits(p_rnn_test, prepared["p_ngram_test"], 1.0),
        "ngram_val": mixture.mixture_bits(p_rnn_val, prepared["p_ngram_val"], 0.0),
        "ngram_test": mixture.mixture_bits(p_rnn_test, prepared["p_ngram_test"], 0.0),
        "weight": weight, "mix_val": mix_val,
        "mix_test": mixture.mixture_bits(p_rnn_test, prepared["p_ngram_test"], weight),
        "pick": mixture.picked_model(weight), "fit_s": fit_s, "wall_s": time.perf_counter() - started,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", nargs="+", default=[str(p) for p in DEFAULT_TEXTS])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--dropout", type=float, default=0.0, help="SimpleRNN input dropout")
    parser.add_argument("--recurrent-dropout", type=float, default=0.0)
    parser.add_argument("--output-dropout", type=float, default=0.0,
                        help="dropout between the SimpleRNN and Dense")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=0,
                        help="if set: epochs = this many gradient steps, rounded up")
    parser.add_argument("--patience", type=int, default=1)
    parser.add_argument("--plateau-factor", type=float, default=1.0,
                        help="if below 1: multiply the learning rate by it after an epoch with no gain")
    parser.add_argument("--learning-rate", type=float, default=5e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=0, help="characters read before each scored window")
    parser.add_argument("--presets", nargs="+", choices=sorted(PRESETS),
                        help="named settings to run instead of the flags; two or more add a 'select' row")
    parser.add_argument("--json", help="also write every row to this JSON file")
    args = parser.parse_args()
    keys = ("units", "dropout", "recurrent_dropout", "output_dropout", "epochs", "steps", "patience",
            "plateau_factor", "learning_rate", "batch_size")
    if args.presets:
        configs = {name: {**PRESETS["case"], **PRESETS[name]} for name in args.presets}
    else:
        configs = {"flags": {key: getattr(args, key) for key in keys}}
    hide_tensorflow_startup_messages()
    import keras

    for name, settings in configs.items():
        print(f"{name}: {settings}")
    print(f"seq_len {args.seq_len}, warmup {args.warmup}")
    header = (f"{'text':<22}{'config':<8}{'seed':>5}{'KB':>5}{'ep':>4}{'train':>7} | "
              f"{'rnn val':>8}{'ngram val':>10}{'mix val':>8}{'w':>5} | "
              f"{'rnn test':>9}{'ngram test':>11}{'mix test':>9} | {'pick':<10}{'s':>5}")
    print(header)
    print("-" * len(header))

    def show(r):
        print(f"{r['text'][:21]:<22}{r['config']:<8}{r['seed']:>5}{r['kb']:>5.0f}{r['best_epoch']:>4}"
              f"{r['train_bits_at_best']:>7.2f} | "
              f"{r['rnn_val']:>8.3f}{r['ngram_val']:>10.3f}{r['mix_val']:>8.3f}{r['weight']:>5.1f} | "
              f"{r['rnn_test']:>9.3f}{r['ngram_test']:>11.3f}{r['mix_test']:>9.3f} | "
              f"{r['pick']:<10}{r['wall_s']:>5.0f}", flush=True)

    rows = []
    for path in args.texts:
        prepared = prepare(path, args.seq_len, args.warmup)
        for seed in args.seeds:
            tried = []
            for name, settings in configs.items():
                r = run_one(keras, prepared, settings, seed)
                r.update(text=Path(path).name, config=name, kb=prepared["chars"] / 1000,
                         order=prepared["best_n"], k=prepared["k"])
                tried.append(r)
                show(r)
            if len(tried) > 1:
                # Capacity chosen on validation: the network with the lowest validation score
                # alone, then its mixture weight (already chosen on validation). Costs every fit.
                best = min(tried, key=lambda r: r["rnn_val"])
                r = {**best, "config": "select", "chose": best["config"],
                     "wall_s": sum(t["wall_s"] for t in tried)}
                tried.append(r)
                show(r)
            rows += tried
    print(f"\nmeans over seeds {args.seeds} (n-gram: order and k chosen on validation; "
          "pick = the weight chosen on validation, on the test part):")
    for config in dict.fromkeys(r["config"] for r in rows):
        for name in dict.fromkeys(r["text"] for r in rows):
            mine = [r for r in rows if r["text"] == name and r["config"] == config]
            mean = {key: float(np.mean([r[key] for r in mine]))
                    for key in ("rnn_val", "rnn_test", "ngram_test", "mix_test", "wall_s")}
            rnn_wins = sum(r["rnn_test"] < r["ngram_test"] for r in mine)
            pick_wins = sum(r["mix_test"] < r["ngram_test"] for r in mine)
            chose = " (chose " + ", ".join(r["chose"] for r in mine) + ")" if config == "select" else ""
            print(f"  {config:<7}{name:<22} {mine[0]['order']}-gram test {mean['ngram_test']:.3f}; "
                  f"SimpleRNN val {mean['rnn_val']:.3f} test {mean['rnn_test']:.3f} "
                  f"(beats it {rnn_wins}/{len(mine)}); "
                  f"pick {mean['mix_test']:.3f} (beats it {pick_wins}/{len(mine)}); "
                  f"{mean['wall_s']:.0f} s per run{chose}")
    presets = [config for config in configs if len(configs) > 1]
    if presets:
        # The case has ONE setting for every text: choose it on validation alone, by the mean
        # validation score of the SimpleRNN over every text and seed (no test score enters).
        mean_val = {config: float(np.mean([r["rnn_val"] for r in rows if r["config"] == config]))
                    for config in presets}
        print("one setting for every text, chosen on validation only (SimpleRNN's mean validation "
              "bits/char over the texts and seeds): "
              + ", ".join(f"{config} {value:.3f}" for config, value in mean_val.items())
              + f" -> {min(mean_val, key=mean_val.get)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"configs": configs, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
