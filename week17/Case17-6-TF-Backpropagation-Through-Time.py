"""Case 17-6: backpropagation through time (BPTT), by hand, checked against Keras.

The lecture says: to train a recurrent network, unfold it over the time steps and apply the
chain rule backwards, one step at a time. Each step back multiplies the gradient by one
Jacobian, ∂h_t/∂h_{t-1}; a long product of them vanishes or explodes. This case computes
every one of those numbers with plain NumPy code you can step through (utils/recurrent/bptt.py) and
checks each one against TensorFlow's automatic differentiation (tf.GradientTape).

What this case teaches, step by step:
  1. one short sequence and a SimpleRNN with a Dense head (Keras builds the weights);
  2. the backward pass on that sequence, printed per step, and the weight gradients
     compared with the tape's;
  3. the per-step Jacobians of a SimpleRNN and their product ∂h_T/∂h_{T-k} against the
     distance k, with small recurrent weights (scale below 1: it can only shrink) and large
     ones (it may grow);
  4. the LSTM: the cell-state path (the product of the forget gates) beside the full
     Jacobians ∂c_T/∂c_t and ∂h_T/∂h_t;
  5. plot: jacobian_norms.png;
  6. write every number to metrics.json.

No network is trained here: every number describes the gradient at the weights the
layers start with (Keras's initialisers, or the scaled recurrent weights of Step 3).

Run it:   python week17/Case17-6-TF-Backpropagation-Through-Time.py
Flags:    --help lists them all.
Debug it: put a breakpoint in utils/recurrent/bptt.py inside simple_rnn_backward's loop (the README's
          "In the terminal, with pdb" gives the line) and run this file: every stop is one time step,
          and dh_next is the gradient that has just arrived from the future.
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

import time

import numpy as np

from utils.forecasting import case_metrics, metrics
from utils.plumbing import cli, paths
from utils.plumbing.errors import exit_cleanly_on_bad_input
from utils.plumbing.runtime import (
    backend_name,
    hide_tensorflow_startup_messages,
    set_seed,
)
from utils.recurrent import bptt, jacobians
from utils.showing import plotting

exit_cleanly_on_bad_input()  # bad input ends in one clear line and exit code 2, not a traceback

CASE = "case17-6-bptt"
run_started = time.perf_counter()

parser = cli.new_parser("Case 17-6: backpropagation through time by hand, checked against tf.GradientTape.")
parser.add_argument("--timesteps", type=cli.positive_int, default=40,
                    help="length of the sequence (default: %(default)s)")
parser.add_argument("--units", type=cli.positive_int, default=8,
                    help="units in each recurrent layer (default: %(default)s)")
parser.add_argument("--small-scale", type=cli.positive_float, default=0.5,
                    help="Step 3: recurrent weights = this x an orthogonal matrix, the vanishing case "
                         "(default: %(default)s)")
parser.add_argument("--large-scale", type=cli.positive_float, default=2.0,
                    help="Step 3: the same with large weights, the exploding case (default: %(default)s)")
parser.add_argument("--seed", type=int, default=42,
                    help="random seed; the same seed gives the same numbers (default: %(default)s)")
cli.add_output_flags(parser)
args = cli.parse_flags(parser)
show = not args.no_show
T, UNITS = args.timesteps, args.units
INPUT_SCALE = 0.1  # small inputs keep the tanh away from saturation, so the weights' scale decides

out_dir = paths.output_dir(CASE, args.output_dir)
print(f"Case 17-6 (BPTT by hand): writing to {out_dir}")

# %% Step 1: one sequence, one SimpleRNN with a Dense head
# Keras is imported only now, after every flag was checked (loading TensorFlow takes seconds).
hide_tensorflow_startup_messages()
import keras  # noqa: E402

if backend_name() == "jax":  # JAX computes in float32 unless asked; the layers below are float64
    import jax

    jax.config.update("jax_enable_x64", True)
set_seed(args.seed)
rng = np.random.default_rng(args.seed)
x = INPUT_SCALE * rng.normal(size=(T, 1))  # one sequence: T steps of one feature
target = 1.0

rnn = keras.layers.SimpleRNN(UNITS, dtype="float64")  # float64: the comparisons are not blurred by rounding
head = keras.layers.Dense(1, dtype="float64")
model = keras.Sequential([keras.Input((T, 1), dtype="float64"), rnn, head])
print(f"\n[1] Keras {keras.__version__} on the {backend_name()} backend, seed {args.seed}")
print(f"one sequence x {x.shape} (steps, features), values {x.min():+.3f} .. {x.max():+.3f}; target {target}")
print(f"SimpleRNN: kernel W {rnn.cell.kernel.shape}, recurrent kernel U {rnn.cell.recurrent_kernel.shape}, "
      f"bias {rnn.cell.bias.shape}; Dense head {head.kernel.shape}")

# %% Step 2: the backward pass on this sequence, one step at a time
# Loss = (prediction - target)². By hand: dL/dprediction = 2·(prediction - target), back
# through the Dense layer to h_T, then bptt.simple_rnn_backward walks t = T-1 … 0.
# Breakpoint: in utils/recurrent/bptt.py, simple_rnn_backward, on the line that computes dpre.
states = bptt.hidden_states(rnn, x[np.newaxis])[0]  # (T, units), the NumPy forward pass
dense_kernel, dense_bias = np.asarray(head.kernel), np.asarray(head.bias)
prediction = float(states[-1] @ dense_kernel[:, 0] + dense_bias[0])
d_prediction = 2.0 * (prediction - target)
d_last_state = d_prediction * dense_kernel[:, 0]  # dL/dh_T
grads = bptt.simple_rnn_backward(rnn, x, d_last_state)

print(f"\n[2] prediction {prediction:+.4f}, loss {(prediction - target) ** 2:.4f}; "
      "the gradient on the state, step by step:")
print(f"{'t':>4}{'‖dL/dh_t‖':>14}{'‖dL/dx_t‖':>14}{'factor ‖dh_t‖/‖dh_t+1‖':>26}")
dh_norms = np.linalg.norm(grads["dh"], axis=1)
for t in reversed(range(T)):
    factor = "" if t == T - 1 else f"{dh_norms[t] / dh_norms[t + 1]:.3f}"
    if t >= T - 6 or t < 3 or t % 10 == 0:  # the first and last few steps, and every tenth
        print(f"{t:>4}{dh_norms[t]:>14.3e}{abs(grads['dx'][t, 0]):>14.3e}{factor:>26}")

# The same gradients from TensorFlow's tape, for comparison.
tape_available = keras.backend.backend() == "tensorflow"
tape_max_diff = {}
if tape_available:
    import tensorflow as tf

    x_batch = tf.constant(x[np.newaxis])
    with tf.GradientTape() as tape:
        tape.watch(x_batch)
        loss = (model(x_batch)[0, 0] - target) ** 2
    tape_grads = tape.gradient(loss, rnn.trainable_weights + [x_batch])
    for name, by_tape in zip(("kernel", "recurrent_kernel", "bias", "dx"), tape_grads):
        by_hand = grads[name] if name != "dx" else grads["dx"][np.newaxis]
        tape_max_diff[name] = float(np.abs(by_hand - by_tape.numpy()).max())
    print("by hand vs tf.GradientTape, max |difference|: "
          + ", ".join(f"{name} {diff:.1e}" for name, diff in tape_max_diff.items()))
else:
    print(f"(no tf.GradientTape on the {backend_name()} backend: the tape comparisons are skipped)")

# %% Step 3: the product of the per-step Jacobians, small and large recurrent weights
# ∂h_t/∂h_{t-1} = diag(1 - h_t²) · Uᵀ: the tanh's slope times the recurrent weights.
# ∂h_T/∂h_{T-k} is the product of k of them. Its size (the spectral norm, the most any
# direction is stretched) against k shows vanishing (falls) or exploding (grows).


def tape_state_jacobians(layer, sequence):
    """∂h_T/∂h_t for every t, by tf.GradientTape through the layer's own Keras cell: (T, units, units)."""
    with tf.GradientTape(persistent=True) as state_tape:
        state = tf.zeros((1, UNITS), dtype=tf.float64)
        states_seen = []
        for t in range(len(sequence)):
            state_tape.watch(state)
            states_seen.append(state)
            _, new_state = layer.cell(tf.constant(sequence[t : t + 1]), [state])
            state = new_state[0] if isinstance(new_state, (list, tuple)) else new_state
    # states_seen[t] is h_{t-1}; the last state h_T depends on it through steps t .. T-1.
    # each (1, units, 1, units)
    jacobians = state_tape.jacobian(state, states_seen, experimental_use_pfor=False)
    return np.stack([j.numpy()[0, :, 0, :] for j in jacobians])


orthogonal = np.linalg.qr(rng.normal(size=(UNITS, UNITS)))[0]  # all singular values 1
distances = np.arange(T + 1)
simple_norms, simple_tape_diff, tanh_slopes = {}, {}, {}
print("\n[3] SimpleRNN: ‖∂h_T/∂h_{T-k}‖ (spectral norm), recurrent weights U = scale × orthogonal")
# k stops at T - 1: the state T steps back is the zero state the sequence starts from
shown = [k for k in (1, 2, 5, 10, 20, 30, T - 1) if k < T]
print(f"  {'k':<18}" + "".join(f"{k:>10}" for k in shown))
for label, scale in (("small", args.small_scale), ("large", args.large_scale)):
    layer = keras.layers.SimpleRNN(UNITS, dtype="float64")
    layer.build((None, None, 1))
    kernel, _, bias = layer.get_weights()
    layer.set_weights([kernel, scale * orthogonal, bias])
    step_jacobians = jacobians.simple_rnn_step_jacobians(layer, x)  # (T, units, units)
    products = jacobians.products_back_from_the_end(step_jacobians)  # index k: ∂h_T/∂h_{T-k}
    simple_norms[label] = np.array([np.linalg.norm(p, 2) for p in products])
    states = bptt.simple_rnn_forward(bptt.float64_weights(layer), x[np.newaxis])[0, 1:]  # (T, units)
    tanh_slopes[label] = (1 - states**2).mean(axis=1)  # per step: the mean slope of the tanh
    if tape_available:
        by_tape = tape_state_jacobians(layer, x)  # index t: ∂h_T/∂(the state step t starts from)
        by_tape_k = by_tape[::-1]  # reversed, index k-1 is ∂h_T/∂h_{T-k}, like products[k]
        simple_tape_diff[label] = float(np.abs(products[1:] - by_tape_k).max())
    row_name = f"{label} (scale {scale:g})"
    print(f"  {row_name:<18}" + "".join(f"{simple_norms[label][k]:>10.2e}" for k in shown))
    if tape_available:
        print(f"    by hand vs tf.GradientTape, max |difference| {simple_tape_diff[label]:.1e}")
half = T // 2
for label, scale in (("small", args.small_scale), ("large", args.large_scale)):
    # U = scale × orthogonal has every singular value equal to the scale, so one step back
    # multiplies a gradient's size by at most scale × the tanh slope (1 - h², at most 1).
    bound = "the product can only shrink" if scale < 1 else "the product may grow"
    print(f"  {label}: one step multiplies by at most {scale:g} × the tanh slope (≤ 1): {bound};")
    print(f"    mean tanh slope {tanh_slopes[label][:half].mean():.2f} over the first {half} steps, "
          f"{tanh_slopes[label][half:].mean():.2f} over the last {T - half}")
print("  where the states saturate (slope near 0) even large weights shrink the product;")
print("  the first steps start from h = 0, unsaturated: going back that far, it grows again.")

# %% Step 4: the LSTM's cell-state path beside its full Jacobians
# c_t = f_t·c_{t-1} + i_t·g_t: along the cell path alone, ∂c_t/∂c_{t-1} = diag(f_t), so k
# steps back give the product of k forget gates. But c_{t-1} also reaches c_t through
# h_{t-1} = o·tanh(c_{t-1}) and the gates of step t. The full ∂c_T/∂c_t counts every path.
lstm = keras.layers.LSTM(UNITS, dtype="float64")  # Keras's defaults: forget-gate bias 1, f ≈ 0.73
lstm.build((None, None, 1))
lstm_jac = jacobians.lstm_state_jacobians(lstm, x)
forget_path = lstm_jac["forget_product"][::-1].max(axis=1)  # index k: the largest product over units
full_cell = np.array([np.linalg.norm(j, 2) for j in lstm_jac["dcT_dc"][::-1]])  # index k: ‖∂c_T/∂c_{T-1-k}‖
full_hidden = np.array([np.linalg.norm(j, 2) for j in lstm_jac["dhT_dh"][::-1]])
lstm_tape_diff = None
if tape_available:
    with tf.GradientTape(persistent=True) as lstm_tape:
        h, c = tf.zeros((1, UNITS), dtype=tf.float64), tf.zeros((1, UNITS), dtype=tf.float64)
        hs, cs = [], []
        for t in range(T):
            _, (h, c) = lstm.cell(tf.constant(x[t : t + 1]), [h, c])
            lstm_tape.watch(h)
            lstm_tape.watch(c)
            hs.append(h)
            cs.append(c)
    tape_dc = np.stack([j.numpy()[0, :, 0, :]
                        for j in lstm_tape.jacobian(c, cs, experimental_use_pfor=False)])
    tape_dh = np.stack([j.numpy()[0, :, 0, :]
                        for j in lstm_tape.jacobian(h, hs, experimental_use_pfor=False)])
    lstm_tape_diff = float(max(np.abs(tape_dc - lstm_jac["dcT_dc"]).max(),
                               np.abs(tape_dh - lstm_jac["dhT_dh"]).max()))
print("\n[4] LSTM (Keras's initial weights), k steps back from the last step:")
print(f"{'k':>4}{'forget-gate product':>22}{'‖∂c_T/∂c_T-k‖':>18}{'‖∂h_T/∂h_T-k‖':>18}")
for k in [k for k in (0, 1, 2, 5, 10, 20, 30, T - 1) if k < T]:
    print(f"{k:>4}{forget_path[k]:>22.3e}{full_cell[k]:>18.3e}{full_hidden[k]:>18.3e}")
if lstm_tape_diff is not None:
    print(f"by hand vs tf.GradientTape, max |difference| over all Jacobian entries: {lstm_tape_diff:.1e}")
forget_gates = bptt.lstm_forward(bptt.float64_weights(lstm), x[np.newaxis])["forget_gate"][0]  # (T, units)
print(f"the forget gates average {forget_gates.mean():.3f}: "
      "the cell path alone shrinks by about that factor per step;")
print("the full Jacobian also counts the paths through h and the gates, "
      "so it is not the product of the forget gates.")

# %% Step 5: plot the norms against the distance k
import matplotlib.pyplot as plt  # noqa: E402

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for label, color in (("small", "tab:blue"), ("large", "tab:red")):
    scale = args.small_scale if label == "small" else args.large_scale
    left.semilogy(distances[1:T], simple_norms[label][1:T], color=color, label=f"U = {scale:g} × orthogonal")
left.axhline(1.0, color="grey", linewidth=0.8)
left.set(title="SimpleRNN: ‖∂h_T/∂h_{T-k}‖", xlabel="distance k (time steps back)",
         ylabel="spectral norm (log scale)")
left.legend()
right.semilogy(np.arange(T), forget_path, label="cell path: product of forget gates (largest unit)")
right.semilogy(np.arange(T), full_cell, label="full ‖∂c_T/∂c_T-k‖")
right.semilogy(np.arange(T), full_hidden, label="full ‖∂h_T/∂h_T-k‖")
right.set(title="LSTM (Keras's initial weights)", xlabel="distance k (time steps back)",
          ylabel="norm (log scale)")
right.legend(fontsize=8)
fig.suptitle(f"How much the last state depends on a state k steps earlier (one sequence, {UNITS} units)")
plotting.save_figure(fig, out_dir / "jacobian_norms.png", show)
print(f"\n[5] wrote {out_dir / 'jacobian_norms.png'}")

# %% Step 6: write every number to metrics.json
pick = lambda values: {str(k): float(values[k]) for k in (1, 5, 10, 20, T - 1) if k < len(values)}  # noqa: E731
seconds = time.perf_counter() - run_started
metrics.write_metrics(out_dir / "metrics.json", case_metrics.bptt_payload(
    backward_pass={"dh_norm_last": float(dh_norms[-1]), "dh_norm_first": float(dh_norms[0]),
                   "tape_max_abs_difference": tape_max_diff or None},
    simple_rnn_jacobian_norms={label: pick(norms) for label, norms in simple_norms.items()},
    simple_rnn_tape_max_abs_difference=simple_tape_diff or None,
    lstm={"forget_gate_product": pick(forget_path), "dcT_dc_norm": pick(full_cell),
          "dhT_dh_norm": pick(full_hidden), "tape_max_abs_difference": lstm_tape_diff},
    timesteps=T, units=UNITS, small_scale=args.small_scale, large_scale=args.large_scale,
    input_scale=INPUT_SCALE, seed=args.seed, backend=backend_name(), run_seconds=seconds,
))
print(f"[6] wrote {out_dir / 'metrics.json'}; run time {seconds:.1f} s")
