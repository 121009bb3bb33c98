"""Build and fingerprint the one-layer forecasters of Cases 17-2 and 17-3.

Keras is imported inside each function, so importing this module stays cheap: the cases load
TensorFlow only after every flag and the data have been checked.
"""

import hashlib

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


def weights_fingerprint(model):
    """SHA-256 of the model's weights (as float32 bytes, layer by layer): equal weights, equal fingerprint.

    The same data before the test period must give the same fingerprint, whatever the test period holds.
    """
    weights = (np.asarray(w, dtype="float32").tobytes() for w in model.get_weights())
    return hashlib.sha256(b"".join(weights)).hexdigest()
