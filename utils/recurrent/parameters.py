"""How many weights a recurrent layer has, by the formula a student can check against Keras's count."""



# ---------------------------------------------------------------------------
# Parameter counts
# ---------------------------------------------------------------------------

_KIND_NAMES = {"simplernn": "SimpleRNN", "rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def _kind_name(kind):
    """'SimpleRNN', 'LSTM' or 'GRU' for any common spelling (e.g. 'simple_rnn', 'lstm')."""
    key = str(kind).lower().replace("_", "").replace(" ", "")
    if key not in _KIND_NAMES:
        raise ValueError(f"kind must be 'SimpleRNN', 'LSTM' or 'GRU', got {kind!r}")
    return _KIND_NAMES[key]


def recurrent_param_count(kind, units, features, reset_after=True):
    """Number of trainable parameters of a recurrent layer (with the default use_bias=True).

    SimpleRNN: units·(units+features) + units
    LSTM:      4 · (units·(units+features) + units)      3 gates + the candidate, SimpleRNN-sized each
    GRU:       3 · (units·(units+features) + 2·units)    reset_after=True: two bias rows
               3 · (units·(units+features) + units)      reset_after=False
    """
    name = _kind_name(kind)
    weights_per_block = units * (units + features)
    if name == "SimpleRNN":
        return weights_per_block + units
    if name == "LSTM":
        return 4 * (weights_per_block + units)
    biases_per_block = 2 * units if reset_after else units
    return 3 * (weights_per_block + biases_per_block)


def param_formula(kind, units, features, reset_after=True):
    """The parameter count written out, e.g. 'LSTM: 4·(16·(16+1)+16) = 1152'."""
    name = _kind_name(kind)
    total = recurrent_param_count(name, units, features, reset_after)
    block = f"{units}·({units}+{features})"
    if name == "SimpleRNN":
        return f"SimpleRNN: {block}+{units} = {total}"
    if name == "LSTM":
        return f"LSTM: 4·({block}+{units}) = {total}"
    if reset_after:
        return f"GRU: 3·({block}+2·{units}) = {total}"
    return f"GRU (reset_after=False): 3·({block}+{units}) = {total}"
