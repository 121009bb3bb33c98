"""Synthetic tasks that need a long memory (the adding problem, recall), and training-loop helpers for them:
an early stop at a target metric, and the first epoch whose loss is NaN or infinite."""

import numpy as np

ADDING_MEAN_BASELINE_MSE = 1.0 / 6.0  # the MSE of always predicting the mean sum, 1.0 (see make_adding_task)


def make_adding_task(n_samples, timesteps, rng):
    """The adding problem: X of shape (n, T, 2) and targets y of shape (n,).

    Feature 0 of every step is a number drawn uniformly from [0, 1). Feature 1 is a marker:
    it is 1 at exactly two steps and 0 elsewhere. The first marked step is drawn uniformly
    from the first half of the sequence (steps 0 .. ceil(T/2)-1, 0-based), the second from
    the rest. The target is the sum of the two marked numbers.

    Why it measures long-term memory without a shortcut: the network does not know in
    advance which steps count, so it must notice the first marker when it comes, hold that
    number through on average about T/2 steps of distracting numbers, and add the second.
    The first marked number is independent of everything after it.

    The score to beat: the sum of two independent uniform numbers has mean 1 and variance
    2 x 1/12 = 1/6, so always predicting 1.0 has an expected MSE of 1/6 (about 0.167,
    ADDING_MEAN_BASELINE_MSE). Remembering only the second number (predicting it + 0.5)
    scores 1/12 (about 0.083): an MSE well below 0.083 needs the first number too.

    n_samples: 1 or more; timesteps: 2 or more; rng: a numpy Generator (same seed, same data).
    Returns (X float32 (n, T, 2), y float32 (n,)).
    """
    n_samples, timesteps = int(n_samples), int(timesteps)
    if n_samples < 1 or timesteps < 2:
        raise ValueError(
            f"the adding problem needs n_samples >= 1 and timesteps >= 2, got {n_samples} and {timesteps}"
        )
    half = (timesteps + 1) // 2
    values = rng.uniform(0.0, 1.0, size=(n_samples, timesteps))
    first = rng.integers(0, half, size=n_samples)  # a step in the first half
    second = rng.integers(half, timesteps, size=n_samples)  # a step in the second half
    markers = np.zeros((n_samples, timesteps))
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return X, y


def make_recall_task(n_samples, timesteps, rng, noise_std=1.0):
    """The "recall the first value" task: X of shape (n, T, 1) and labels y in {0, 1}.

    Not a fair test of long-term memory: the only cue sits at step 1, right after the zero
    starting state, and a SimpleRNN can latch it by saturating (tanh near +-1) and then
    ignore everything else. Use make_adding_task to compare cells' memory.

    Where the label comes from: ONLY the first time step. X[i, 0, 0] is +1 or -1 (a fair
    coin) and y[i] = 1 if X[i, 0, 0] > 0 else 0. Steps 1 .. T-1 are distraction noise,
    drawn from a normal distribution with standard deviation `noise_std`, independent of
    the label. A model that forgets the first step can do no better than chance (0.5).

    n_samples, timesteps: whole numbers of 1 or more; rng: a numpy Generator, e.g.
    np.random.default_rng(42) (the same seed gives the same data).
    Returns (X float32 (n, T, 1), y float32 (n,)).
    """
    if int(n_samples) < 1 or int(timesteps) < 1:
        raise ValueError(f"n_samples and timesteps must be 1 or more, got {n_samples} and {timesteps}")
    first_value = rng.choice(np.array([-1.0, 1.0]), size=n_samples)  # the only thing to remember
    X = rng.normal(0.0, noise_std, size=(n_samples, timesteps, 1))  # the distraction
    X[:, 0, 0] = first_value
    y = (first_value > 0).astype(np.float32)
    return X.astype(np.float32), y


def stop_when_metric_reaches(model, threshold, metric="val_loss", below=True):
    """A Keras callback that ends `model.fit` after the first epoch whose `metric` reaches `threshold`.

    below=True: stop when metric <= threshold (a loss); below=False: when metric >= threshold
    (an accuracy). A task that is solved does not need the rest of the epochs; one that is not
    solved still gets every epoch, so each model gets the same chance. Use a validation metric:
    the decision to stop must not look at the test data. Returns a keras.callbacks.LambdaCallback;
    `callback.stopped_at` is the epoch (1-based) or None.
    """
    import keras

    def check(epoch, logs):
        value = (logs or {}).get(metric)
        if value is not None and (value <= threshold if below else value >= threshold):
            callback.stopped_at = epoch + 1
            model.stop_training = True

    callback = keras.callbacks.LambdaCallback(on_epoch_end=check)
    callback.stopped_at = None
    return callback


def first_nan_epoch(losses):
    """The 1-based epoch at which a loss history first becomes NaN or infinite, or None."""
    for epoch, loss in enumerate(losses, start=1):
        if not np.isfinite(loss):
            return epoch
    return None
