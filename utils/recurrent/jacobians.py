"""Jacobians between hidden states: how much the state k steps back moves the last one."""

import numpy as np

from utils.recurrent.bptt import float64_weights, lstm_backward, simple_rnn_forward

# ---------------------------------------------------------------------------
# Jacobians between states: how strongly h_T depends on an earlier state
# ---------------------------------------------------------------------------


def simple_rnn_step_jacobians(layer, x):
    """The per-step Jacobians ∂h_t/∂h_{t-1} of a SimpleRNN on one window x (T, features).

    h_t = tanh(x_t·W + h_{t-1}·U + b), so ∂h_t[i]/∂h_{t-1}[j] = (1 - h_t[i]²) · U[j, i]:
    the tanh's slope times the recurrent weights. Returns an array (T, units, units);
    entry t is the Jacobian of step t (rows: units of h_t, columns: units of h_{t-1}).
    """
    weights = float64_weights(layer)
    if weights["activation"] is not np.tanh:
        raise ValueError("simple_rnn_step_jacobians is written for the tanh activation")
    states = simple_rnn_forward(weights, np.asarray(x, dtype=np.float64)[np.newaxis])[0, 1:]
    slope = 1.0 - states**2  # (T, units): tanh' at every step
    return slope[:, :, np.newaxis] * weights["recurrent_kernel"].T[np.newaxis]


def products_back_from_the_end(step_jacobians):
    """∂h_T/∂h_{T-k} = J_T · J_{T-1} · … · J_{T-k+1} for k = 0 … T (k = 0: the identity).

    step_jacobians: (T, units, units), entry t = ∂h_t/∂h_{t-1}. Returns (T + 1, units, units).
    Each extra step back multiplies by one more Jacobian: that product is what vanishes or explodes.
    """
    timesteps, units, _ = step_jacobians.shape
    products = [np.eye(units)]
    for k in range(1, timesteps + 1):
        products.append(products[-1] @ step_jacobians[timesteps - k])
    return np.stack(products)


def lstm_state_jacobians(layer, x):
    """For an LSTM on one window x (T, features): how c_T and h_T depend on earlier states.

    Computed with `lstm_backward`, one backward pass per unit (a batch of `units` copies
    of the window, each starting from one unit's gradient 1 at the last step).
    Returns a dict of arrays indexed by the step t = 0 … T-1:
      dcT_dc:          (T, units, units) the full ∂c_T/∂c_t (every path, also through h_t)
      dhT_dh:          (T, units, units) ∂h_T/∂h_t (with c_t held fixed)
      forget_product:  (T, units) the cell path alone: f_{t+1} · … · f_T (1 at t = T-1),
                       the diagonal that ∂c_T/∂c_t would be if only c_{t-1} → c_t counted
    """
    weights = float64_weights(layer)
    units = weights["units"]
    window = np.asarray(x, dtype=np.float64)
    copies = np.repeat(window[np.newaxis], units, axis=0)  # one copy per unit of the last state
    identity = np.eye(units)
    from_cell = lstm_backward(weights, copies, np.zeros((units, units)), d_last_cell=identity)
    from_hidden = lstm_backward(weights, copies, identity)
    forget = from_cell["forward"]["forget_gate"][0]  # (T, units)
    later_forgets = np.concatenate([forget[1:], np.ones((1, units))])  # f_{t+1} for each t
    forget_product = np.cumprod(later_forgets[::-1], axis=0)[::-1]
    # dc[i, t] is row i of ∂c_T/∂c_t; move t to the front: (T, units of c_T, units of c_t).
    return {"dcT_dc": from_cell["dc"].transpose(1, 0, 2), "dhT_dh": from_hidden["dh"].transpose(1, 0, 2),
            "forget_product": forget_product}
