"""Case 17-4: vanishing and exploding gradients, measured; SimpleRNN vs LSTM vs GRU.

The lecture says: a SimpleRNN's gradients vanish over many time steps, so it cannot learn
long-term dependencies; LSTM and GRU fix that; gradients can also explode, and clipping
fixes that. This case turns each claim into a number and a picture.

The data: made up, so we know exactly where the answer is. Every sequence starts with
+1 or -1, followed by T-1 steps of random noise; the label is the sign of the FIRST value
(utils/gradients.py, make_recall_task). A network that forgets step 1 can only guess: 50 %.

What this case teaches, step by step:
  1. make the recall task and look at one sequence;
  2. build a SimpleRNN, an LSTM and a GRU with the same number of units, and the LSTM and
     GRU once more with their memory gate open from the start ("gates open");
  3. vanishing gradients, measured: how much the loss "feels" each input step, ‖∂loss/∂x_t‖,
     for freshly initialised cells over a long sequence;
  4. long-term memory, measured: train each cell on the recall task for several lengths T;
  5. the gradients again after training, and what the gates learned;
  6. plot both: gradient_norms.png and memory.png;
  7. exploding gradients: a run whose loss turns NaN, and the same run with clipnorm;
  8. write every number to metrics.json.

Run it:   python week17/Case17-4-TF-Vanishing-Exploding-Gradients.py
Flags:    --help lists them all; --quick runs a small version in seconds;
          --gate-bias sets how open the "gates open" variants start (default 3).
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

import numpy as np

from utils import cells, cli, metrics, paths, plotting
from utils import gradients as grads
from utils.errors import BadInputError, exit_cleanly_on_bad_input
from utils.runtime import backend_name, hide_tensorflow_startup_messages, set_seed

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-4-gradients"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-4: vanishing and exploding gradients, and long-term memory, measured.")
parser.add_argument("--timesteps", type=cli.positive_int, default=100, help="length of the long sequences: the gradients are measured over this many steps, and it is the longest recall length (default: %(default)s)")
cli.add_training_flags(parser, epochs=20, units=32)
parser.add_argument("--samples", type=cli.positive_int, default=1024, help="training sequences per recall length (default: %(default)s)")
parser.add_argument("--batch-size", type=cli.positive_int, default=32, help="sequences per gradient step (default: %(default)s)")
parser.add_argument("--gate-bias", type=float, default=3.0, help="the 'gates open' variants start the LSTM's forget gate and the GRU's update gate at sigmoid(B) (default: %(default)s, i.e. 0.95)")
parser.add_argument("--quick", action="store_true", help="a small, fast version: two recall lengths, fewer sequences and epochs")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
if args.samples < 10:
    raise BadInputError(f"--samples {args.samples} is too few: 20 % of them are held out for validation; use 10 or more")

if args.quick:  # the same steps, smaller: for a first look and for the tests
    args.samples, args.epochs = min(args.samples, 256), min(args.epochs, 2)
n_test = 256 if args.quick else 512  # test sequences per recall length
n_grad = 128 if args.quick else 256  # sequences the gradient norms are averaged over
# The recall lengths: short, middle and long (10, 50, 100 by default); --quick skips the middle.
recall_lengths = sorted({t for t in (min(10, args.timesteps), args.timesteps // 2, args.timesteps) if t >= 1})
if args.quick:
    recall_lengths = sorted({recall_lengths[0], args.timesteps})
# The variants compared: the three cells as Keras builds them, and the two gated cells once more
# with their memory gate open at the start: forget gate (LSTM) or update gate (GRU) = sigmoid(--gate-bias).
VARIANTS = {  # name: (Keras layer, starting bias of the memory gate; None = Keras's default)
    "SimpleRNN": ("SimpleRNN", None),
    "LSTM": ("LSTM", None),
    "GRU": ("GRU", None),
    "LSTM, gates open": ("LSTM", args.gate_bias),
    "GRU, gates open": ("GRU", args.gate_bias),
}
SOLVED = 0.98  # validation accuracy at which a recall run stops early: the task is solved

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-4 (gradients): writing to {out_dir}")

# %% Step 1: the recall task
# Only step 1 carries the answer; the other T-1 steps are noise with the same size (std 1).
# To answer, a network must carry one number through T-1 updates of its state.
rng = np.random.default_rng(args.seed)
tasks = {}
for T in recall_lengths:
    X_train, y_train = grads.make_recall_task(args.samples, T, rng)
    X_test, y_test = grads.make_recall_task(n_test, T, rng)
    tasks[T] = (X_train, y_train, X_test, y_test)
X_long, y_long = tasks[args.timesteps][2][:n_grad], tasks[args.timesteps][3][:n_grad]

print(f"\n[1] recall lengths T = {recall_lengths}; {args.samples} training and {n_test} test sequences each")
X_train, y_train = tasks[recall_lengths[0]][:2]
print(f"X {X_train.shape} = (sequences, time steps, features);  y {y_train.shape}, share of 1s {y_train.mean():.2f}")
print(f"one sequence (T={recall_lengths[0]}): {np.round(X_train[0, :, 0], 2)}  ->  label {int(y_train[0])}")
print("the label is the sign of step 1 (1 if it is +1, 0 if -1); chance level is 0.5")

# %% Step 2: three cells, same units
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[2] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")


def build_model(variant, timesteps):
    """Input (T, 1) -> one recurrent layer -> Dense(1, sigmoid): the probability that the label is 1."""
    cell_name, gate_bias = VARIANTS[variant]
    options = {}
    if gate_bias is not None:
        options["bias_initializer"] = grads.memory_gate_bias(cell_name, args.units, gate_bias)
        if cell_name == "LSTM":
            options["unit_forget_bias"] = False  # else Keras overwrites the forget bias with 1
    recurrent = getattr(keras.layers, cell_name)(args.units, **options)
    model = keras.Sequential(
        [keras.Input(shape=(timesteps, 1)), recurrent, keras.layers.Dense(1, activation="sigmoid")],
        name=f"{variant.replace(', ', '_').replace(' ', '_').lower()}_T{timesteps}",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    return model


# The long models are measured fresh (Step 3), trained (Step 4), and measured again (Step 5).
long_models = {variant: build_model(variant, args.timesteps) for variant in VARIANTS}
for cell in ("SimpleRNN", "LSTM", "GRU"):
    print(f"  {cells.param_formula(cell, args.units, 1):<32} (Keras counts {long_models[cell].layers[0].count_params()}; +{args.units + 1} for the Dense layer)")
print(f"  'gates open': the LSTM's forget gate and the GRU's update gate start at sigmoid({args.gate_bias:g}) = "
      f"{1 / (1 + math.exp(-args.gate_bias)):.3f} (Keras's defaults: 0.731 and 0.5); same parameter counts")

# %% Step 3: vanishing gradients, measured on fresh cells
# Backpropagation through time applies the chain rule once per step:
#   ∂loss/∂x_t = ∂loss/∂h_T · (∂h_T/∂h_{T-1}) · ... · (∂h_{t+1}/∂h_t) · ∂h_t/∂x_t
# a product of T-t Jacobians. For a SimpleRNN each factor is diag(tanh'(·)) · U: if its
# size is below 1, the product shrinks geometrically with the distance T-t (it vanishes);
# above 1, it grows (it explodes). We measure the result directly: the loss's gradient
# with respect to every input step, averaged over n_grad sequences.
bce = keras.losses.binary_crossentropy  # the per-sample loss (the function, not the class)
fresh_norms = {variant: grads.input_gradient_norms(model, X_long, y_long, bce) for variant, model in long_models.items()}


def gradient_table(norms_by_cell, extra=None):
    """One row per cell: the gradient norm at the first and the last step, and their ratio."""
    mid = args.timesteps // 2
    lines = [f"{'cell':<18}{'‖∂L/∂x_1‖':>12}{f'‖∂L/∂x_{mid + 1}‖':>13}{f'‖∂L/∂x_{args.timesteps}‖':>13}{'first/last':>12}"
             + (f"{'(fresh)':>12}" if extra else "")]
    for cell, norms in norms_by_cell.items():
        row = f"{cell:<18}{norms[0]:>12.2e}{norms[mid]:>13.2e}{norms[-1]:>13.2e}{grads.gradient_ratio(norms):>12.1e}"
        lines.append(row + (f"{grads.gradient_ratio(extra[cell]):>12.1e}" if extra else ""))
    return "\n".join(lines)


print(f"\n[3] fresh cells, T = {args.timesteps}: gradient of the loss with respect to each input step")
print(gradient_table(fresh_norms))
# Expect every first/last ratio to be tiny at initialisation, the gated cells' too: a fresh
# LSTM keeps sigmoid(1) = 73 % of its cell state per step (Keras's forget-gate bias is 1),
# and 0.73^99 is about 3e-14; a fresh GRU keeps sigmoid(0) = 50 % of its state per step.
# The SimpleRNN's recurrent matrix starts orthogonal (it keeps the size of a vector), so
# only tanh' < 1 shrinks its factors. With the gates open, 0.95^99 is about 6e-3: far less shrinking.

# %% Step 4: long-term memory, measured: train every cell at every length T
# Same units, same data, same optimizer (Adam, learning rate 0.01) and the same budget of
# at most --epochs epochs; a run stops early once its validation accuracy reaches 0.98.
# This is a classification task with balanced classes, so accuracy is the right score.
# The lecture expects the SimpleRNN to fall to chance as T grows while LSTM and GRU hold.
# Compare with the table below: a cell can only learn to use step 1 if some gradient from
# step 1 reaches its weights, and Step 3 measured how much does at the start.
accuracy = {variant: {} for variant in VARIANTS}
epochs_used = {variant: {} for variant in VARIANTS}
fit_seconds = {variant: {} for variant in VARIANTS}
print(f"\n[4] training on the recall task (at most {args.epochs} epochs, stop at validation accuracy {SOLVED})")
for T in recall_lengths:
    X_train, y_train, X_test, y_test = tasks[T]
    for cell in VARIANTS:
        model = long_models[cell] if T == args.timesteps else build_model(cell, T)
        stop = grads.stop_when_accuracy_reaches(model, SOLVED)
        started = time.perf_counter()
        history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                            validation_split=0.2, callbacks=[stop], verbose=0)
        fit_seconds[cell][T] = time.perf_counter() - started
        epochs_used[cell][T] = len(history.history["loss"])
        accuracy[cell][T] = float(model.evaluate(X_test, y_test, verbose=0)[1])
        solved = f"solved at epoch {stop.stopped_at}" if stop.stopped_at else "not solved"
        print(f"  T={T:<4} {cell:<18} test accuracy {accuracy[cell][T]:.3f}   "
              f"({epochs_used[cell][T]} epochs, {solved}, {fit_seconds[cell][T]:.1f} s)")

print("\ntest accuracy (chance = 0.5):")
print(f"{'cell':<18}" + "".join(f"{'T=' + str(T):>9}" for T in recall_lengths))
for cell in VARIANTS:
    print(f"{cell:<18}" + "".join(f"{accuracy[cell][T]:>9.3f}" for T in recall_lengths))

# %% Step 5: the gradients after training, and what the gates learned
# The long models were trained in Step 4. A model that solved the task must have learned to
# let step 1 reach the output, so its gradient at step 1 should no longer be tiny.
trained_norms = {variant: grads.input_gradient_norms(model, X_long, y_long, bce) for variant, model in long_models.items()}
print(f"\n[5] after training, T = {args.timesteps} (last column: the same ratio when fresh)")
print(gradient_table(trained_norms, extra=fresh_norms))
# Why gates help: the LSTM's cell state is updated by ADDING, c_t = f_t * c_{t-1} + i_t * g_t,
# so along that path ∂c_t/∂c_{t-1} = f_t, the forget gate: no weight matrix, no tanh'. If
# training pushes f_t towards 1, the product of the f_t's stays near 1 for 100 steps. The
# GRU's update gate does the same: h_t = z_t * h_{t-1} + (1 - z_t) * candidate, and with
# z_t near 1 the old state is copied forward: a skip connection through time.
# (A SimpleRNN that solved the task may still show a tiny ratio: it can store the sign in a
# saturated state, tanh near ±1, where tanh' ≈ 0 makes EVERY input's gradient tiny. A
# gradient measures how much a small nudge to x_t changes the loss, not what is remembered.)
# The gates' products below are the memory along the additive path: if they stayed near
# their starting values (0.73 and 0.5 per step), 99 steps multiply them down to ~1e-14 and
# ~1e-30, and the cell could not have learned the long task; compare the "gates open" rows.
sample = X_long[0]
last_state = cells.run_cell(long_models["SimpleRNN"].layers[0], sample)["hidden_state"][-1]
print(f"  SimpleRNN hidden state at step {args.timesteps} on one sequence: "
      f"{np.mean(np.abs(last_state) > 0.99):.0%} of its units saturated (|h| > 0.99, where tanh' < 0.02)")
for cell, gate in (("LSTM", "forget_gate"), ("GRU", "update_gate"), ("LSTM, gates open", "forget_gate"), ("GRU, gates open", "update_gate")):
    trace = cells.run_cell(long_models[cell].layers[0], sample)
    kept = np.prod(trace[gate][1:], axis=0)  # per unit: the product of the keep-gate over steps 2..T
    print(f"  {cell} {gate} on one sequence: mean {trace[gate].mean():.3f}; "
          f"product over steps 2..{args.timesteps}, best unit {kept.max():.1e}, median unit {np.median(kept):.1e}")

# %% Step 6: visualize the gradients and the memory
show = not args.no_show
profiles = {variant: {"fresh": fresh_norms[variant], "after training": trained_norms[variant]} for variant in VARIANTS}
plotting.save_figure(
    grads.plot_gradient_norms(profiles, f"‖∂loss/∂x_t‖ over a {args.timesteps}-step sequence (dotted: gates open)"),
    out_dir / "gradient_norms.png", show,
)
plotting.save_figure(
    grads.plot_accuracy_by_length(recall_lengths, {variant: [accuracy[variant][T] for T in recall_lengths] for variant in VARIANTS},
                                  title=f"Recall the first value: test accuracy ({args.units} units, at most {args.epochs} epochs)"),
    out_dir / "memory.png", show,
)

# %% Step 7: exploding gradients, and clipping
# The same product of Jacobians can GROW: a ReLU SimpleRNN passes U straight through
# (relu' is 1 where a unit is active), so with a recurrent matrix of size 2 (an orthogonal
# matrix times 2) the gradient from 15 steps back can be up to 2^14 times larger. Plain SGD
# then takes one huge step, the weights overflow, and the loss becomes inf and then NaN.
# clipnorm=1.0 rescales each weight's gradient whose norm is above 1 down to norm 1: the
# same direction, a bounded step. (global_clipnorm does the same to all gradients at once.)
# Adam would hide most of this: it divides every step by the gradient's running size.
# Task: recall the first value itself (+1 or -1) from a 15-step sequence, mean squared
# error; always predicting 0 scores 1.0.
EXPLODE_T, EXPLODE_GAIN, EXPLODE_LR, CLIPNORM = 15, 2.0, 0.01, 1.0
explode_epochs = 3 if args.quick else 10
X_explode, _ = grads.make_recall_task(args.samples, EXPLODE_T, rng)
y_explode = X_explode[:, 0, 0].copy()  # the value to recall
mse = keras.losses.mean_squared_error


def exploding_run(clipnorm):
    """A fresh ReLU SimpleRNN with recurrent weights 2 x orthogonal, trained with SGD."""
    set_seed(args.seed)  # both runs start from identical weights and shuffle identically
    model = keras.Sequential(
        [
            keras.Input(shape=(EXPLODE_T, 1)),
            keras.layers.SimpleRNN(16, activation="relu", recurrent_initializer=keras.initializers.Orthogonal(gain=EXPLODE_GAIN)),
            keras.layers.Dense(1),
        ],
        name="exploding_rnn" if clipnorm is None else "clipped_rnn",
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=EXPLODE_LR, clipnorm=clipnorm), loss="mse")
    start_loss = float(model.evaluate(X_explode, y_explode, verbose=0))
    by_path = grads.weight_gradient_norms(model, X_explode[:args.batch_size], y_explode[:args.batch_size], mse)
    # Short names: 'SimpleRNN recurrent_kernel', 'Dense kernel', ...
    start_grads = {("SimpleRNN " if "simple_rnn" in path else "Dense ") + path.split("/")[-1]: norm for path, norm in by_path.items()}
    first_steps = []  # the loss Keras's progress bar shows (mean so far) after each step of epoch 1
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: first_steps.append(float(logs["loss"])) if len(first_steps) < 8 else None
    )
    history = model.fit(X_explode, y_explode, epochs=explode_epochs, batch_size=args.batch_size, verbose=0, callbacks=[record])
    return [start_loss] + [float(v) for v in history.history["loss"]], start_grads, first_steps


losses_plain, start_grads, steps_plain = exploding_run(clipnorm=None)
losses_clipped, _, steps_clipped = exploding_run(clipnorm=CLIPNORM)
print(f"\n[7] ReLU SimpleRNN, recurrent weights {EXPLODE_GAIN:g} x orthogonal, SGD learning rate {EXPLODE_LR}, T = {EXPLODE_T}")
print("gradient norm of each weight at the start (first batch):")
for name, norm in start_grads.items():
    clipped = min(norm, CLIPNORM)
    print(f"  {name:<28} {norm:>12.3g}   with clipnorm={CLIPNORM:g}: {clipped:.3g}")
print("loss after each of the first gradient steps (Keras's running mean in epoch 1):")
print("  without clipping: " + " ".join(f"{v:.3g}" for v in steps_plain))
print(f"  with clipnorm={CLIPNORM:g}: " + " ".join(f"{v:.3g}" for v in steps_clipped))
print(f"{'epoch':>6}{'no clipping':>14}{f'clipnorm={CLIPNORM:g}':>14}   (epoch 0 = before training)")
for epoch, (plain, clipped) in enumerate(zip(losses_plain, losses_clipped)):
    print(f"{epoch:>6}{plain:>14.4g}{clipped:>14.4g}")
nan_epoch = grads.first_nan_epoch(losses_plain[1:])
print(f"without clipping the loss is {'NaN or inf from epoch ' + str(nan_epoch) if nan_epoch else 'finite throughout'}; "
      f"with clipnorm it ends at {losses_clipped[-1]:.3g} (always predicting 0 scores 1.0)")
fig = grads.plot_losses_with_nan(
    {"no clipping": losses_plain, f"clipnorm={CLIPNORM:g}": losses_clipped},
    f"Exploding gradients: ReLU SimpleRNN, SGD lr {EXPLODE_LR}, recurrent weights {EXPLODE_GAIN:g} x orthogonal",
    reference=(1.0, "always predicting 0"),
)
plotting.save_figure(fig, out_dir / "exploding.png", show)

# %% Step 8: write every number to metrics.json
# Gradient norms span 30 orders of magnitude, so they are stored as log10 (metrics.json
# keeps 6 decimals, which would round 1e-20 to 0); a norm of exactly 0 (float32 underflow)
# has no log and is stored as null, and so is a NaN or inf loss.


def log10_summary(norms):
    """log10 of the first, middle and last step's gradient norm, and of first/last."""
    as_log = lambda value: None if value <= 0 or not np.isfinite(value) else math.log10(value)  # noqa: E731
    return {"log10_first": as_log(norms[0]), "log10_middle": as_log(norms[args.timesteps // 2]),
            "log10_last": as_log(norms[-1]), "log10_ratio_first_last": as_log(grads.gradient_ratio(norms))}


def finite_or_none(values):
    return [float(v) if np.isfinite(v) else None for v in values]


metrics.write_metrics(
    out_dir / "metrics.json",
    {
        "gradient_norms": {cell: {"fresh": log10_summary(fresh_norms[cell]), "trained": log10_summary(trained_norms[cell])}
                           for cell in VARIANTS},
        "recall_accuracy": {cell: {str(T): accuracy[cell][T] for T in recall_lengths} for cell in VARIANTS},
        "recall_epochs": {cell: {str(T): epochs_used[cell][T] for T in recall_lengths} for cell in VARIANTS},
        "recall_fit_seconds": {cell: {str(T): fit_seconds[cell][T] for T in recall_lengths} for cell in VARIANTS},
        "chance_accuracy": 0.5,
        "exploding": {
            "losses_without_clipping": finite_or_none(losses_plain),
            "losses_with_clipnorm": finite_or_none(losses_clipped),
            "first_nan_epoch_without_clipping": nan_epoch,
            "clipnorm": CLIPNORM,
            "start_gradient_norms": start_grads,
            "timesteps": EXPLODE_T, "recurrent_gain": EXPLODE_GAIN, "learning_rate": EXPLODE_LR,
        },
        "recall_lengths": recall_lengths,
        "timesteps": args.timesteps,
        "units": args.units,
        "epochs": args.epochs,
        "samples": args.samples,
        "gate_bias": args.gate_bias,
        "quick": args.quick,
        "seed": args.seed,
        "backend": backend_name(),
        "seconds": time.perf_counter() - run_started,
    },
)

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
