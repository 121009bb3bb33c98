"""Case 17-1: a simple recurrent network (SimpleRNN) learns to write, one character at a time.

The data: a 44 KB primer on sequences, memory and recurrent networks, written for this
course (data/rnn_primer.txt); --text trains on any UTF-8 text file you bring instead.
The question: given the characters so far, what is the next character?

What this case teaches, step by step:
  1. load the text and look at it (length, vocabulary, most common characters);
  2. split it in time order into training, validation and test parts (the test part is
     the last 10 %), and turn characters into integers and back;
  3. cut training sequences, and fit simple counting models (n-grams) that the network
     must beat, their smoothing chosen on validation;
  4. build Embedding -> SimpleRNN -> Dense softmax and count its parameters;
  5. train it within a budget of gradient steps (early stopping on validation, the step
     size cut whenever validation stalls);
  6. choose on validation how far to trust the network against the best n-gram (a mixture
     of their probabilities), then score the test part once: the network alone, the
     n-grams and the mixture on the same characters, in bits per character;
  7. plot the learning curves (in bits per character);
  8. generate text from a prompt at several temperatures, one character at a time,
     carrying the hidden state forward;
  9. look inside the trained cell: its hidden state at every character of one sequence.

Every choice made in a run (the stopping epoch, the n-grams' smoothing k and order, the
mixture's weight) is made on the training and validation parts. The defaults were set
offline: --seq-len by benchmarks/choose_rnn.py, and --units, --learning-rate and --steps
after benchmarks/probe_text.py compared settings on the shipped text and the three texts
in data/texts/, so that they hold on a text they were not tuned on. The test part is read
once, in step 6.

Run it:   python week17/Case17-1-TF-Recurrent-Neural-Networks-RNN.py
Flags:    --help lists them all; try --temperature 0.1 0.5 1.5, --prompt "Memory is",
          or --text data/texts/night_ferry.txt (a text the defaults were not tuned on).
Debug it: set a breakpoint on any line below, or run it cell by cell (# %% markers).
"""

# %% Step 0: set-up (find the project folder, read the flags)
import sys
from pathlib import Path

# Find the project folder (the one holding utils/) whether this runs as a script, under a
# debugger, or cell by cell in an interactive window (where __file__ does not exist).
_here = Path(globals().get("__file__", Path.cwd())).resolve()
REPO_ROOT = next((p for p in (_here, *_here.parents) if (p / "utils" / "__init__.py").is_file()), None)
if REPO_ROOT is None:
    sys.exit("error: cannot find the project folder (the one holding utils/); "
             "run this from inside the project")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import hashlib
import math
import textwrap
import time
import unicodedata
from collections import Counter
from types import SimpleNamespace

import numpy as np

from utils.forecasting import case_metrics, metrics
from utils.language import corpus, generation, mixture, ngrams
from utils.plumbing import cli, paths
from utils.plumbing.errors import exit_cleanly_on_bad_input
from utils.plumbing.runtime import (
    backend_name,
    hide_tensorflow_startup_messages,
    set_seed,
)
from utils.recurrent import cells, parameters
from utils.showing import gate_views, plotting

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-1-rnn"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-1: a SimpleRNN learns to write, one character at a time.")
parser.add_argument("--text", default=str(paths.data_file("rnn_primer.txt")),
                    help="UTF-8 text file to learn from (default: %(default)s)")
parser.add_argument("--seq-len", type=cli.positive_int, default=64,
                    help="characters the network reads per training sequence (default: %(default)s)")
parser.add_argument("--steps", type=cli.positive_int, default=600,
                    help="the training budget, in gradient steps (one step = one batch): training runs at "
                         "most ceil(steps / batches per epoch) epochs, so a short text gets more passes "
                         "over it, and early stopping on validation may end it sooner (default: %(default)s)")
parser.add_argument("--units", type=cli.positive_int, default=128,
                    help="units in the recurrent layer (default: %(default)s)")
parser.add_argument("--seed", type=int, default=42,
                    help="random seed; the same seed gives the same numbers (default: %(default)s)")
parser.add_argument("--learning-rate", type=cli.positive_float, default=1e-2,
                    help="Adam's starting learning rate, cut to 0.3x after each epoch that does not "
                         "improve validation (default: %(default)s)")
parser.add_argument("--batch-size", type=cli.positive_int, default=64,
                    help="sequences per gradient step (default: %(default)s)")
SHIPPED_PROMPT = "A recurrent network "  # written for the shipped primer; other texts get their own
parser.add_argument("--prompt", default=None,
                    help=f"text that generation starts from (default: {SHIPPED_PROMPT!r} for the shipped "
                         "text; for --text, the first words of its first line of prose)")
parser.add_argument(
    "--temperature", type=cli.positive_float, nargs="+", default=[0.2, 0.7, 1.0],
    help="one or more sampling temperatures: low = safe and repetitive, high = surprising "
         "(default: %(default)s)",
)
parser.add_argument("--length", type=cli.positive_int, default=300,
                    help="characters to generate per temperature (default: %(default)s)")
parser.add_argument(
    "--validation-only", action="store_true",
    help="stop after the validation scores and the mixture weight, without scoring the test part "
         "(benchmarks/choose_rnn.py uses it to choose the defaults)",
)
cli.add_output_flags(parser)
args = cli.parse_flags(parser)

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-1 (SimpleRNN): writing to {out_dir}")

# %% Step 1: load the text and look at it
# load_text refuses a missing, empty, binary or non-UTF-8 file with one clear line.
text = corpus.load_text(args.text)
VAL_FRACTION, TEST_FRACTION = 0.1, 0.1  # the last 10 % is the test part, the 10 % before it validation
# Each of the three parts must hold at least one whole sequence.
n_train_chars, n_val_chars, n_test_chars = corpus.check_text_length(len(text), args.seq_len, VAL_FRACTION,
                                                                    TEST_FRACTION)

counts = Counter(text)
print(f"\n[1] {Path(args.text).name}: {len(text):,} characters, {len(text.split()):,} words, "
      f"{text.count(chr(10)) + 1:,} lines, "
      f"{len(counts)} distinct characters")
print("most common characters:", ", ".join(f"{ch!r} {n / len(text):.1%}" for ch, n in counts.most_common(8)))
print(f"the text begins: {text[:90]!r}")

# %% Step 2: split in time order, then encode characters as integers
# Training, then validation, then test, in the order they were written: the network never
# sees the later text while it learns, exactly as it would never have seen a text written
# tomorrow. Validation makes every choice of the run (the stopping epoch, the n-grams'
# smoothing and order, the mixture's weight in step 6). The test part is scored once, in step 6.
train_text, val_text, test_text = corpus.split_text(text, VAL_FRACTION, TEST_FRACTION)

# A network computes with numbers, not letters: each character gets the index of its place
# in the sorted vocabulary. The vocabulary is a choice too, so it comes from the training
# and validation parts only; one extra symbol, UNKNOWN (shown as '\ufffd'), stands for any
# character they do not contain, should the test part hold one.
vocab = corpus.build_vocabulary(train_text + val_text, add_unknown=True)
vocab_size = len(vocab)
mapping = corpus.char_to_index(vocab)
unknown_id = mapping[corpus.UNKNOWN]
train_ids, val_ids, test_ids = (corpus.encode(part, mapping, unknown=corpus.UNKNOWN)
                                for part in (train_text, val_text, test_text))
encoded = np.concatenate([train_ids, val_ids, test_ids])  # the whole text, one number per character
test_unknown = sum(ch not in mapping for ch in test_text)
# A uniform guess over the vocabulary costs log2(V) bits per character: the worst any
# model that has learned nothing at all should do.
uniform_bits = math.log2(vocab_size)

print(f"\n[2] training part {len(train_ids):,} characters, validation {len(val_ids):,}, "
      f"test {len(test_ids):,} (the last {TEST_FRACTION:.0%})")
print(f"vocabulary: {vocab_size} symbols, the characters of the training and validation parts, then UNKNOWN:")
for line in corpus.symbol_lines(vocab, width=100):
    print(f"  {line}")
print(f"  the last one, {corpus.UNKNOWN!r}, is UNKNOWN: it stands for any character those two parts never "
      "contain")
print(f"test characters outside that vocabulary (read as UNKNOWN): {test_unknown}")
sample_line = next((line for line in train_text.splitlines() if len(line.strip()) >= 20),
                   train_text[:40]).strip()[:32]
sample_ids = corpus.encode(sample_line, mapping)
print(f"the mapping for a sample line {sample_line!r}:")
pairs = [f"{ch!r}->{i}" for ch, i in zip(sample_line, sample_ids)]
for row in range(0, len(pairs), 8):  # eight pairs a line keeps the lines short
    print("  " + "  ".join(pairs[row : row + 8]))
print(textwrap.fill(f"encoded: {sample_ids.tolist()}", width=110, initial_indent="  ",
                    subsequent_indent="    "))
print(f"  decoded back: {corpus.decode(sample_ids, vocab)!r}")

# %% [markdown]
# **Step 3: sequences.** Every training sequence is seq_len characters, and its labels are the
# same characters shifted by one: at every position the network predicts the character that
# follows. Training windows overlap (a new one starts every seq_len // 8 characters) to get more
# of them. Validation and test windows do not overlap, so each of their characters is scored once.
#
# **Truncated backpropagation through time (truncated BPTT).** Every window starts from a zero
# state, so when fit computes the gradient of a window's loss (step 5), it flows back through that
# window's seq_len steps and stops at its first character. That is the truncation. What it costs:
# no dependency longer than seq_len characters can be learned by gradient, because a character
# and a target further apart never sit in the same window. Longer windows reach further, but each
# gradient step then stores and back-propagates through more time steps.
#
# **The baselines.** An n-gram model predicts the next character by counting what followed the
# previous n-1 characters in the training text (unigram: no context at all). Add-k smoothing gives
# unseen combinations a small probability; k is chosen per model on the validation part. The
# n-grams are scored on exactly the characters the network is scored on (the labels of the
# non-overlapping windows), each with the true text before it as context. Window i of a part
# starts at character i * seq_len, so its labels are the part's characters 1 .. n_windows * seq_len.
# The scores are in bits per character: lower is better.

# %% Step 3: cut sequences, and fit the n-gram baselines (their k chosen on validation)
stride = max(1, args.seq_len // 8)
X_train, y_train = corpus.make_sequences(train_ids, args.seq_len, stride)
X_val, y_val = corpus.make_sequences(val_ids, args.seq_len, args.seq_len)
X_test, y_test = corpus.make_sequences(test_ids, args.seq_len, args.seq_len)

print(f"\n[3] train: X {X_train.shape}, y {y_train.shape} = (sequences, seq_len), "
      f"a new one every {stride} characters")
print(f"val:   X {X_val.shape}, y {y_val.shape}, not overlapping (scores {y_val.size:,} characters)")
print(f"test:  X {X_test.shape}, y {y_test.shape}, not overlapping "
      f"(scores {y_test.size:,} characters, in step 6)")
print("one sequence and its labels (the same text shifted by one character):")
shown = min(args.seq_len, 70)  # a long --seq-len would flood the terminal
print(f"  X[0] = {corpus.decode(X_train[0, :shown], vocab)!r}{' ...' if shown < args.seq_len else ''}")
print(f"  y[0] = {corpus.decode(y_train[0, :shown], vocab)!r}{' ...' if shown < args.seq_len else ''}")
print("truncated BPTT: each window starts from a zero state, "
      f"so gradients reach back at most {args.seq_len} characters")

# The n-gram baselines, scored on the network's own labels (see above).
val_start, test_start = len(train_ids), len(train_ids) + len(val_ids)
val_targets = encoded[val_start + 1 : val_start + 1 + y_val.size]
test_targets = encoded[test_start + 1 : test_start + 1 + y_test.size]
assert np.array_equal(val_targets, y_val.ravel()) and np.array_equal(test_targets, y_test.ravel())
NGRAMS = [("unigram", 1, "unigram"), ("bigram", 2, "bigram"), ("trigram", 3, "trigram"),
          ("fourgram", 4, "4-gram")]
baselines, labels = {}, {}  # metrics.json key -> scores; key -> printed name
for key, n, label in NGRAMS:
    k, val_bits = ngrams.best_add_k(train_ids, val_targets, n, vocab_size=vocab_size,
                                    context=encoded[: val_start + 1])
    baselines[key], labels[key] = {"k": k, "val_bits_per_char": val_bits}, label
best_ngram = min(baselines, key=lambda key: baselines[key]["val_bits_per_char"])  # chosen on validation
print("n-gram baselines on the validation part, bits/char:")
print("  " + ", ".join(f"{labels[key]} {score['val_bits_per_char']:.3f} (k={score['k']:g})"
                       for key, score in baselines.items()))
print(f"best on validation: the {labels[best_ngram]}")

# %% Step 4: build the SimpleRNN
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags and the text above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[4] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
# Embedding: looks up a learned vector of 32 numbers for each character index (cheaper
#            than a one-hot vector of V numbers, and similar characters can get similar vectors).
# SimpleRNN: reads the vectors one by one; its hidden state h_t = tanh(x_t·W + h_{t-1}·U + b)
#            is its memory of the text so far. return_sequences=True gives h_t at EVERY
#            position, so the network makes a prediction after every character, not just the last.
# Dense softmax: turns each h_t into V probabilities, one per possible next character.
EMBEDDING_DIM = 32
inputs = keras.Input(shape=(None,), dtype="int32")  # any length: the same weights apply at every step
model = keras.Sequential(
    [
        inputs,
        keras.layers.Embedding(vocab_size, EMBEDDING_DIM),
        keras.layers.SimpleRNN(args.units, return_sequences=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    ],
    name="char_rnn",
)
model.summary()
embedding_layer, rnn_layer, dense_layer = model.layers
print("Parameters, layer by layer:")
print(f"  Embedding: {vocab_size} characters · {EMBEDDING_DIM} numbers = {vocab_size * EMBEDDING_DIM}  "
      f"(Keras counts {embedding_layer.count_params()})")
print(f"  {parameters.param_formula('SimpleRNN', args.units, EMBEDDING_DIM)}  "
      f"(Keras counts {rnn_layer.count_params()})")
print(f"     = W (input->state, {EMBEDDING_DIM}·{args.units}) + U (state->state, {args.units}·{args.units}) "
      f"+ b ({args.units})")
print(f"  Dense: {args.units}·{vocab_size}+{vocab_size} = {args.units * vocab_size + vocab_size}  "
      f"(Keras counts {dense_layer.count_params()})")
print(f"  total {model.count_params():,}")

# %% [markdown]
# **Step 5: training.** The loss is the cross-entropy of the true next character:
# -ln p(true character), in nats (natural logarithm). Divided by ln 2 it is in bits per
# character, the unit of the n-gram baselines; the epoch lines show both.
#
# clipnorm=1.0: before each update, the gradient of each weight tensor (Keras clips each one
# separately; global_clipnorm would clip them together) is scaled down to norm 1 whenever its
# norm is above 1. It limits the gradient, not the step: Adam divides by its running estimate of
# the gradient's size, so the step is set by the learning rate and the moment estimates. What
# clipping protects is those estimates: one batch whose gradient explodes (a SimpleRNN's can,
# flowing back through many steps) cannot swamp them.
#
# The budget is counted in gradient steps (--steps), not epochs: one epoch of a 12 KB text is a
# handful of batches, one of a 1 MB text thousands, and the same number of epochs would undertrain
# the first and take hours on the second. Two callbacks watch the validation loss after every epoch:
# ReduceLROnPlateau cuts Adam's step size to 0.3x after any epoch that does not improve it (big steps
# early, small ones once the network starts to memorise), and EarlyStopping ends training after 2
# such epochs in a row and puts back the weights of the best epoch.

# %% Step 5: train within a budget of gradient steps (early stopping on validation)
batches_per_epoch = math.ceil(len(X_train) / args.batch_size)
max_epochs = max(1, math.ceil(args.steps / batches_per_epoch))  # a short text gets more passes
PATIENCE, STEP_SIZE_CUT = 2, 0.3
model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate, clipnorm=1.0),
              loss="sparse_categorical_crossentropy")
cut_step_size = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=STEP_SIZE_CUT, patience=0,
                                                  min_delta=0.0)
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE,
                                               restore_best_weights=True)
# Listed first, print_epoch reads the step size this epoch used, before cut_step_size may change it.
print_epoch = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: print(
        f"epoch {epoch + 1}/{max_epochs}: loss {logs['loss']:.4f} nats = "
        f"{ngrams.bits_per_char(logs['loss']):.3f} bits/char, "
        f"val_loss {logs['val_loss']:.4f} nats = {ngrams.bits_per_char(logs['val_loss']):.3f} bits/char, "
        f"step size {float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)):.2g}"
    )
)
print(f"\n[5] training: {len(X_train):,} windows of {args.seq_len} characters in batches of "
      f"{args.batch_size}, {batches_per_epoch} batches per epoch")
print(f"budget {args.steps} gradient steps = at most {max_epochs} epochs; "
      f"Adam {args.learning_rate:g} with clipnorm 1")
print(f"after an epoch without progress on validation: step size x{STEP_SIZE_CUT}; "
      f"after {PATIENCE} in a row: stop")
fit_started = time.perf_counter()
history = model.fit(
    X_train, y_train,
    epochs=max_epochs,
    batch_size=args.batch_size,
    validation_data=(X_val, y_val),
    callbacks=[print_epoch, cut_step_size, early_stopping],
    verbose=0,  # print_epoch prints one line per epoch, in nats and in bits
)
fit_seconds = time.perf_counter() - fit_started
val_bits_per_epoch = ngrams.bits_per_char(history.history["val_loss"])
best_epoch = int(np.argmin(val_bits_per_epoch)) + 1
epochs_run = len(val_bits_per_epoch)
# The restored (best) weights' probability of every validation character (float64, so the
# mixture below adds numbers exactly as written), and their fingerprint: the same data before
# the test part gives the same weights, whatever the test part holds.
p_rnn_val = mixture.target_probabilities(model.predict(X_val, batch_size=256, verbose=0), y_val)
model_val_bits = mixture.mixture_bits(p_rnn_val, p_rnn_val, 1.0)  # weight 1: the network alone
weights_sha256 = hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes()
                                         for w in model.get_weights())).hexdigest()
stopped = "stopped early" if epochs_run < max_epochs else "used the whole budget"
print(f"fit: {fit_seconds:.1f} s, {epochs_run} epochs ({stopped}); kept the best epoch on validation, "
      f"{best_epoch}: {model_val_bits:.3f} bits/char")
best_epoch_is_last_allowed = best_epoch == max_epochs
if best_epoch_is_last_allowed:
    # Validation was still improving when the budget ran out: the search for the epoch hit its edge.
    print(f"warning: the best epoch is the last one the budget allowed ({best_epoch} of {max_epochs}):")
    print("  validation was still improving, so training may have stopped too soon; try a larger --steps")
print(f"weights fingerprint (sha256): {weights_sha256[:16]}...")

# %% [markdown]
# **Step 6: the network and the n-gram together, chosen on validation.** The two models make
# different mistakes: the n-gram copies exact strings it counted (names, rare words) that a small
# network blurs, while the network generalises across contexts the n-gram never saw. Mixing their
# next-character probabilities,
#
#     p_mix(c) = w * p_SimpleRNN(c) + (1 - w) * p_ngram(c),
#
# keeps the probability of the true character away from zero wherever one of them is confidently
# wrong (and -log2 punishes near-zero probabilities hardest). Mikolov et al. (2011) combined neural
# language models with n-gram models this way. The weight w is a choice, so it is chosen on the
# validation part from 0, 0.1, ..., 1: w = 1 is the SimpleRNN alone, w = 0 the n-gram alone, so
# validation can always pick either model by itself. Then the test part is scored once.

# %% Step 6: choose the mixture weight on validation, then score the test part once
ngram_order = {key: n for key, n, _label in NGRAMS}[best_ngram]
ngram_k = baselines[best_ngram]["k"]
p_ngram_val = mixture.ngram_target_probabilities(train_ids, val_targets, ngram_order, ngram_k, vocab_size,
                                                 context=encoded[: val_start + 1])
weight, mixture_val_bits, val_bits_per_weight = mixture.choose_weight(p_rnn_val, p_ngram_val)
pick = mixture.picked_model(weight)
pick_names = {"SimpleRNN": "the SimpleRNN alone (w = 1)", "n-gram": f"the {labels[best_ngram]} alone (w = 0)",
              "mixture": f"the mixture, w = {weight:g} SimpleRNN + {1 - weight:g} {labels[best_ngram]}"}
print(f"\n[6] the mixture w * SimpleRNN + (1 - w) * {labels[best_ngram]}, "
      "on the validation part (bits/char):")
tried = [f"w={w:g} {bits:.3f}" for w, bits in val_bits_per_weight.items()]
for row in range(0, len(tried), 6):
    print("  " + ", ".join(tried[row : row + 6]))
print(f"validation picks {pick_names[pick]}: {mixture_val_bits:.3f} bits/char")

run_metrics = case_metrics.text_payload(
    val_bits_per_char=model_val_bits, baselines=baselines, best_ngram=best_ngram,
    uniform_bits_per_char=uniform_bits,
    train_chars=len(train_ids), val_chars=len(val_ids), test_chars=len(test_ids), val_scored_chars=y_val.size,
    best_epoch=best_epoch, epochs_run=epochs_run, val_bits_per_epoch=val_bits_per_epoch.tolist(),
    weights_sha256=weights_sha256, fit_seconds=fit_seconds, params=model.count_params(), seed=args.seed,
    seq_len=args.seq_len, stride=stride, epochs=max_epochs, units=args.units, batch_size=args.batch_size,
    learning_rate=args.learning_rate, vocabulary=vocab, backend=backend_name(),
    steps=args.steps, batches_per_epoch=batches_per_epoch, patience=PATIENCE, step_size_cut=STEP_SIZE_CUT,
    best_epoch_is_last_allowed=best_epoch_is_last_allowed,
    mixture_payload=case_metrics.text_mixture(ngram=best_ngram, weight=weight, pick=pick,
                                              val_bits_per_char=mixture_val_bits,
                                              val_bits_per_weight=val_bits_per_weight),
)
if args.validation_only:
    # benchmarks/choose_rnn.py compares settings on these validation scores; it never
    # needs, and so never gets, a test score.
    metrics.write_metrics(out_dir / "metrics.json", run_metrics)
    print("\n--validation-only: stopped before the test part. "
          f"Done in {time.perf_counter() - run_started:.1f} s.")
    sys.exit(0)

# Every choice is made. Now, once, the test part: the network's restored weights, each
# n-gram with its chosen k, and the mixture with its chosen w, on the same test characters.
# The first characters of each window are predicted with little context (the state starts
# at zero), while the n-grams always see the true preceding characters: a small handicap
# for the network.
p_rnn_test = mixture.target_probabilities(model.predict(X_test, batch_size=256, verbose=0), y_test)
p_ngram_test = mixture.ngram_target_probabilities(train_ids, test_targets, ngram_order, ngram_k, vocab_size,
                                                  context=encoded[: test_start + 1])
model_bits = mixture.mixture_bits(p_rnn_test, p_ngram_test, 1.0)
pick_bits = mixture.mixture_bits(p_rnn_test, p_ngram_test, weight)  # the pick's test score
for key, n, _label in NGRAMS:
    baselines[key]["bits_per_char"] = ngrams.ngram_bits_per_char(
        train_ids, test_targets, n, k=baselines[key]["k"], vocab_size=vocab_size,
        context=encoded[: test_start + 1],
    )

mixture_name = f"mixture, w = {weight:g}"
scores = {"SimpleRNN alone": (model_val_bits, model_bits)}
scores.update({f"{labels[key]} (add-k, k={score['k']:g})":
               (score["val_bits_per_char"], score["bits_per_char"]) for key, score in baselines.items()})
if pick == "mixture":
    scores[mixture_name] = (mixture_val_bits, pick_bits)
scores[f"uniform guess (log2 {vocab_size})"] = (uniform_bits, uniform_bits)
picked_row = {"SimpleRNN": "SimpleRNN alone", "mixture": mixture_name,
              "n-gram": f"{labels[best_ngram]} (add-k, k={ngram_k:g})"}[pick]
print(f"\nscores in bits/char, validation ({y_val.size:,} characters) "
      f"and test ({y_test.size:,} characters, scored once):")
name_width = max(len(name) for name in scores) + 2
print(f"{'model':<{name_width}}{'validation':>11}{'test':>8}")
print("-" * (name_width + 19))
for name, (val_bits, test_bits) in sorted(scores.items(), key=lambda item: item[1][0]):
    print(f"{name:<{name_width}}{val_bits:>11.3f}{test_bits:>8.3f}" + ("  <- picked on validation"
                                                                        if name == picked_row else ""))
best_bits = baselines[best_ngram]["bits_per_char"]


def compared(bits):
    """How `bits` did against the best n-gram on the test part, in words."""
    verb = "beat" if bits < best_bits else "did NOT beat"
    return (f"{verb} the {labels[best_ngram]} ({best_bits:.3f}) by {best_bits - bits:+.3f} bits/char "
            f"({(best_bits - bits) / best_bits:+.1%})")


# The verdict is about the pick: what a student would have shipped, chosen without the test part.
if pick == "n-gram":
    print(f"Validation picked the {labels[best_ngram]} alone: mixing in the SimpleRNN did not help on "
          "validation.")
else:
    print(f"Validation picked {pick_names[pick]}: {pick_bits:.3f} bits/char on the test part;")
    print(f"  it {compared(pick_bits)}.")
if pick != "SimpleRNN":
    print(f"The SimpleRNN alone, {model_bits:.3f} bits/char, {compared(model_bits)}.")
# 2 ** bits is the "perplexity": as unsure as choosing among that many equally likely characters.
print(f"perplexity of the pick 2**{pick_bits:.2f} = {2 ** pick_bits:.1f}: "
      f"as unsure as a choice among {2 ** pick_bits:.1f} equally likely characters")

model.save(out_dir / "model.keras")
run_metrics.update(case_metrics.text_test_scores(model_bits, y_test.size, test_unknown,
                                                 pick_bits_per_char=pick_bits))
run_metrics["mixture"]["bits_per_char"] = pick_bits
metrics.write_metrics(out_dir / "metrics.json", run_metrics)

# %% Step 7: visualize the learning curves, in bits per character
# plot_loss reads history.history and the loss name; we hand it the same curves in bits,
# then draw the baselines the network has to get under.
show = not args.no_show
history_in_bits = SimpleNamespace(
    history={name: ngrams.bits_per_char(history.history[name]).tolist() for name in ("loss", "val_loss")},
    model=SimpleNamespace(loss="bits per character"),
)
figure = plotting.plot_loss(history_in_bits, "SimpleRNN: cross-entropy per epoch")
axes = figure.axes[0]
lines_drawn = {labels["bigram"]: (baselines["bigram"]["val_bits_per_char"], ":"),
               labels[best_ngram]: (baselines[best_ngram]["val_bits_per_char"], "--")}
if pick == "mixture":
    lines_drawn[f"mixture, w = {weight:g}"] = (mixture_val_bits, "-.")
for name, (level, style) in lines_drawn.items():
    axes.axhline(level, color="0.4", linestyle=style, linewidth=1)
    axes.annotate(f"{name} (validation)", (1, level),
                  textcoords="offset points", xytext=(2, 3), fontsize=8, color="0.3")
axes.axvline(best_epoch, color="tab:green", linewidth=1, alpha=0.5, label=f"best epoch ({best_epoch}), kept")
axes.legend()
plotting.save_figure(figure, out_dir / "loss.png", show)
print("\n[7] loss.png: training and validation bits/char per epoch, with the validation scores of")
print(f"  {'; '.join(lines_drawn)}")

# %% Step 8: generate text from a prompt, one character at a time, carrying the state
# The network gives probabilities for the next character; we draw one, feed it in, and
# ask again. The temperature T reshapes the probabilities before the draw (p ** (1/T),
# then normalised): T < 1 sharpens them towards the most likely character (safe, but it
# repeats itself), T = 1 draws from the network's own probabilities, T > 1 flattens them
# (more surprise, more spelling mistakes). Near T = 0 it always takes the most likely one.
#
# A prompt character that is not in the vocabulary has no embedding vector, so the network
# cannot read it: prepare_prompt turns curly quotes and dashes into plain ones when those
# are known, drops any other unknown character (we print which), and if nothing is left
# starts from the first character of the text.
# Without --prompt, a student's text starts from its own first words (from the training part,
# so every character is known); the shipped primer keeps the prompt written for it.
shipped_text = Path(args.text).resolve() == paths.data_file("rnn_primer.txt").resolve()
typed_prompt = args.prompt
if typed_prompt is None:
    typed_prompt = SHIPPED_PROMPT if shipped_text else generation.prompt_from_text(train_text)
prompt_ids, dropped = generation.prepare_prompt(typed_prompt, mapping, fallback=text[:1])
prompt = corpus.decode(prompt_ids, vocab)
print(f"\n[8] prompt {prompt!r}" + ("" if args.prompt is not None else
                                    " (the default for this text; choose another with --prompt)"))
if dropped:
    # ascii() and the Unicode name print safely in any terminal, whatever its encoding.
    names = ", ".join(f"{ascii(ch)} ({unicodedata.name(ch, 'no name')})" for ch in dropped)
    print(f"  not in the vocabulary, so dropped from the prompt: {names}")

# This is what a recurrent network is for: its hidden state is its memory of everything
# read so far, so each new character costs ONE step of the recurrence,
#     h_t = tanh(x_t·W + h_{t-1}·U + b),   then   p = softmax(h_t·V + c),
# with h_{t-1} carried over from the previous character. char_model_step does exactly
# that in NumPy with the trained weights (put a breakpoint inside it to watch h_t change).
# All temperatures run together, one row of a batch each. The state starts at zero, as
# in training, and reads the prompt first.
weights = generation.char_model_weights(model)  # embedding, W, U, b, Dense V and c, as NumPy arrays
rng = np.random.default_rng(args.seed)  # the draws are repeatable too
temperatures = args.temperature
contexts = [list(prompt_ids) for _ in temperatures]
hidden_state = np.zeros((len(temperatures), args.units), dtype=np.float32)
for char_id in prompt_ids:
    probabilities, hidden_state = generation.char_model_step(np.full(len(temperatures), char_id),
                                                             hidden_state, weights)
for _ in range(args.length):
    probabilities[:, unknown_id] = 0.0  # never write the UNKNOWN symbol itself
    next_ids = [generation.sample_next(probabilities[row], temperature, rng)
                for row, temperature in enumerate(temperatures)]
    for context, char_id in zip(contexts, next_ids):
        context.append(char_id)
    probabilities, hidden_state = generation.char_model_step(np.array(next_ids), hidden_state, weights)

samples = {temperature: corpus.decode(context, vocab) for temperature, context in zip(temperatures, contexts)}
report = [f"prompt: {prompt!r} "
          f"(typed: {typed_prompt!r}; dropped: {', '.join(map(ascii, dropped)) or 'none'})"]
for temperature, sample in samples.items():
    report += ["", f"--- temperature {temperature:g} ---", sample]
(out_dir / "samples.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
print(f"{args.length} characters at each of {len(temperatures)} temperatures "
      "(long lines wrapped here; samples.txt keeps them as generated):")
for temperature, sample in samples.items():
    print(f"\n--- temperature {temperature:g} ---")
    for line in sample.split("\n"):
        print(textwrap.fill(line, width=110) if len(line) > 110 else line)

# Two checks on the first sample's text, and the cost of each way.
# (a) Carrying the state is exact: the probabilities after each character equal those of
#     the Keras model reading the whole text so far from a zero state, in one call.
# (b) Re-reading only the last seq_len characters from a zero state for every new
#     character (seq_len steps each, the way the network was trained) agrees with (a)
#     while the text is at most seq_len long. Beyond that, the two differ by exactly as
#     much as the characters that fell out of the window still change the carried state:
#     we measure it. Nothing in training (truncated BPTT, step 3) asked the network to
#     use characters that far back.
# The first 400 characters are enough to pass the window, and keep this quick for a long --length.
context = np.array(contexts[0][:-1][:400])  # characters the first sample was generated from
steps = len(context)
carried = np.empty((steps, vocab_size))
started = time.perf_counter()
state = np.zeros(args.units, dtype=np.float32)
for t, char_id in enumerate(context):
    carried[t], state = generation.char_model_step(char_id, state, weights)
carried_ms = 1000 * (time.perf_counter() - started) / steps
whole_text = model.predict_on_batch(context[np.newaxis])[0]  # Keras reads all the characters at once

reread = np.empty((steps, vocab_size))
started = time.perf_counter()
for t in range(steps):
    state = np.zeros(args.units, dtype=np.float32)
    for char_id in context[max(0, t + 1 - args.seq_len) : t + 1]:
        reread[t], state = generation.char_model_step(char_id, state, weights)
reread_ms = 1000 * (time.perf_counter() - started) / steps
carry_gap = float(np.abs(carried - whole_text).max())
within = min(steps, args.seq_len)
window_gap_within = float(np.abs(carried[:within] - reread[:within]).max())
window_gap_beyond = float(np.abs(carried[within:] - reread[within:]).max()) if steps > within else 0.0
print("\nnext-character probabilities, carried state vs Keras reading all "
      f"{steps} characters from a zero state:")
print(f"  largest difference {carry_gap:.1e}")
print(f"carried state vs re-reading only the last {args.seq_len} characters: {window_gap_within:.1e} "
      "while the text fits the window")
if steps > within:
    # How much the characters that fell out of the window still change the prediction:
    # the measured answer for this trained network, not a property of every SimpleRNN.
    faded = window_gap_beyond < 1e-4
    print(f"  after the first {within} characters: {window_gap_beyond:.1e}; "
          + ("what lies further back has faded from the state" if faded else
             "the carried state still holds older characters,"))
    print("  " + ("(the memory is shorter than the window)" if faded else
                  "though training never asked it to use them"))
print(f"time per generated character (model arithmetic, NumPy): carrying the state {carried_ms:.3f} ms "
      "(1 step),")
print(f"  re-reading the window {reread_ms:.3f} ms (up to {args.seq_len} steps), "
      f"{reread_ms / carried_ms:.0f}x slower")
run_metrics["generation"] = case_metrics.generation_checks(carried_ms, reread_ms, carry_gap,
                                                           window_gap_within, window_gap_beyond)
metrics.write_metrics(out_dir / "metrics.json", run_metrics)

# %% [markdown]
# **Step 9: look inside the cell.** fit, evaluate and predict run a compiled TensorFlow graph
# (Keras traces its Python code once, then runs the graph), so a breakpoint in Keras's code is
# never hit while they run. Inside that graph the SimpleRNN is a loop over the time steps (a
# tf.while_loop, see keras/src/backend/tensorflow/rnn.py), not Python a debugger can step through.
# utils.recurrent.cells.run_cell redoes the same arithmetic in NumPy, one character at a time.
#
# To watch it: put a breakpoint in utils/recurrent/cells.py, inside simple_rnn_step, on the line
# `hidden_state = activation(from_input + from_memory)` and step: from_input is what the current
# character says, from_memory what the previous state remembers, and hidden_state the new memory
# (one value per unit).
#
# The SimpleRNN's input is not the character index but its embedding vector, so we look the
# vectors up in the Embedding layer's weight matrix (one row per character).

# %% Step 9: look inside the cell: the hidden state at every character of one sequence
look_ids = X_val[0]
embedding_matrix = embedding_layer.get_weights()[0]  # shape (vocab_size, EMBEDDING_DIM)
embedded_sequence = embedding_matrix[look_ids]  # shape (seq_len, EMBEDDING_DIM)
trace = cells.run_cell(rnn_layer, embedded_sequence)
keras_states = keras.ops.convert_to_numpy(rnn_layer(embedded_sequence[np.newaxis]))[0]
gap = float(np.abs(trace["hidden_state"] - keras_states).max())

# Show the busiest units: those whose value changes most along the sequence.
busiest = np.argsort(trace["hidden_state"].std(axis=0))[::-1]
look_chars = [vocab[i] for i in look_ids]
plotted_steps = min(len(look_ids), 48)
print("\n[9] the hidden state, character by character, for the validation sequence")
print(f"  {corpus.decode(look_ids[:70], vocab)!r}{' ...' if len(look_ids) > 70 else ''}")
print(f"NumPy mirror vs Keras layer: largest difference {gap:.1e} (float rounding only)")
print(gate_views.format_gate_table(
    trace, "hidden_state", units=sorted(busiest[:3].tolist()),
    step_labels=[f"{t} {ch!r}" for t, ch in enumerate(look_chars)], step_header="t, character",
    max_rows=24, more_text=f"... {{n}} more characters (gates.png draws the first {plotted_steps})",
))
# Each value lies in (-1, 1) (tanh). A unit that flips at every space, or stays high inside
# a word, has learned something about the text's structure; most units mix several things.
figure = gate_views.gates_figure(
    {"hidden_state": trace["hidden_state"][:plotted_steps]}, units=sorted(busiest[:8].tolist()),
    title=f"SimpleRNN hidden state, the {len(busiest[:8])} busiest of {args.units} units",
)
heatmap = figure.axes[0]
tick_labels = [{" ": "␣", "\n": "⏎"}.get(ch, ch) for ch in look_chars[:plotted_steps]]
heatmap.set_xticks(range(plotted_steps), tick_labels, fontsize=8)
heatmap.set_xlabel("character read at this time step")
plotting.save_figure(figure, out_dir / "gates.png", show)
print(f"gates.png: the {len(busiest[:8])} busiest units over the first {plotted_steps} characters "
      "(red = positive, blue = negative)")

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
