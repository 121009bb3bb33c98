"""Exercise 6's short run: at which recurrent gain does Case 17-4's ReLU SimpleRNN stop exploding?

Trains the network of Case 17-4's Step 7 (the same task, learning rate and seed; plain SGD, no
clipping) at each gain given, and prints, per gain, whether the loss turned NaN or inf and its
largest finite value. A run takes a few seconds per gain, not the whole case.

    python benchmarks/exploding_threshold.py --gains 1.0 1.5 2.0
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from utils.plumbing import cli
from utils.plumbing.errors import exit_cleanly_on_bad_input
from utils.plumbing.runtime import hide_tensorflow_startup_messages

# Case 17-4 Step 7's settings
TIMESTEPS, LEARNING_RATE, SAMPLES = 15, 0.01, 1024


def main(argv=None):
    exit_cleanly_on_bad_input()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gains", type=cli.positive_float, nargs="+", default=[1.0, 1.5, 2.0],
                        help="recurrent weights = gain x orthogonal (Case 17-4 uses 2)")
    parser.add_argument("--epochs", type=cli.positive_int, default=10, help="as Case 17-4's default run")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    hide_tensorflow_startup_messages()
    from utils.recurrent import exploding, memory_tasks

    X, _ = memory_tasks.make_recall_task(SAMPLES, TIMESTEPS, np.random.default_rng(args.seed))
    y = X[:, 0, 0].copy()
    print(f"ReLU SimpleRNN, SGD learning rate {LEARNING_RATE}, T = {TIMESTEPS}, no clipping, "
          f"{args.epochs} epochs, seed {args.seed}; always predicting 0 scores 1.0")
    print(f"{'gain':>6}  {'loss before':>12}  {'largest finite loss':>20}  {'NaN or inf from':>16}  "
          f"{'last loss':>10}")
    for gain in args.gains:
        losses, _, first_steps = exploding.train_relu_rnn(X, y, gain, LEARNING_RATE, args.epochs, args.seed)
        nan_epoch = memory_tasks.first_nan_epoch(losses[1:])
        when = f"epoch {nan_epoch}" if nan_epoch else "never"
        print(f"{gain:>6g}  {losses[0]:>12.4g}  {exploding.largest_finite(losses + first_steps):>20.4g}  "
              f"{when:>16}  {losses[-1]:>10.4g}")


if __name__ == "__main__":
    main()
