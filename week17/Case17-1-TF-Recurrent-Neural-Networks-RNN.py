"""Case 17-1: a simple recurrent network (SimpleRNN) learns to write, one character at a time.

The data: a 44 KB primer on sequences, memory and recurrent networks, written for this
course (data/rnn_primer.txt); --text trains on any UTF-8 text file you bring instead.
The question: given the characters so far, what is the next character?

What this case teaches, step by step:
  1. load the text and look at it (length, vocabulary, most common characters);
  2. turn characters into integers and back;
  3. cut overlapping sequences, split them in time order (the last 10 % of the text is
     validation), and score simple counting models (n-grams) that the network must beat;
  4. build Embedding -> SimpleRNN -> Dense softmax and count its parameters;
  5. train it and score it in bits per character, beside the n-gram baselines;
  6. plot the learning curves (in bits per character);
  7. generate text from a prompt at several temperatures;
  8. look inside the trained cell: its hidden state at every character of one sequence.

Run it:   python week17/Case17-1-TF-Recurrent-Neural-Networks-RNN.py
Flags:    --help lists them all; try --temperature 0.1 0.5 1.5 or --prompt "Memory is".
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
    sys.exit("error: cannot find the project folder (the one holding utils/); run this from inside the project")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import math
import time
import unicodedata
from collections import Counter
from types import SimpleNamespace

import numpy as np

from utils import cells, cli, metrics, paths, plotting
from utils import text as text_utils
from utils.errors import exit_cleanly_on_bad_input
from utils.runtime import backend_name, hide_tensorflow_startup_messages, set_seed

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-1-rnn"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-1: a SimpleRNN learns to write, one character at a time.")
parser.add_argument("--text", default=str(paths.data_file("rnn_primer.txt")), help="UTF-8 text file to learn from (default: %(default)s)")
parser.add_argument("--seq-len", type=cli.positive_int, default=64, help="characters the network reads per training sequence (default: %(default)s)")
cli.add_training_flags(parser, epochs=8, units=192)
parser.add_argument("--batch-size", type=cli.positive_int, default=64, help="sequences per gradient step (default: %(default)s)")
parser.add_argument("--prompt", default="A recurrent network ", help="text that generation starts from (default: %(default)r)")
parser.add_argument(
    "--temperature", type=cli.positive_float, nargs="+", default=[0.2, 0.7, 1.0],
    help="one or more sampling temperatures: low = safe and repetitive, high = surprising (default: %(default)s)",
)
parser.add_argument("--length", type=cli.positive_int, default=300, help="characters to generate per temperature (default: %(default)s)")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-1 (SimpleRNN): writing to {out_dir}")

# %% Step 1: load the text and look at it
# load_text refuses a missing, empty, binary or non-UTF-8 file with one clear line.
text = text_utils.load_text(args.text)
VAL_FRACTION = 0.1  # the last 10 % of the characters is validation
# The training part and the validation part must each hold at least one whole sequence.
n_train_chars, n_val_chars = text_utils.check_text_length(len(text), args.seq_len, VAL_FRACTION)

vocab = text_utils.build_vocabulary(text)  # every distinct character, sorted
vocab_size = len(vocab)
counts = Counter(text)
print(f"\n[1] {Path(args.text).name}: {len(text):,} characters, {len(text.split()):,} words, {text.count(chr(10)) + 1:,} lines")
print(f"vocabulary: {vocab_size} distinct characters: {''.join(vocab)!r}")
print("most common characters:", ", ".join(f"{ch!r} {n / len(text):.1%}" for ch, n in counts.most_common(10)))
print(f"the text begins: {text[:120]!r}")
# A uniform guess over the vocabulary costs log2(V) bits per character: the worst any
# model that has learned nothing at all should do.
uniform_bits = math.log2(vocab_size)

# %% Step 2: encode characters as integers
# A network computes with numbers, not letters: each character gets the index of its place
# in the sorted vocabulary. The vocabulary comes from the whole text, so a character that
# only appears in the validation part still has a number (it would just be badly predicted).
mapping = text_utils.char_to_index(vocab)
encoded = text_utils.encode(text, mapping)  # np.int32, one number per character

sample_line = next((line for line in text.splitlines() if len(line.strip()) >= 20), text[:40]).strip()[:32]
sample_ids = text_utils.encode(sample_line, mapping)
print(f"\n[2] the mapping for a sample line {sample_line!r}:")
print("  " + "  ".join(f"{ch!r}->{i}" for ch, i in zip(sample_line, sample_ids)))
print(f"  encoded: {sample_ids.tolist()}")
print(f"  decoded back: {text_utils.decode(sample_ids, vocab)!r}")

# %% Step 3: cut sequences, split in time order, and score the n-gram baselines
# The split is chronological: the network never sees the validation text while it learns,
# exactly as it would never have seen a new text written tomorrow.
train_ids, val_ids = text_utils.split_text(encoded, VAL_FRACTION)

# Every training sequence is seq_len characters, and its labels are the same characters
# shifted by one: at every position the network predicts the character that follows.
# Training windows overlap (a new one starts every seq_len // 8 characters) to get more of them.
# Validation windows do not overlap, so every validation character is scored exactly once.
stride = max(1, args.seq_len // 8)
X_train, y_train = text_utils.make_sequences(train_ids, args.seq_len, stride)
X_val, y_val = text_utils.make_sequences(val_ids, args.seq_len, args.seq_len)

print(f"\n[3] training part {len(train_ids):,} characters, validation part {len(val_ids):,} (the last {VAL_FRACTION:.0%})")
print(f"train: X {X_train.shape}, y {y_train.shape} = (sequences, seq_len), a new one every {stride} characters")
print(f"val:   X {X_val.shape}, y {y_val.shape}, not overlapping (scores {y_val.size:,} characters)")
print("one sequence and its labels (the same text shifted by one character):")
shown = min(args.seq_len, 70)  # a long --seq-len would flood the terminal
print(f"  X[0] = {text_utils.decode(X_train[0, :shown], vocab)!r}{' ...' if shown < args.seq_len else ''}")
print(f"  y[0] = {text_utils.decode(y_train[0, :shown], vocab)!r}{' ...' if shown < args.seq_len else ''}")

# The baselines: an n-gram model predicts the next character by counting what followed
# the previous n-1 characters in the training text (unigram: no context at all). Add-k
# smoothing gives unseen combinations a small probability; the best k is picked for each.
# The scores are in bits per character: lower is better.
NGRAMS = [("unigram", 1, "unigram"), ("bigram", 2, "bigram"), ("trigram", 3, "trigram"), ("fourgram", 4, "4-gram")]
baselines, labels = {}, {}  # metrics.json key -> score; key -> printed name
for key, n, label in NGRAMS:
    k, bits = text_utils.best_add_k(train_ids, val_ids, n, vocab_size=vocab_size)
    baselines[key], labels[key] = {"bits_per_char": bits, "k": k}, label
best_ngram = min(baselines, key=lambda key: baselines[key]["bits_per_char"])
print("n-gram baselines on the validation part: " + ", ".join(
    f"{labels[key]} {score['bits_per_char']:.3f}" for key, score in baselines.items()
) + f" bits/char; best: {labels[best_ngram]}")

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
print(f"  Embedding: {vocab_size} characters · {EMBEDDING_DIM} numbers = {vocab_size * EMBEDDING_DIM}  (Keras counts {embedding_layer.count_params()})")
print(f"  {cells.param_formula('SimpleRNN', args.units, EMBEDDING_DIM)}  (Keras counts {rnn_layer.count_params()})")
print(f"     = W (input->state, {EMBEDDING_DIM}·{args.units}) + U (state->state, {args.units}·{args.units}) + b ({args.units})")
print(f"  Dense: {args.units}·{vocab_size}+{vocab_size} = {args.units * vocab_size + vocab_size}  (Keras counts {dense_layer.count_params()})")
print(f"  total {model.count_params():,}")

# %% Step 5: train and evaluate
# The loss is the cross-entropy of the true next character: -ln p(true character), in nats.
# Divided by ln 2 it is in bits per character, the unit of the n-gram baselines.
# clipnorm=1 caps the size of each gradient step: a SimpleRNN's gradients can explode
# when they flow back through many time steps. Early stopping watches the validation loss
# and, at the end, puts back the weights of the best epoch (a larger model starts to
# memorise the training text after a few epochs).
LEARNING_RATE = 5e-3
model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE, clipnorm=1.0), loss="sparse_categorical_crossentropy")
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True, verbose=1)
fit_started = time.perf_counter()
history = model.fit(
    X_train, y_train,
    epochs=args.epochs,
    batch_size=args.batch_size,
    validation_data=(X_val, y_val),
    callbacks=[early_stopping],
    verbose=2,
)
fit_seconds = time.perf_counter() - fit_started
best_epoch = int(np.argmin(history.history["val_loss"])) + 1

# Score the restored (best) weights on every validation sequence. Note that the first
# characters of each sequence are predicted with little context (the state starts at
# zero), while the n-grams always see the true preceding characters: a small handicap
# for the network.
model_bits = text_utils.bits_per_char(model.evaluate(X_val, y_val, batch_size=256, verbose=0))

scores = {"SimpleRNN (this run)": model_bits}
scores.update({f"{labels[key]} (add-k, k={score['k']:g})": score["bits_per_char"] for key, score in baselines.items()})
scores[f"uniform guess (log2 {vocab_size})"] = uniform_bits
print(f"\n[5] fit: {fit_seconds:.1f} s, {len(history.history['loss'])} epochs, best epoch {best_epoch}; "
      f"validation scores on {y_val.size:,} characters:")
name_width = max(len(name) for name in scores) + 2
print(f"{'model':<{name_width}}{'bits/char':>10}")
print("-" * (name_width + 10))
for name, bits in sorted(scores.items(), key=lambda item: item[1]):
    print(f"{name:<{name_width}}{bits:>10.3f}")
bigram_bits = baselines["bigram"]["bits_per_char"]
best_bits = baselines[best_ngram]["bits_per_char"]
print(f"bigram: {'beaten' if model_bits < bigram_bits else 'NOT beaten'} by {bigram_bits - model_bits:+.3f} bits/char; "
      f"best n-gram ({labels[best_ngram]}): {'beaten' if model_bits < best_bits else 'NOT beaten'} by {best_bits - model_bits:+.3f}")
# 2 ** bits is the "perplexity": as unsure as choosing among that many equally likely characters.
print(f"perplexity 2**{model_bits:.2f} = {2 ** model_bits:.1f}: as unsure as a choice among {2 ** model_bits:.1f} equally likely characters")

model.save(out_dir / "model.keras")
metrics.write_metrics(
    out_dir / "metrics.json",
    {
        "model_bits_per_char": model_bits,
        "baselines": baselines,
        "best_ngram": best_ngram,
        "uniform_bits_per_char": uniform_bits,
        "val_chars": int(len(val_ids)),
        "model_scored_chars": int(y_val.size),
        "best_epoch": best_epoch,
        "epochs_run": len(history.history["loss"]),
        "fit_seconds": fit_seconds,
        "params": int(model.count_params()),
        "seed": args.seed,
        "seq_len": args.seq_len,
        "stride": stride,
        "epochs": args.epochs,
        "units": args.units,
        "batch_size": args.batch_size,
        "learning_rate": LEARNING_RATE,
        "vocab_size": vocab_size,
        "vocabulary": "".join(vocab),  # index i is vocabulary[i]: needed to use model.keras later
        "backend": backend_name(),
    },
)

# %% Step 6: visualize the learning curves, in bits per character
# plot_loss reads history.history and the loss name; we hand it the same curves in bits,
# then draw the baselines the network has to get under.
show = not args.no_show
history_in_bits = SimpleNamespace(
    history={name: text_utils.bits_per_char(history.history[name]).tolist() for name in ("loss", "val_loss")},
    model=SimpleNamespace(loss="bits per character"),
)
figure = plotting.plot_loss(history_in_bits, "SimpleRNN: cross-entropy per epoch")
axes = figure.axes[0]
for key, style in (("bigram", ":"), (best_ngram, "--")):
    axes.axhline(baselines[key]["bits_per_char"], color="0.4", linestyle=style, linewidth=1)
    axes.annotate(f"{labels[key]} (validation)", (1, baselines[key]["bits_per_char"]), textcoords="offset points",
                  xytext=(2, 3), fontsize=8, color="0.3")
axes.axvline(best_epoch, color="tab:green", linewidth=1, alpha=0.5, label=f"best epoch ({best_epoch}), kept")
axes.legend()
plotting.save_figure(figure, out_dir / "loss.png", show)
print(f"\n[6] loss.png: training and validation bits/char per epoch, with the bigram and {labels[best_ngram]} lines")

# %% Step 7: generate text from a prompt at several temperatures
# The network gives probabilities for the next character; we draw one, append it, and ask
# again. The temperature T reshapes the probabilities before the draw (p ** (1/T), then
# normalised): T < 1 sharpens them towards the most likely character (safe, but it
# repeats itself), T = 1 draws from the network's own probabilities, T > 1 flattens them
# (more surprise, more spelling mistakes). Near T = 0 it always takes the most likely one.
#
# A prompt character that is not in the vocabulary has no embedding vector, so the network
# cannot read it: prepare_prompt turns curly quotes and dashes into plain ones when those
# are known, drops any other unknown character (we print which), and if nothing is left
# starts from the first character of the text.
prompt_ids, dropped = text_utils.prepare_prompt(args.prompt, mapping, fallback=text[:1])
prompt = text_utils.decode(prompt_ids, vocab)
print(f"\n[7] prompt {prompt!r}")
if dropped:
    # ascii() and the Unicode name print safely in any terminal, whatever its encoding.
    names = ", ".join(f"{ascii(ch)} ({unicodedata.name(ch, 'no name')})" for ch in dropped)
    print(f"  not in the vocabulary, so dropped from the prompt: {names}")
if len(prompt_ids) > args.seq_len:
    print(f"  the network sees only the last {args.seq_len} characters of the prompt (--seq-len)")

# All temperatures are generated together, one row of a batch each, so each step is a
# single call. The network reads the last seq_len characters (as in training, its state
# starts at zero). A shorter context sits at the left of a fixed-size window: a
# SimpleRNN reads left to right, so whatever fills the rest of the window cannot change
# its prediction at position len(context) - 1, and the window's shape never changes.
# predict_on_batch runs Keras's compiled graph (~2 ms a call); model(x) would run the
# recurrent loop step by step in Python, ~50 times slower.
rng = np.random.default_rng(args.seed)  # the draws are repeatable too
temperatures = args.temperature
contexts = [list(prompt_ids) for _ in temperatures]
window = np.zeros((len(temperatures), args.seq_len), dtype=np.int32)
generation_started = time.perf_counter()
for _ in range(args.length):
    recent = [context[-args.seq_len:] for context in contexts]
    for row, ids in enumerate(recent):
        window[row, : len(ids)] = ids
    position = len(recent[0]) - 1  # where the newest character sits: its output predicts the next one
    probabilities = model.predict_on_batch(window)[:, position, :]
    for row, temperature in enumerate(temperatures):
        contexts[row].append(text_utils.sample_next(probabilities[row], temperature, rng))
generation_seconds = time.perf_counter() - generation_started

samples = {temperature: text_utils.decode(context, vocab) for temperature, context in zip(temperatures, contexts)}
report = [f"prompt: {prompt!r} (typed: {args.prompt!r}; dropped: {', '.join(map(ascii, dropped)) or 'none'})"]
for temperature, sample in samples.items():
    report += ["", f"--- temperature {temperature:g} ---", sample]
(out_dir / "samples.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
print(f"{args.length} characters at each of {len(temperatures)} temperatures in {generation_seconds:.1f} s:")
for temperature, sample in samples.items():
    print(f"\n--- temperature {temperature:g} ---\n{sample}")

# %% Step 8: look inside the cell: the hidden state at every character of one sequence
# Keras runs the SimpleRNN as one fused operation, so a debugger cannot stop inside it.
# utils.cells.run_cell redoes the same arithmetic in NumPy, one character at a time.
# To watch it: put a breakpoint in utils/cells.py, inside simple_rnn_step, on the line
#     hidden_state = activation(from_input + from_memory)
# and step: from_input is what the current character says, from_memory what the
# previous state remembers, and hidden_state the new memory (one value per unit).
#
# The SimpleRNN's input is not the character index but its embedding vector, so we look
# the vectors up in the Embedding layer's weight matrix (one row per character).
look_ids = X_val[0]
embedding_matrix = embedding_layer.get_weights()[0]  # shape (vocab_size, EMBEDDING_DIM)
embedded_sequence = embedding_matrix[look_ids]  # shape (seq_len, EMBEDDING_DIM)
trace = cells.run_cell(rnn_layer, embedded_sequence)
keras_states = keras.ops.convert_to_numpy(rnn_layer(embedded_sequence[np.newaxis]))[0]
gap = float(np.abs(trace["hidden_state"] - keras_states).max())

# Show the busiest units: those whose value changes most along the sequence.
busiest = np.argsort(trace["hidden_state"].std(axis=0))[::-1]
look_chars = [vocab[i] for i in look_ids]
shown_steps = min(len(look_ids), 24)
print(f"\n[8] the hidden state, character by character, for the validation sequence "
      f"{text_utils.decode(look_ids[:70], vocab)!r}{' ...' if len(look_ids) > 70 else ''}")
print(f"NumPy mirror vs Keras layer: largest difference {gap:.1e} (float rounding only)")
table = cells.format_gate_table(trace, "hidden_state", units=sorted(busiest[:3].tolist())).splitlines()
print(table[0])
print(table[1] + "  character")
for t, row in enumerate(table[2 : 2 + shown_steps]):
    print(f"{row}  {look_chars[t]!r}")
plotted_steps = min(len(look_ids), 48)
if shown_steps < plotted_steps:
    print(f"  ... {plotted_steps - shown_steps} more steps in gates.png")
# Each value lies in (-1, 1) (tanh). A unit that flips at every space, or stays high inside
# a word, has learned something about the text's structure; most units mix several things.
figure = cells.gates_figure(
    {"hidden_state": trace["hidden_state"][:plotted_steps]}, units=sorted(busiest[:8].tolist()),
    title=f"SimpleRNN hidden state, the {len(busiest[:8])} busiest of {args.units} units",
)
heatmap = figure.axes[0]
heatmap.set_xticks(range(plotted_steps), [{" ": "␣", "\n": "⏎"}.get(ch, ch) for ch in look_chars[:plotted_steps]], fontsize=8)
heatmap.set_xlabel("character read at this time step")
plotting.save_figure(figure, out_dir / "gates.png", show)
print(f"gates.png: the {len(busiest[:8])} busiest units over the first {plotted_steps} characters (red = positive, blue = negative)")

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
