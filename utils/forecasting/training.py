"""Build, train and fingerprint the one-layer forecasters of Cases 17-2 and 17-3.

Keras is imported inside each function, so importing this module stays cheap: the cases load
TensorFlow only after every flag and the data have been checked.
"""

import hashlib
import time
from typing import Any, NamedTuple

import numpy as np


def one_layer_forecaster(cell_name, window, n_features, units):
    """Input (window, n_features) -> one recurrent layer (`cell_name`: "LSTM", "GRU", ...) -> Dense(1).

    The recurrent layer reads the window step by step; the Dense layer turns its last hidden state
    into one number, the forecast (scaled). Returns the model, named "<cell>_forecaster", and its
    recurrent layer (the one a case looks inside).
    """
    import keras

    recurrent = getattr(keras.layers, cell_name)(units)
    model = keras.Sequential([keras.Input(shape=(window, n_features)), recurrent, keras.layers.Dense(1)],
                             name=f"{cell_name.lower()}_forecaster")
    return model, recurrent


class FitResult(NamedTuple):
    """What `fit_with_early_stopping` reports: the Keras history, the time, and where it stopped."""

    history: Any  # keras.callbacks.History
    seconds: float
    epochs_run: int
    best_epoch: int  # 1-based; its weights are the ones kept
    max_epochs: int = 0  # the upper limit it ran under (0: unknown)

    def summary(self):
        """One printable line: time, epochs, and the epoch whose weights are kept; and a warning
        when that epoch is the last one allowed, so the search for the best epoch ended at its edge."""
        line = (f"fit: {self.seconds:.1f} s, {self.epochs_run} epochs; the best validation loss was at epoch "
                f"{self.best_epoch}, whose weights are kept")
        if self.best_epoch == self.max_epochs:
            line += (f"\nWarning: the best epoch is the last allowed (--epochs {self.max_epochs}): "
                     "the search ended at its edge; more might do better")
        return line


def fit_with_early_stopping(model, split, epochs, batch_size, patience):
    """Train a compiled `model` on `split`'s training windows; stop on validation, keep the best epoch.

    `split` is a `utils.forecasting.windows.Split`. Early stopping watches the validation loss after
    each epoch and, when it has not improved for `patience` epochs, stops and puts back the weights
    of the best epoch: `epochs` is only an upper limit. Keras prints one line per epoch.
    """
    import keras

    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    started = time.perf_counter()
    history = model.fit(
        split.X_train, split.y_train,
        validation_data=(split.X_val, split.y_val),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[stopper],
        verbose=2,
    )
    seconds = time.perf_counter() - started
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    return FitResult(history, seconds, len(history.history["loss"]), best_epoch, epochs)


def weights_fingerprint(model):
    """SHA-256 of the model's weights (as float32 bytes, layer by layer): equal weights, equal fingerprint.

    The same data before the test period must give the same fingerprint, whatever the test period holds.
    """
    weights = (np.asarray(w, dtype="float32").tobytes() for w in model.get_weights())
    return hashlib.sha256(b"".join(weights)).hexdigest()
