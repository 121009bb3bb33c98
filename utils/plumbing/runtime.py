"""Run-time set-up shared by the case scripts: quiet logs, reproducible seeds, the backend's name.

Import this module before `keras`: it sets TensorFlow's log level, which only
takes effect if it is set before TensorFlow is first imported.
"""

import importlib.util
import os
import sys
import tempfile

# TensorFlow's C++ log lines (start-up notes, harmless graph warnings) would bury the lesson's trace.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def hide_tensorflow_startup_messages():
    """Import TensorFlow (Keras's default backend) with its start-up lines on stderr hidden.

    A few of those lines ("All log messages before absl::InitializeLog()", "Could not find
    cuda drivers") are printed by C++ code before any log level applies, so the only way to
    hide them is to point stderr elsewhere while TensorFlow loads. If the import fails,
    what it printed is shown. This applies whatever the backend: on the JAX or PyTorch backend
    `import keras` does not load TensorFlow, but `keras.utils.set_random_seed` does whenever
    it is installed (keras/src/utils/rng_utils.py: `if tf.available: tf.random.set_seed(seed)`).
    """
    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved_stderr, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)


def set_seed(seed):
    """Seed Python, NumPy and the Keras backend, and ask TensorFlow for deterministic ops.

    With this, a rerun with the same seed on the same machine gives identical numbers.
    Keras seeds TensorFlow too whenever it is installed, on any backend, so TensorFlow's
    start-up lines are hidden first (a script that never called the guard above gets it here).
    """
    hide_tensorflow_startup_messages()
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def backend_name():
    """The Keras backend in use ("tensorflow", "jax" or "torch"); change it with KERAS_BACKEND."""
    import keras

    return keras.backend.backend()
