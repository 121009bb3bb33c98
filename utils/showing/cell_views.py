"""Step 8 of Cases 17-2 and 17-3: a trained cell replayed on one window, its gate tables and figure."""

import numpy as np

from utils.recurrent import cells
from utils.showing import gate_views, plotting


def replay_beside_keras(layer, window):
    """Replay `layer` on one window in NumPy (`cells.run_cell`) and compare with Keras's own answer.

    Returns (trace, gap): the trace of every gate at every step, and the largest difference
    between the replay's last hidden state and the one the Keras layer computes.
    """
    import keras

    trace = cells.run_cell(layer, window)
    keras_hidden = keras.ops.convert_to_numpy(layer(window[None]))[0]
    return trace, float(np.abs(trace["hidden_state"][-1] - keras_hidden).max())


def replay_before_and_after(layer, window, untrained, trained):
    """Replay `layer` on one window with its weights before training, then after (`replay_beside_keras`).

    `untrained` and `trained` are the layer's weights (Keras's order: kernel, recurrent kernel, bias).
    Returns (trace before, trace after, the gap to Keras's own answer after training); the layer keeps
    the trained weights.
    """
    layer.set_weights(untrained)
    trace_before = cells.run_cell(layer, window)
    layer.set_weights(trained)
    trace, keras_gap = replay_beside_keras(layer, window)
    return trace_before, trace, keras_gap


def gate_tables(trace, gates, step_labels, words, max_rows):
    """One printable table per gate in `gates`: 3 units, one row per step, cut at `max_rows` rows."""
    more_text = f"... {{n}} more {words.steps} in gates.png"
    tables = [gate_views.format_gate_table(trace, gate, units=3, step_labels=step_labels,
                                           step_header=words.step, max_rows=max_rows, more_text=more_text)
              for gate in gates]
    return "\n".join(tables)


def save_gates_before_after(cell_name, trace, trace_before, step_labels, words, path, show):
    """Draw 8 units' gates on one test window, untrained beside trained, and save the figure to `path`.

    `trace` and `trace_before` are `utils.recurrent.cells.run_cell` traces of the same window after
    and before training; `words` is the series' `StepWords` (it names the steps: months, days, ...).
    """
    figure = gate_views.gates_figure(
        trace, units=8, trace_before=trace_before, step_labels=step_labels, xlabel=words.step,
        title=f"{cell_name} gates on one test window, before and after training "
              f"(rows: units, columns: {words.steps})",
    )
    return plotting.save_figure(figure, path, show)
