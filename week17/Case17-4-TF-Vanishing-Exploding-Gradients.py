"""Case 17-4: vanishing and exploding gradients, and long-term memory, measured.

The lecture says: a SimpleRNN's gradients vanish over many time steps, so it cannot learn
long-term dependencies; LSTM and GRU fix that with gates; gradients can also explode, and
clipping fixes that. This case turns each claim into a number and a picture.

The memory task: a simpler form of the adding problem of Hochreiter & Schmidhuber (1997), so that we know
exactly where the answer is. Each step carries a random number in [0, 1) and a marker; exactly
two steps are marked, one in the first half of the sequence and one in the second, and the
target is the sum of the two marked numbers (utils/recurrent/memory_tasks.py, make_adding_task). There is
no shortcut: the network must notice the first marked number, carry it through the rest of
the sequence, and add the second. Always predicting the mean, 1.0, scores an MSE of 1/6 = 0.167;
remembering only the second number scores 1/12 = 0.083.

What this case teaches, step by step:
  1. make the adding problem at three lengths T and look at one sequence;
  2. build a SimpleRNN, an LSTM and a GRU with the same number of units, and the LSTM and
     GRU once more with their memory gate open from the start ("gates open");
  3. vanishing gradients, measured on fresh cells over a long sequence: how much the loss
     "feels" each input step, ‖∂loss/∂x_t‖, and, beside it, the factor the gates put on the
     memory path (the product of the LSTM's forget gates, the GRU's update gates);
  4. long-term memory, measured: train SimpleRNN, LSTM and GRU on the adding problem for
     every T, and score each on its test sequences against the predict-the-mean baseline;
  5. the gradients and the gates again, after training;
  6. plot both: gradient_norms.png and memory.png;
  7. exploding gradients: a run whose loss turns NaN, and the same run with clipnorm;
  8. write every number to metrics.json.

Run it:   python week17/Case17-4-TF-Vanishing-Exploding-Gradients.py
Flags:    --help lists them all; --quick runs a small version for a first look;
          --gate-bias sets how open the "gates open" variants start (default 3);
          --train-gates-open also trains those variants in Step 4 (slower).
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

import math
import time

import numpy as np

from utils.forecasting import case_metrics, metrics
from utils.plumbing import cli, paths
from utils.plumbing.errors import BadInputError, exit_cleanly_on_bad_input
from utils.plumbing.runtime import (
    backend_name,
    hide_tensorflow_startup_messages,
    set_seed,
)
from utils.recurrent import cells, exploding, gradients, memory_tasks, parameters
from utils.showing import gradient_plots, plotting
from utils.showing.trace import say

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-4-gradients"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-4: vanishing and exploding gradients, "
                        "and long-term memory on the adding problem, measured.")
parser.add_argument("--timesteps", type=cli.positive_int, default=100,
                    help="length of the long sequences: the gradients are measured over this many steps, "
                         "and it is the longest length trained (default: %(default)s)")
cli.add_training_flags(parser, epochs=25, units=32)
parser.add_argument("--samples", type=cli.positive_int, default=1600,
                    help="training sequences per length T (default: %(default)s)")
parser.add_argument("--batch-size", type=cli.positive_int, default=32,
                    help="sequences per gradient step (default: %(default)s)")
parser.add_argument("--gate-bias", type=float, default=3.0,
                    help="the 'gates open' variants start the LSTM's forget gate and the GRU's update gate "
                         "at sigmoid(B) (default: %(default)s, i.e. 0.95)")
parser.add_argument("--train-gates-open", action="store_true",
                    help="also train the 'gates open' variants on the adding problem (slower)")
parser.add_argument("--quick", action="store_true",
                    help="a small, fast version: two lengths, fewer sequences and epochs")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
if args.timesteps < 4:
    raise BadInputError(f"--timesteps {args.timesteps} is too short for the adding problem at three lengths; "
                        "use 4 or more")

if args.quick:  # the same steps, smaller: for a first look and for the tests
    args.samples, args.epochs = min(args.samples, 256), min(args.epochs, 2)
n_val = 128 if args.quick else 400  # validation sequences per length: they decide when a run has solved it
n_test = 256 if args.quick else 1000  # test sequences per length: scored once, at the end of Step 4
n_grad = 128 if args.quick else 256  # sequences the gradient norms are averaged over
# The lengths trained: short, middle and long (10, 50, 100 by default); --quick skips the middle.
lengths = sorted({t for t in (min(10, args.timesteps), args.timesteps // 2, args.timesteps) if t >= 2})
if args.quick:
    lengths = sorted({lengths[0], args.timesteps})
# The variants: the three cells as Keras builds them, and the two gated cells once more with
# their memory gate open at the start: forget gate (LSTM) or update gate (GRU) = sigmoid(--gate-bias).
VARIANTS = {  # name: (Keras layer, starting bias of the memory gate; None = Keras's default)
    "SimpleRNN": ("SimpleRNN", None),
    "LSTM": ("LSTM", None),
    "GRU": ("GRU", None),
    "LSTM, gates open": ("LSTM", args.gate_bias),
    "GRU, gates open": ("GRU", args.gate_bias),
}
TRAINED = [v for v in VARIANTS if args.train_gates_open or "," not in v]  # the variants Step 4 trains
LEARNING_RATE, CLIP = 1e-2, 1.0  # Adam's learning rate; clipnorm for every training run of Step 4
SOLVED = 0.01  # validation MSE at which a run stops early: 6 % of the predict-the-mean baseline's 1/6

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-4 (gradients): writing to {out_dir}")

# %% Step 1: the adding problem
# Feature 0: a random number in [0, 1) at every step. Feature 1: the marker, 1 at two steps.
# Target: the sum of the two marked numbers. Training, validation and test sequences are
# drawn separately (the same generator, different draws), so no test sequence is ever seen.
rng = np.random.default_rng(args.seed)
tasks = {}
for T in lengths:
    tasks[T] = {
        "train": memory_tasks.make_adding_task(args.samples, T, rng),
        "val": memory_tasks.make_adding_task(n_val, T, rng),
        "test": memory_tasks.make_adding_task(n_test, T, rng),
    }
# fresh sequences for the gradients
X_long, y_long = memory_tasks.make_adding_task(n_grad, args.timesteps, rng)

print(f"\n[1] lengths T = {lengths}; {args.samples} training, {n_val} validation and {n_test} test sequences "
      "each")
X_train, y_train = tasks[lengths[0]]["train"]
print(f"X {X_train.shape} = (sequences, time steps, features: number, marker);  y {y_train.shape}")
print(f"one sequence (T={lengths[0]}):\n  numbers {np.round(X_train[0, :, 0], 2)}\n"
      f"  markers {X_train[0, :, 1].astype(int)}")
print(f"  target = {' + '.join(f'{v:.2f}' for v in X_train[0, X_train[0, :, 1] == 1, 0])} = {y_train[0]:.2f}")
print(f"scores to beat (MSE): predicting the mean 1.0 = {memory_tasks.ADDING_MEAN_BASELINE_MSE:.3f}; "
      f"remembering only the second number = {1 / 12:.3f}")

# %% Step 2: three cells, same units
# Keras is imported only now: loading it (and TensorFlow) takes a few seconds, and every
# check of the flags above has already run, so a typo fails at once.
hide_tensorflow_startup_messages()
import keras  # noqa: E402

if backend_name() != "tensorflow":  # say so now, not after minutes of training
    raise BadInputError(f"this case measures gradients with TensorFlow's GradientTape, but Keras runs on the "
                        f"{backend_name()} backend; run it with KERAS_BACKEND=tensorflow")
set_seed(args.seed)  # same seed, same numbers: initial weights and shuffling all draw from it
print(f"\n[2] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")


def build_model(variant, timesteps):
    """Input (T, 2) -> one recurrent layer -> Dense(1): the predicted sum."""
    cell_name, gate_bias = VARIANTS[variant]
    options = {}
    if gate_bias is not None:
        options["bias_initializer"] = gradients.memory_gate_bias(cell_name, args.units, gate_bias)
        if cell_name == "LSTM":
            options["unit_forget_bias"] = False  # else Keras overwrites the forget bias with 1
    recurrent = getattr(keras.layers, cell_name)(args.units, **options)
    model = keras.Sequential(
        [keras.Input(shape=(timesteps, 2)), recurrent, keras.layers.Dense(1)],
        name=f"{variant.replace(', ', '_').replace(' ', '_').lower()}_T{timesteps}",
    )
    # clipnorm: each weight's gradient is rescaled to norm 1 if it is larger (a guard against a
    # rare huge gradient); Adam's step size is still set by its learning rate.
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE, clipnorm=CLIP), loss="mse")
    return model


# The long models are measured fresh (Step 3), trained (Step 4), and measured again (Step 5).
long_models = {variant: build_model(variant, args.timesteps) for variant in VARIANTS}
for cell in ("SimpleRNN", "LSTM", "GRU"):
    print(f"  {parameters.param_formula(cell, args.units, 2):<32} "
          f"(Keras counts {long_models[cell].layers[0].count_params()}; "
          f"+{args.units + 1} for the Dense layer)")
print("  'gates open': the LSTM's forget gate and the GRU's update gate start at "
      f"sigmoid({args.gate_bias:g}) = {1 / (1 + math.exp(-args.gate_bias)):.3f};")
print("    Keras's defaults: forget-gate bias 1, update-gate bias 0; same parameter counts")

# %% [markdown]
# **Step 3: vanishing gradients.** Backpropagation through time applies the chain rule once per step:
#
#     ∂loss/∂x_t = ∂loss/∂h_T · (∂h_T/∂h_{T-1}) · ... · (∂h_{t+1}/∂h_t) · ∂h_t/∂x_t
#
# a product of T-t Jacobians. For a SimpleRNN each factor is diag(tanh'(·)) · U: if its size is
# below 1, the product shrinks geometrically with the distance T-t (it vanishes); above 1, it
# grows (it explodes). We measure the result directly: the loss's gradient with respect to every
# input step, averaged over n_grad sequences.
#
# The gated cells have a second, additive path through time. The LSTM's cell state is
# c_t = f_t * c_{t-1} + i_t * g_t: holding the gates fixed, ∂c_T/∂c_t is the product of the forget
# gates f_{t+1} ... f_T, unit by unit (no weight matrix, no tanh'). The GRU's state is
# h_t = z_t * h_{t-1} + (1 - z_t) * candidate_t: along that path the factor per step is the update
# gate z_t. keep_gate_path multiplies the gates read from the NumPy mirror of the cell
# (utils/recurrent/cells.py) on one sequence; tests/test_gradients.py checks the LSTM's product
# against tf.GradientTape. This path is only part of ‖∂L/∂x_1‖: the gradient also flows through
# the hidden state and the gates, and enters x_1 through the input weights, so the two columns of
# the second table need not agree.
#
# Reading the tables: a fresh LSTM's forget gate sits near sigmoid(1) = 0.73, so its cell path
# keeps about 0.73^(T-1) of step 1; a fresh GRU's update gate near sigmoid(0) = 0.5. With the
# gates open (sigmoid(3) = 0.95) the product is many orders of magnitude larger.

# %% Step 3: vanishing gradients, measured on fresh cells
per_sample_mse = keras.losses.mean_squared_error  # the per-sample loss (the function, not the class)
fresh_norms = {variant: gradients.input_gradient_norms(model, X_long, y_long, per_sample_mse)
               for variant, model in long_models.items()}


def gradient_table(norms_by_cell, extra=None):
    """One row per cell: the gradient norm at the first and the last step, and their ratio."""
    mid = args.timesteps // 2
    lines = [f"{'cell':<18}{'‖∂L/∂x_1‖':>12}{f'‖∂L/∂x_{mid + 1}‖':>13}"
             f"{f'‖∂L/∂x_{args.timesteps}‖':>13}"
             f"{'first/last':>12}" + (f"{'(fresh)':>12}" if extra else "")]
    for cell, norms in norms_by_cell.items():
        row = (f"{cell:<18}{norms[0]:>12.2e}{norms[mid]:>13.2e}{norms[-1]:>13.2e}"
               f"{gradients.gradient_ratio(norms):>12.1e}")
        lines.append(row + (f"{gradients.gradient_ratio(extra[cell]):>12.1e}" if extra else ""))
    return "\n".join(lines)


def gate_path_summary(model, cell_name, sequence):
    """The mean keep-gate and, per unit, log10 of the keep-gate's product over steps 2..T (median, best unit).

    log10, because the products reach 1e-30 and metrics.json keeps 6 decimals.
    """
    gate = "forget_gate" if cell_name == "LSTM" else "update_gate"
    trace = cells.run_cell(model.layers[0], sequence)
    path = gradients.keep_gate_path(trace, gate)[0]  # from step 1 to step T: the product over steps 2..T
    log_path = np.log10(np.maximum(path, np.finfo(np.float64).tiny))  # a product of exactly 0 shows as 1e-308
    return {"gate": gate, "mean_gate": float(trace[gate].mean()),
            "log10_product_median": float(np.median(log_path)), "log10_product_best": float(log_path.max())}


def path_table(summaries, norms_by_cell):
    """One row per gated variant: its keep-gate's mean and products, beside its input-gradient ratio."""
    lines = [f"{'cell':<18}{'keep-gate':>11}{'mean':>7}{'product over steps 2..T':>26}"
             f"{'‖∂L/∂x_1‖/‖∂L/∂x_T‖':>22}",
             f"{'':<18}{'':>11}{'':>7}{'median unit':>14}{'best unit':>12}"]
    for variant, s in summaries.items():
        lines.append(f"{variant:<18}{s['gate']:>11}{s['mean_gate']:>7.3f}"
                     f"{10 ** s['log10_product_median']:>14.1e}"
                     f"{10 ** s['log10_product_best']:>12.1e}"
                     f"{gradients.gradient_ratio(norms_by_cell[variant]):>22.1e}")
    return "\n".join(lines)


GATED = [v for v in VARIANTS if VARIANTS[v][0] != "SimpleRNN"]
sample = X_long[0]  # one sequence for the NumPy mirror
fresh_paths = {v: gate_path_summary(long_models[v], VARIANTS[v][0], sample) for v in GATED}
print(f"\n[3] fresh cells, T = {args.timesteps}: gradient of the loss with respect to each input step")
print(gradient_table(fresh_norms))
print("the gated cells' memory path on one sequence (the factor per step is the gate), "
      "beside the input-gradient ratio:")
print(path_table(fresh_paths, fresh_norms))
simple_ratio = gradients.gradient_ratio(fresh_norms["SimpleRNN"])
lower = [cell for cell in ("LSTM", "GRU") if gradients.gradient_ratio(fresh_norms[cell]) < simple_ratio]
if lower:  # the lecture's "gates fix it" is about trained or open gates, not Keras's starting ones
    starts = ", ".join(f"{cell} {fresh_paths[cell]['mean_gate']:.2f}" for cell in lower)
    print(f"Fresh, {' and '.join(lower)} vanish more than the SimpleRNN: keep-gates start near {starts},")
    print("  and the memory path shrinks by that factor at every step (the product above).")
    print("  Gates help once they are open: the 'gates open' rows (--gate-bias), the trained cells in [5].")

# %% [markdown]
# **Step 4: long-term memory.** Same units, same data, same optimizer (Adam, learning rate 0.01,
# clipnorm 1) and the same budget of at most --epochs epochs; a run stops early once its
# validation MSE reaches SOLVED. The test sequences are scored once, after training. The lecture
# expects the SimpleRNN to fall to the baseline (MSE 0.167) as T grows while LSTM and GRU get
# close to 0.
#
# The budget keeps the default run short; it is the same for every cell, not tuned per cell.
# A cell that does not reach SOLVED within it is reported as not solved, not as unable: a
# larger budget (--epochs, --samples) may change that.

# %% Step 4: long-term memory, measured: train every cell at every length T
test_mse = {variant: {} for variant in TRAINED}
epochs_used = {variant: {} for variant in TRAINED}
fit_seconds = {variant: {} for variant in TRAINED}
print(f"\n[4] training on the adding problem (at most {args.epochs} epochs of {args.samples} sequences, "
      f"batch {args.batch_size}; stop at validation MSE {SOLVED})")
for T in lengths:
    (X_train, y_train), validation, (X_test, y_test) = tasks[T]["train"], tasks[T]["val"], tasks[T]["test"]
    for cell in TRAINED:
        # Reset the seed before each run: its starting weights (for T below --timesteps) and its
        # shuffling then depend only on --seed, not on which runs came before it.
        set_seed(args.seed)
        model = long_models[cell] if T == args.timesteps else build_model(cell, T)
        stop = memory_tasks.stop_when_metric_reaches(model, SOLVED, "val_loss", below=True)
        started = time.perf_counter()
        history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                            validation_data=validation, callbacks=[stop], verbose=0)
        fit_seconds[cell][T] = time.perf_counter() - started
        epochs_used[cell][T] = len(history.history["loss"])
        test_mse[cell][T] = float(model.evaluate(X_test, y_test, verbose=0))
        solved = f"solved at epoch {stop.stopped_at}" if stop.stopped_at else "not solved"
        print(f"  T={T:<4} {cell:<18} test MSE {test_mse[cell][T]:.4f}   validation MSE "
              f"{history.history['val_loss'][-1]:.4f}   "
              f"({epochs_used[cell][T]} epochs, {solved}, {fit_seconds[cell][T]:.1f} s)")

# The baseline on the same test sequences: always predict the training targets' mean.
baseline_mse = {T: float(np.mean((tasks[T]["test"][1] - tasks[T]["train"][1].mean()) ** 2)) for T in lengths}
print("\ntest MSE (lower is better; predicting the mean scores about 0.167, "
      "remembering only the second number 0.083):")
print(f"{'cell':<18}" + "".join(f"{'T=' + str(T):>9}" for T in lengths))
for cell in TRAINED:
    print(f"{cell:<18}" + "".join(f"{test_mse[cell][T]:>9.4f}" for T in lengths))
print(f"{'baseline: mean':<18}" + "".join(f"{baseline_mse[T]:>9.4f}" for T in lengths))
if not any(mse < SOLVED for cell in TRAINED for mse in test_mse[cell].values()):
    where = " (--quick); the default run shows which cells can." if args.quick else "."
    print(f"No cell reached MSE {SOLVED} at any length within {args.epochs} epoch(s):")
    print(f"  this budget is too short to solve the task{where}")
behind = [f"{cell} at T={T}" for cell in TRAINED for T in lengths if test_mse[cell][T] > baseline_mse[T]]
if behind:
    say(f"Worse than predicting the mean, so not learnt yet: {', '.join(behind)}.")

# %% Step 5: the gradients and the gates after training
# The long models were trained in Step 4 (the "gates open" ones only with --train-gates-open).
# A model that solved the task must have learned to carry the first marked number to the
# output, so its gradient at the early steps should no longer be tiny, and the units that carry
# it should keep far more over 99 steps than at the start (compare the best unit's product with
# Step 3's).
trained_norms = {variant: gradients.input_gradient_norms(long_models[variant], X_long, y_long, per_sample_mse)
                 for variant in TRAINED}
trained_paths = {v: gate_path_summary(long_models[v], VARIANTS[v][0], sample) for v in GATED if v in TRAINED}
print(f"\n[5] after training, T = {args.timesteps} (last column: the same ratio when fresh)")
print(gradient_table(trained_norms, extra=fresh_norms))
print(path_table(trained_paths, trained_norms))

# %% Step 6: visualize the gradients and the memory
show = not args.no_show
profiles = {variant: {"fresh": fresh_norms[variant],
                      "after training": trained_norms.get(variant, np.full(args.timesteps, np.nan))}
            for variant in VARIANTS}
plotting.save_figure(
    gradient_plots.plot_gradient_norms(
        profiles, f"‖∂loss/∂x_t‖ over a {args.timesteps}-step sequence (dotted: gates open)"),
    out_dir / "gradient_norms.png", show,
)
plotting.save_figure(
    gradient_plots.plot_mse_by_length(
        lengths, {variant: [test_mse[variant][T] for T in lengths] for variant in TRAINED},
        baselines={"predict the mean": memory_tasks.ADDING_MEAN_BASELINE_MSE,
                   "remember only the second number": 1 / 12},
        title=f"Adding problem: test MSE ({args.units} units, at most {args.epochs} epochs)"),
    out_dir / "memory.png", show,
)
print("\n[6] saved gradient_norms.png (‖∂loss/∂x_t‖ of each cell, fresh and after training) "
      "and memory.png (test MSE against T)")

# %% [markdown]
# **Step 7: exploding gradients, and clipping.** The same product of Jacobians can GROW: a ReLU
# SimpleRNN passes U straight through (relu' is 1 where a unit is active), so with a recurrent
# matrix of size 2 (an orthogonal matrix times 2) the gradient from 15 steps back can be up to
# 2^14 times larger. Plain SGD then takes one huge step, the weights overflow, and the loss
# becomes inf and then NaN.
#
# clipnorm=1.0 rescales each weight tensor's gradient whose norm is above 1 down to norm 1,
# keeping its direction; a gradient already below 1 is left alone (Keras clips each tensor on
# its own; global_clipnorm would rescale all of them together). With SGD the step is learning
# rate x gradient, so here clipping also bounds the step. With Adam it would not: Adam's step is
# set by its learning rate and its moment estimates, whatever the gradient's size
# (tests/test_gradients.py checks both facts against Keras).
#
# Task: recall the first value itself (+1 or -1) from a 15-step sequence of noise, mean squared
# error; always predicting 0 scores 1.0.

# %% Step 7: exploding gradients, and clipping
EXPLODE_T, EXPLODE_GAIN, EXPLODE_LR, CLIPNORM = 15, 2.0, 0.01, 1.0
explode_epochs = 3 if args.quick else 10
explode_samples = 256 if args.quick else 1024
X_explode, _ = memory_tasks.make_recall_task(explode_samples, EXPLODE_T, np.random.default_rng(args.seed))
y_explode = X_explode[:, 0, 0].copy()  # the value to recall
# The same fresh network twice (utils/recurrent/exploding.py): without clipping, then with clipnorm.
losses_plain, start_grads, steps_plain = exploding.train_relu_rnn(
    X_explode, y_explode, EXPLODE_GAIN, EXPLODE_LR, explode_epochs, args.seed)
losses_clipped, _, steps_clipped = exploding.train_relu_rnn(
    X_explode, y_explode, EXPLODE_GAIN, EXPLODE_LR, explode_epochs, args.seed, clipnorm=CLIPNORM)
print(f"\n[7] ReLU SimpleRNN, recurrent weights {EXPLODE_GAIN:g} x orthogonal, "
      f"SGD learning rate {EXPLODE_LR}, "
      f"T = {EXPLODE_T}")
print("gradient norm of each weight at the start (first batch of 32):")
for name, norm in start_grads.items():
    clipped = min(norm, CLIPNORM)  # what clipnorm leaves of it: rescaled to 1 if above 1
    print(f"  {name:<28} {norm:>12.3g}   after clipnorm={CLIPNORM:g}: {clipped:.3g}")
print("loss after each of the first gradient steps (Keras's running mean in epoch 1):")
print("  without clipping: " + " ".join(f"{v:.3g}" for v in steps_plain))
print(f"  with clipnorm={CLIPNORM:g}: " + " ".join(f"{v:.3g}" for v in steps_clipped))
print(f"{'epoch':>6}{'no clipping':>14}{f'clipnorm={CLIPNORM:g}':>14}   (epoch 0 = before training)")
for epoch, (plain, clipped) in enumerate(zip(losses_plain, losses_clipped)):
    print(f"{epoch:>6}{plain:>14.4g}{clipped:>14.4g}")
nan_epoch = memory_tasks.first_nan_epoch(losses_plain[1:])
print("without clipping the loss is "
      + (f"NaN or inf from epoch {nan_epoch}" if nan_epoch else "finite throughout")
      + f"; its largest finite value was {exploding.largest_finite(losses_plain + steps_plain):.3g} "
      f"(before training: {losses_plain[0]:.3g})")
learnt = "below that: it has begun to learn" if losses_clipped[-1] < 1.0 else (
    "still above that: clipping kept it finite, but it has not learnt the task in these epochs")
print(f"with clipnorm it ends at {losses_clipped[-1]:.3g}; always predicting 0 scores 1.0,")
print(f"  so it is {learnt}")
fig = gradient_plots.plot_losses_with_nan(
    {"no clipping": losses_plain, f"clipnorm={CLIPNORM:g}": losses_clipped},
    f"Exploding gradients: ReLU SimpleRNN, SGD lr {EXPLODE_LR}, "
    f"recurrent weights {EXPLODE_GAIN:g} x orthogonal",
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
            "log10_last": as_log(norms[-1]),
            "log10_ratio_first_last": as_log(gradients.gradient_ratio(norms))}


gradient_summaries = {cell: {"fresh": log10_summary(fresh_norms[cell])}
                      | ({"trained": log10_summary(trained_norms[cell])} if cell in trained_norms else {})
                      for cell in VARIANTS}
gate_path_summaries = {cell: {"fresh": fresh_paths[cell]}
                       | ({"trained": trained_paths[cell]} if cell in trained_paths else {})
                       for cell in GATED}
exploding = case_metrics.exploding_summary(
    losses_without_clipping=losses_plain, losses_with_clipnorm=losses_clipped, first_nan_epoch=nan_epoch,
    clipnorm=CLIPNORM, start_gradient_norms=start_grads, timesteps=EXPLODE_T, recurrent_gain=EXPLODE_GAIN,
    learning_rate=EXPLODE_LR,
)
metrics.write_metrics(out_dir / "metrics.json", case_metrics.gradients_payload(
    gradient_norms=gradient_summaries, gate_paths=gate_path_summaries, test_mse=test_mse,
    epochs_used=epochs_used, fit_seconds=fit_seconds, baseline_mse=baseline_mse, solved=SOLVED,
    learning_rate=LEARNING_RATE, clipnorm=CLIP, exploding=exploding, lengths=lengths,
    timesteps=args.timesteps, units=args.units, epochs=args.epochs, samples=args.samples,
    batch_size=args.batch_size, trained_variants=TRAINED, gate_bias=args.gate_bias, quick=args.quick,
    seed=args.seed, backend=backend_name(), seconds=time.perf_counter() - run_started,
))

print(f"\nDone in {time.perf_counter() - run_started:.1f} s. Outputs in {out_dir}")
