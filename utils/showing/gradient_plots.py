"""Case 17-4's figures: gradient norms over time, memory by sequence length, losses that turn NaN."""


import numpy as np

# ---------------------------------------------------------------------------
# Plots (saved with utils.showing.plotting.save_figure)
# ---------------------------------------------------------------------------

CELL_COLORS = {"SimpleRNN": "tab:red", "LSTM": "tab:blue", "GRU": "tab:green"}


def line_style(variant):
    """Colour by cell type, dotted for a variant such as "LSTM, gates open"."""
    cell = variant.split(",")[0]
    return {"color": CELL_COLORS.get(cell), "linestyle": ":" if "," in variant else "-"}


def plot_gradient_norms(profiles, title, xlabel="input time step t (1 = the first step of the sequence)"):
    """Gradient norm per input time step on a log scale: one panel per curve kind, one line per variant.

    profiles: {variant name: {panel label: norms of shape (timesteps,)}}, e.g.
    {"LSTM": {"fresh": ..., "after training": ...}, "LSTM, gates open": {...}}. A variant named
    "<cell>, <what>" is drawn dotted in its cell's colour. Time steps go from 1 (the first input) to T.
    A panel whose norms are all NaN (e.g. a variant that was not trained) draws no line.
    """
    from utils.showing.plotting import plt

    panels = list(next(iter(profiles.values())))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5), sharey=True, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for variant, curves in profiles.items():
            norms = np.asarray(curves[panel], dtype=np.float64)
            steps = np.arange(1, len(norms) + 1)
            ax.plot(steps, np.where(norms > 0, norms, np.nan), linewidth=2, label=variant,
                    **line_style(variant))
            if (norms == 0).any() and (norms > 0).any():  # float32 underflow: log(0) cannot be drawn
                first_drawn = int(np.argmax(norms > 0))
                ax.annotate(f"{variant}: exactly 0 before t={first_drawn + 1}",
                            (steps[first_drawn], norms[first_drawn]), textcoords="offset points",
                            xytext=(8, 2), color=line_style(variant)["color"], fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(panel)
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("mean ‖∂loss/∂x_t‖ (log scale)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def plot_mse_by_length(lengths, errors, baselines=None, title="Test MSE"):
    """Test MSE against sequence length T on a log scale, one line per variant, baselines as dashed lines.

    lengths: the T values; errors: {variant name: [MSE for each T]}; baselines: {label: MSE}.
    """
    from utils.showing.plotting import plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for variant, values in errors.items():
        ax.plot(lengths, values, marker="o", linewidth=2, label=variant, **line_style(variant))
    for (label, value), style in zip((baselines or {}).items(), ("--", "-.", ":")):
        ax.axhline(value, color="0.3", linestyle=style, linewidth=1, label=f"{label} ({value:.3f})")
    ax.set_xticks(list(lengths))
    ax.set_yscale("log")
    # plain-number ticks at round values: with the errors often all between 0.1 and 1, a
    # power-of-ten axis would show no labelled tick at all where the data lie
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    low, high = ax.get_ylim()
    steps = (1, 2, 5) if high / low > 10 else (1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
    ticks = [k * 10.0**e for e in range(-8, 3) for k in steps if low <= k * 10.0**e <= high]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("sequence length T (first marked number in the first half, second in the second half)")
    ax.set_ylabel("test MSE (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_losses_with_nan(curves, title, xlabel="epoch (0 = before training)", reference=None, ax=None):
    """Loss curves on a log scale where NaN or inf losses are marked, not silently dropped.

    curves: {label: losses}, losses[0] drawn at x = 0. A loss that is inf or NaN is drawn
    as an "x" on the top edge of the plot, joined by a dotted line to the last finite loss
    before it, and labelled where it first happens. reference: an optional (value, label)
    drawn as a horizontal dotted line, e.g. the loss of a trivial prediction.
    Returns the figure (a new one unless `ax` is given).
    """
    from utils.showing.plotting import plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    finite_values = [v for losses in curves.values() for v in losses if np.isfinite(v) and v > 0]
    top = max(finite_values) * 10 if finite_values else 10.0
    for label, losses in curves.items():
        losses = np.asarray(losses, dtype=np.float64)
        steps = np.arange(len(losses))
        finite = np.isfinite(losses)
        line, = ax.plot(steps, np.where(finite, losses, np.nan), marker="o", markersize=5, label=label)
        if not finite.all():
            ax.plot(steps[~finite], np.full((~finite).sum(), top), linestyle="none", marker="x",
                    markersize=9, markeredgewidth=2, color=line.get_color())
            first_bad = int(steps[~finite][0])
            if first_bad > 0 and finite[first_bad - 1]:  # the jump from the last finite loss
                ax.plot([first_bad - 1, first_bad], [losses[first_bad - 1], top], linestyle=":",
                        color=line.get_color())
            word = "NaN" if np.isnan(losses[first_bad]) else "inf"
            ax.annotate(f"{label}: loss is {word} from here on", (first_bad, top), textcoords="offset points",
                        xytext=(6, -14), color=line.get_color(), fontsize=8)
    if reference is not None:
        ax.axhline(reference[0], color="0.4", linestyle=":", linewidth=1, label=reference[1])
    ax.set_yscale("log")
    ax.set_ylim(top=top * 3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training loss (log scale)")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig
