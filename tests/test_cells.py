"""The NumPy cell mirrors in utils/recurrent/cells.py must reproduce Keras's SimpleRNN, LSTM and GRU."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.recurrent import cells, parameters
from utils.showing import gate_views

TIMESTEPS, FEATURES, UNITS, BATCH = 7, 2, 4, 3
ATOL = 1e-5
LAYERS = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}


def random_inputs(seed, timesteps=TIMESTEPS, features=FEATURES, batch=BATCH):
    """A float32 batch of shape (batch, timesteps, features)."""
    return np.random.default_rng(seed).normal(size=(batch, timesteps, features)).astype(np.float32)


def build_with_large_weights(layer, features, seed):
    """Build `layer` and give every weight (biases included) a clearly non-zero random value.

    Glorot/orthogonal init with zero biases (and the LSTM forget bias of 1) would let a
    wrong gate order hide; random values of size ~1 in every block make it show.
    """
    layer.build((None, None, features))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.8, size=w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


def mirror_outputs(layer, x_batch):
    """run_cell on every sample: hidden states of shape (batch, timesteps, units)."""
    return np.stack([cells.run_cell(layer, sample)["hidden_state"] for sample in x_batch])


def assert_matches_keras(layer, x_batch):
    """The mirror's hidden states equal the layer's return_sequences output; returns max |diff|."""
    expected = keras.ops.convert_to_numpy(layer(x_batch))
    actual = mirror_outputs(layer, x_batch)
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0)
    return float(np.abs(actual - expected).max())


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(1234)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_hidden_states_match_keras(kind):
    layer = build_with_large_weights(LAYERS[kind](UNITS, return_sequences=True), FEATURES, seed=1)
    x_batch = random_inputs(seed=2)
    max_diff = assert_matches_keras(layer, x_batch)
    print(f"{kind}: max |numpy - keras| = {max_diff:.2e}")
    # The check is not vacuous: the states really move between -1 and 1.
    assert np.abs(keras.ops.convert_to_numpy(layer(x_batch))).max() > 0.5


def test_gru_reset_before_matches_keras():
    layer = keras.layers.GRU(UNITS, reset_after=False, return_sequences=True)
    build_with_large_weights(layer, FEATURES, seed=3)
    assert layer.get_weights()[2].shape == (3 * UNITS,)
    assert_matches_keras(layer, random_inputs(seed=4))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_non_default_activations_and_no_bias_match_keras(kind):
    layer = LAYERS[kind](
        UNITS, activation="relu", recurrent_activation="sigmoid", use_bias=False, return_sequences=True
    )
    build_with_large_weights(layer, FEATURES, seed=5)
    assert_matches_keras(layer, random_inputs(seed=6))


def test_rnn_wrapper_around_a_cell_matches_keras():
    layer = keras.layers.RNN(keras.layers.LSTMCell(UNITS), return_sequences=True)
    build_with_large_weights(layer, FEATURES, seed=7)
    assert_matches_keras(layer, random_inputs(seed=8))


def test_unsupported_activation_is_a_clear_error():
    layer = build_with_large_weights(
        keras.layers.LSTM(UNITS, recurrent_activation="hard_sigmoid"), FEATURES, seed=9
    )
    with pytest.raises(ValueError, match="hard_sigmoid"):
        cells.run_cell(layer, random_inputs(seed=10)[0])


def test_whole_batch_is_a_clear_error():
    layer = build_with_large_weights(keras.layers.GRU(UNITS), FEATURES, seed=11)
    with pytest.raises(ValueError, match="one sample"):
        cells.run_cell(layer, random_inputs(seed=12))


def test_stacked_layers_match_keras_model():
    first = keras.layers.LSTM(5, return_sequences=True)
    second = keras.layers.GRU(3)
    model = keras.Sequential([keras.Input((TIMESTEPS, FEATURES)), first, second])
    for layer, features, seed in ((first, FEATURES, 13), (second, 5, 14)):
        build_with_large_weights(layer, features, seed)
    x_batch = random_inputs(seed=15)

    expected = keras.ops.convert_to_numpy(model(x_batch))  # (batch, 3): last step only
    for sample, expected_last in zip(x_batch, expected):
        first_outputs = cells.run_cell(first, sample)["hidden_state"]
        second_outputs = cells.run_cell(second, first_outputs)["hidden_state"]
        np.testing.assert_allclose(second_outputs[-1], expected_last, atol=ATOL, rtol=0)


def test_lstm_final_cell_state_matches_keras():
    layer = build_with_large_weights(keras.layers.LSTM(UNITS, return_state=True), FEATURES, seed=16)
    x_batch = random_inputs(seed=17)
    output, final_hidden, final_cell = (keras.ops.convert_to_numpy(t) for t in layer(x_batch))
    for i, sample in enumerate(x_batch):
        trace = cells.run_cell(layer, sample)
        np.testing.assert_allclose(trace["cell_state"][-1], final_cell[i], atol=ATOL, rtol=0)
        np.testing.assert_allclose(trace["hidden_state"][-1], final_hidden[i], atol=ATOL, rtol=0)
        np.testing.assert_allclose(trace["hidden_state"][-1], output[i], atol=ATOL, rtol=0)


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("units, features", [(1, 1), (4, 1), (16, 1), (8, 3)])
def test_param_count_matches_keras(kind, units, features):
    layer = LAYERS[kind](units)
    layer.build((None, None, features))
    assert parameters.recurrent_param_count(kind, units, features) == layer.count_params()
    assert parameters.param_formula(kind, units, features).endswith(f"= {layer.count_params()}")


def test_param_count_gru_reset_before_and_spellings():
    layer = keras.layers.GRU(6, reset_after=False)
    layer.build((None, None, 2))
    assert parameters.recurrent_param_count("gru", 6, 2, reset_after=False) == layer.count_params()
    assert parameters.recurrent_param_count("simple_rnn", 16, 1) == 288
    assert parameters.param_formula("lstm", 16, 1) == "LSTM: 4·(16·(16+1)+16) = 1152"
    with pytest.raises(ValueError):
        parameters.recurrent_param_count("transformer", 4, 1)


@pytest.mark.parametrize("kind, gates", [
    ("LSTM", ("input_gate", "forget_gate", "output_gate")),
    ("GRU", ("update_gate", "reset_gate")),
])
def test_sigmoid_gates_are_between_0_and_1(kind, gates):
    layer = build_with_large_weights(LAYERS[kind](UNITS), FEATURES, seed=18)
    trace = cells.run_cell(layer, 3 * random_inputs(seed=19)[0])
    for gate in gates:
        assert trace[gate].shape == (TIMESTEPS, UNITS)
        assert trace[gate].min() >= 0.0 and trace[gate].max() <= 1.0, gate


@pytest.mark.parametrize(
    "kind, step, stop_text, gates",
    [
        ("LSTM", cells.lstm_step, "cell_state = forget_gate * c_prev",
         ("input_gate", "forget_gate", "output_gate", "candidate")),
        ("GRU", cells.gru_step, "hidden_state = update_gate * h_prev",
         ("update_gate", "reset_gate", "candidate")),
    ],
)
def test_a_breakpoint_on_the_readmes_line_shows_every_gate_of_that_step(kind, step, stop_text, gates):
    """Stopped where the README says, a student sees each gate of the current time step, one per unit:
    one stop per time step, and at stop t the values the trace records for step t."""
    from debugger_stops import locals_at_each_stop

    layer = build_with_large_weights(LAYERS[kind](UNITS), FEATURES, seed=22)
    x = random_inputs(seed=23)[0]
    stops, trace = locals_at_each_stop(step, stop_text, lambda: cells.run_cell(layer, x))
    assert len(stops) == TIMESTEPS
    for t, seen in enumerate(stops):
        for gate in gates:
            np.testing.assert_allclose(seen[gate], trace[gate][t], rtol=0, atol=1e-12,
                                       err_msg=f"{gate}, step {t}")


def test_gates_figure_and_table():
    layer = build_with_large_weights(keras.layers.LSTM(UNITS), FEATURES, seed=20)
    trace = cells.run_cell(layer, random_inputs(seed=21)[0])

    fig = gate_views.gates_figure(trace, units=3, title="LSTM gates")
    try:
        heatmaps = [ax for ax in fig.axes if ax.images]
        assert len(heatmaps) == len(trace) == 6
        assert len(fig.axes) == 2 * len(trace)  # one colorbar per heatmap
        assert heatmaps[0].images[0].get_array().shape == (3, TIMESTEPS)  # units × time steps
        assert heatmaps[-1].get_xlabel() == "time step"
    finally:
        matplotlib.pyplot.close(fig)

    table = gate_views.format_gate_table(trace, "forget_gate", units=(0, 2))
    lines = table.splitlines()
    assert len(lines) == 2 + TIMESTEPS and "unit 2" in lines[1]
    assert f"{trace['forget_gate'][0, 2]:+8.4f}" in lines[2]
    with pytest.raises(ValueError, match="reset_gate"):
        gate_views.format_gate_table(trace, "reset_gate")


def lstm_trace(seed, timesteps=TIMESTEPS):
    layer = build_with_large_weights(keras.layers.LSTM(UNITS), FEATURES, seed=seed)
    return cells.run_cell(layer, random_inputs(seed=seed + 1, timesteps=timesteps)[0])


def test_gate_table_with_step_labels_and_a_row_limit():
    trace = lstm_trace(seed=22, timesteps=12)
    dates = [f"2023-{month:02d}" for month in range(1, 13)]
    table = gate_views.format_gate_table(trace, "forget_gate", units=2, step_labels=dates, max_rows=5,
                                    more_text="... {n} more months in gates.png")
    lines = table.splitlines()
    assert lines[1].split()[0] == "step" and "unit 1" in lines[1]
    assert [line.split()[0] for line in lines[2:7]] == dates[:5]
    assert f"{trace['forget_gate'][4, 1]:+8.4f}" in lines[6]
    assert lines[-1] == "... 7 more months in gates.png" and len(lines) == 2 + 5 + 1
    # Generic wording by default; no cut line when everything fits.
    assert (
        gate_views.format_gate_table(trace, "forget_gate", max_rows=10).splitlines()[-1]
        == "... 2 more time steps not shown"
    )
    assert len(gate_views.format_gate_table(trace, "forget_gate", max_rows=12).splitlines()) == 2 + 12
    labelled = gate_views.format_gate_table(trace, "cell_state", step_labels=dates, step_header="month")
    assert labelled.splitlines()[1].split()[0] == "month"
    with pytest.raises(ValueError, match="12 time steps"):
        gate_views.format_gate_table(trace, "forget_gate", step_labels=dates[:3])
    with pytest.raises(ValueError, match="max_rows"):
        gate_views.format_gate_table(trace, "forget_gate", max_rows=0)


def test_gates_figure_labels_colour_bars_and_steps():
    trace = lstm_trace(seed=24, timesteps=12)
    dates = [f"2023-{month:02d}" for month in range(1, 13)]
    fig = gate_views.gates_figure(trace, units=3, step_labels=dates, xlabel="month")
    try:
        heatmaps = [ax for ax in fig.axes if ax.images]
        colour_bars = [ax for ax in fig.axes if not ax.images]
        assert len(heatmaps) == len(colour_bars) == len(trace)
        labels = [bar.get_ylabel() for bar in colour_bars]
        assert labels.count("gate value: 0 closed, 1 open") == 3  # input, forget, output gates
        assert labels.count("value") == 3  # candidate, cell_state, hidden_state
        assert heatmaps[-1].get_xlabel() == "month"
        tick_labels = [tick.get_text() for tick in heatmaps[-1].get_xticklabels()]
        assert tick_labels and set(tick_labels) <= set(dates) and tick_labels[0] == dates[0]
    finally:
        matplotlib.pyplot.close(fig)


def test_gates_figure_before_and_after_training_side_by_side():
    layer = build_with_large_weights(keras.layers.GRU(UNITS), FEATURES, seed=26)
    window = random_inputs(seed=27)[0]
    after = cells.run_cell(layer, window)
    before = cells.run_cell(build_with_large_weights(keras.layers.GRU(UNITS), FEATURES, seed=28), window)
    fig = gate_views.gates_figure(after, trace_before=before, units=2)
    try:
        heatmaps = [ax for ax in fig.axes if ax.images]
        # per row: before, after, and the change; two colour bars (values, change)
        assert len(heatmaps) == 3 * len(after) and len(fig.axes) == 5 * len(after)
        titles = [ax.get_title(loc="left") for ax in heatmaps]
        assert titles[:3] == ["update_gate, before training", "update_gate, after training",
                              "update_gate, after - before"]
        np.testing.assert_array_equal(heatmaps[0].images[0].get_array(), before["update_gate"][:, :2].T)
        np.testing.assert_array_equal(heatmaps[1].images[0].get_array(), after["update_gate"][:, :2].T)
        change = heatmaps[2].images[0]
        moved = after["update_gate"] - before["update_gate"]
        np.testing.assert_allclose(change.get_array(), moved[:, :2].T)
        low, high = change.get_clim()  # centred on 0 and stretched to the largest change
        assert low == -high and high == pytest.approx(np.abs(change.get_array()).max())
        # States share one colour scale across the before and after panels, so colours compare.
        hidden_before, hidden_after = (ax.images[0] for ax in heatmaps[-3:-1])
        assert hidden_before.get_clim() == hidden_after.get_clim()
    finally:
        matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="same"):
        gate_views.gates_figure(after, trace_before=lstm_trace(seed=29))


@pytest.mark.parametrize("update_bias, keeps", [(30.0, "old state"), (-30.0, "candidate")])
def test_keras_gru_update_rule_is_z_times_old_state(update_bias, keeps):
    """Keras computes h = z * h_prev + (1 - z) * candidate: z = 1 keeps the old state (as Cho et al. 2014).

    The update gate's bias is pushed to +30 (z = 1) or -30 (z = 0); Keras's own output then
    equals the initial state or the candidate, and the mirror agrees.
    """
    layer = build_with_large_weights(keras.layers.GRU(UNITS), FEATURES, seed=30)
    kernel, recurrent_kernel, bias = layer.get_weights()
    bias[:, :UNITS] = 0.0
    bias[0, :UNITS] = update_bias  # the z block of the input bias row
    layer.set_weights([kernel, recurrent_kernel, bias])
    x_t = random_inputs(seed=31, timesteps=1)[:1]  # one sample, one step
    h_prev = np.random.default_rng(32).uniform(-0.9, 0.9, size=(1, UNITS)).astype(np.float32)

    keras_h = keras.ops.convert_to_numpy(layer(x_t, initial_state=[h_prev]))[0]
    step = cells.gru_step(x_t[0, 0], h_prev[0], kernel, recurrent_kernel, bias)
    np.testing.assert_allclose(step.hidden_state, keras_h, atol=ATOL, rtol=0)
    expected = h_prev[0] if keeps == "old state" else step.candidate
    np.testing.assert_allclose(keras_h, expected, atol=ATOL, rtol=0)
    assert np.abs(step.candidate - h_prev[0]).max() > 0.1  # the two outcomes really differ


def test_replay_before_and_after_uses_each_weight_set_and_keeps_the_trained_one():
    from utils.showing import cell_views

    layer = build_with_large_weights(keras.layers.LSTM(UNITS), FEATURES, seed=40)
    window = random_inputs(seed=41)[0]
    trained = [w.copy() for w in layer.get_weights()]
    untrained = [w * 0.1 for w in trained]
    before, after, gap = cell_views.replay_before_and_after(layer, window, untrained, trained)
    expected_after = cells.run_cell(layer, window)  # the layer keeps the trained weights
    np.testing.assert_allclose(after["hidden_state"], expected_after["hidden_state"])
    layer.set_weights(untrained)
    np.testing.assert_allclose(before["hidden_state"], cells.run_cell(layer, window)["hidden_state"])
    assert not np.allclose(before["hidden_state"], after["hidden_state"]) and gap < 1e-5
