"""A cell's gates, step by step, as a printed table and as a figure (from the trace of
`utils.recurrent.cells.run_cell`)."""


import numpy as np

# ---------------------------------------------------------------------------
# Showing a trace
# ---------------------------------------------------------------------------

SIGMOID_GATES = ("input_gate", "forget_gate", "output_gate", "update_gate", "reset_gate")


def _trace_kind(trace):
    """'LSTM', 'GRU' or 'SimpleRNN', from the names in a trace."""
    if "cell_state" in trace:
        return "LSTM"
    if "update_gate" in trace:
        return "GRU"
    return "SimpleRNN"


def _unit_indices(trace, units, default_count):
    """The unit indices to show: None → the first few, an int n → the first n (all if fewer), or a list."""
    total_units = next(iter(trace.values())).shape[1]
    if units is None:
        units = min(default_count, total_units)
    if isinstance(units, (int, np.integer)):
        units = range(min(int(units), total_units))
    indices = [int(unit) for unit in units]
    if not indices or min(indices) < 0 or max(indices) >= total_units:
        raise ValueError(f"units must be between 0 and {total_units - 1}, got {indices}")
    return indices


def _step_labels(step_labels, timesteps):
    """step_labels as a list of `timesteps` strings (None → 0, 1, 2, ...), or a ValueError."""
    if step_labels is None:
        return [str(t) for t in range(timesteps)]
    labels = [str(label) for label in step_labels]
    if len(labels) != timesteps:
        raise ValueError(f"step_labels has {len(labels)} labels, but the trace has {timesteps} time steps")
    return labels


def format_gate_table(trace, gate, units=(0, 1, 2), step_labels=None, max_rows=None,
                      more_text="... {n} more time steps not shown", step_header=None):
    """A printable table of one gate (or state) per time step for a few units.

    trace: the dict from `run_cell`; gate: one of its keys, e.g. 'forget_gate';
    units: an int n (the first n units) or a list of unit indices;
    step_labels: one label per time step (e.g. the dates of the window), shown instead
    of the step number 0, 1, 2, ...; step_header: the first column's heading
    (default 't', or 'step' when step_labels are given);
    max_rows: show at most this many time steps (the first ones), then one line made
    from more_text, where {n} is the number of rows left out,
    e.g. more_text="... {n} more months in gates.png".
    Returns the table as a string (one row per time step shown).
    """
    if gate not in trace:
        raise ValueError(f"no {gate!r} in this trace; it has {', '.join(trace)}")
    if max_rows is not None and int(max_rows) < 1:
        raise ValueError(f"max_rows must be 1 or more, got {max_rows}")
    indices = _unit_indices(trace, units, default_count=3)
    values = trace[gate]
    labels = _step_labels(step_labels, len(values))
    if step_header is None:
        step_header = "t" if step_labels is None else "step"
    width = max(3, len(step_header), *(len(label) for label in labels))
    header = f"{step_header:>{width}} " + "".join(f"  {'unit ' + str(unit):>8}" for unit in indices)
    shown = len(values) if max_rows is None else min(len(values), int(max_rows))
    rows = [
        f"{labels[t]:>{width}} " + "".join(f"  {values[t, unit]:+8.4f}" for unit in indices)
        for t in range(shown)
    ]
    if shown < len(values):
        rows.append(more_text.format(n=len(values) - shown))
    return "\n".join([f"{gate} ({_trace_kind(trace)})", header, *rows])


def colorbar_label(name):
    """What a heatmap's colour means: gates are 0 (closed) .. 1 (open); states are plain values."""
    return "gate value: 0 closed, 1 open" if name in SIGMOID_GATES else "value"


def _heatmap_grid(plt, rows, columns, shared, timesteps, units, rotated):
    """A figure of `rows` x `columns` heatmap axes, all sharing the x-axis, and their colour-bar axes.

    The first `shared` columns share one colour bar per row, each later column has its own. The
    positions are set in inches once, rather than by a layout engine at every save: with some
    thirty axes, matplotlib's constrained layout measured each tick label many times over and took
    about as long as drawing the figure. Returns (figure, axes (rows, columns), colour-bar axes per row).
    """
    import numpy as np

    panel = max(6.0, 0.35 * timesteps + 2.5) - 1.5  # inches per heatmap
    left, tick_room, bar_gap, bar, bar_room, right = 0.75, 0.45, 0.1, 0.15, 0.75, 0.1
    top, title_room, bottom = 0.6, 0.3, 1.0 if rotated else 0.6
    row_height = max(0.3 + 0.15 * units, 1.6)  # room for the colour bar's label
    blocks = [shared] + [1] * (columns - shared)  # panels per colour bar
    width = left + sum(n * panel + (n - 1) * tick_room + bar_gap + bar + bar_room for n in blocks)
    width += (len(blocks) - 1) * tick_room + right
    height = top + rows * (row_height + title_room) + bottom
    fig = plt.figure(figsize=(width, height))
    axes = np.empty((rows, columns), dtype=object)
    colour_bar_axes = []
    for row in range(rows):
        y = height - top - title_room - row * (row_height + title_room) - row_height
        x, column, bars = left, 0, []
        for n in blocks:
            for _ in range(n):
                box = [x / width, y / height, panel / width, row_height / height]
                axes[row, column] = fig.add_axes(box, sharex=axes[0, 0])
                x += panel + tick_room
                column += 1
            x += bar_gap - tick_room
            bars.append(fig.add_axes([x / width, y / height, bar / width, row_height / height]))
            x += bar + bar_room + tick_room
        colour_bar_axes.append(bars)
    for ax in axes[:-1].ravel():
        ax.tick_params(labelbottom=False)  # only the bottom row labels the shared x-axis
    return fig, axes, colour_bar_axes


def _set_step_ticks(ax, labels, max_ticks=12):
    """Label the x-axis with the step labels, thinned to at most max_ticks ticks."""
    stride = max(1, int(np.ceil(len(labels) / max_ticks)))
    positions = list(range(0, len(labels), stride))
    ax.set_xticks(positions, [labels[t] for t in positions], rotation=45 if max(map(len, labels)) > 3 else 0,
                  ha="right" if max(map(len, labels)) > 3 else "center", fontsize=8)


def gates_figure(trace, units=None, title=None, step_labels=None, trace_before=None, xlabel=None):
    """A figure with one heatmap per gate/state of a trace: rows = units, columns = time steps.

    trace: the dict from `run_cell`; units: None (the first 8 units), an int n (the
    first n) or a list of unit indices; title: the figure title (default names the cell);
    step_labels: one label per time step (e.g. dates) for the x-axis; xlabel: the x-axis
    title (default "time step");
    trace_before: a second trace of the same window (e.g. from the untrained layer): then
    each row shows "before training" and "after training" on the same colour scale, and a
    third panel "after - before" on a scale of its own, centred on 0 (red up, blue down) and
    stretched to that row's largest change, so that even a small change is visible.
    Sigmoid gates use a fixed 0..1 colour scale (colour bar "gate value: 0 closed, 1 open");
    states and candidates a scale centred on 0 (colour bar "value").
    Returns a matplotlib Figure with one heatmap axes per entry and panel, and one colour
    bar per row. It is not shown; save it with fig.savefig(...).
    """
    import matplotlib.pyplot as plt

    indices = _unit_indices(trace, units, default_count=8)
    names = list(trace)
    timesteps = len(trace[names[0]])
    labels = _step_labels(step_labels, timesteps)
    panels = [trace]
    if trace_before is not None:
        missing = [name for name in names if name not in trace_before]
        if missing or len(trace_before[names[0]]) != timesteps:
            raise ValueError("trace_before must come from the same kind of cell and the same window as trace")
        panels = [trace_before, trace]
    columns = len(panels) + (trace_before is not None)  # the change gets a panel of its own
    fig, axes, colour_bar_axes = _heatmap_grid(plt, len(names), columns, len(panels), timesteps, len(indices),
                                               rotated=step_labels is not None and max(map(len, labels)) > 3)
    for row, name in enumerate(names):
        row_values = [panel[name][:, indices].T for panel in panels]  # rows = units, columns = time steps
        if name in SIGMOID_GATES:
            scale = dict(cmap="viridis", vmin=0.0, vmax=1.0)
        else:
            limit = max(max(float(np.abs(values).max()) for values in row_values), 1e-6)
            scale = dict(cmap="RdBu_r", vmin=-limit, vmax=limit)
        for column, values in enumerate(row_values):
            ax = axes[row, column]
            image = ax.imshow(values, aspect="auto", **scale)
            if len(panels) == 2:
                ax.set_title(f"{name}, {('before', 'after')[column]} training", fontsize=10, loc="left")
            else:
                ax.set_title(name, fontsize=10, loc="left")
            ax.set_ylabel("unit")
            ax.set_yticks(range(len(indices)), [str(unit) for unit in indices])
        bar = fig.colorbar(image, cax=colour_bar_axes[row][0])
        bar.set_label(colorbar_label(name), fontsize=8)
        if trace_before is not None:
            change = row_values[1] - row_values[0]
            limit = max(float(np.abs(change).max()), 1e-6)
            ax = axes[row, -1]
            image = ax.imshow(change, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"{name}, after - before", fontsize=10, loc="left")
            ax.set_yticks(range(len(indices)), [str(unit) for unit in indices])
            bar = fig.colorbar(image, cax=colour_bar_axes[row][1])
            bar.set_label(f"change (largest {limit:.2g})", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel or "time step")
        if step_labels is not None:
            _set_step_ticks(ax, labels)
    fig.suptitle(title or f"{_trace_kind(trace)}: gates and states over time")
    return fig
