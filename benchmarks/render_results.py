"""docs/RESULTS.md from the measured data: the numbers come from the results, the words from a template.

`render_results(results)` is a pure function of the data benchmarks/benchmark.py measured (the
same data it keeps in benchmarks/results/results.json), so every number on the page comes from the
run. The prose lives in benchmarks/RESULTS.template.md as named blocks with `{placeholders}`; this
module decides which blocks a run's data calls for, fills them and builds the tables.
"""

import re
import statistics
from pathlib import Path

TEMPLATE = Path(__file__).resolve().with_name("RESULTS.template.md")
BLOCK_LINE = re.compile(r"^<!-- block: ([\w-]+) -->$")


class Prose:
    """The template's blocks by name; `lines(name, **values)` fills one in."""

    def __init__(self, path=TEMPLATE):
        self.path = Path(path)
        blocks, name = {}, None
        for line in self.path.read_text(encoding="utf-8").splitlines():
            marker = BLOCK_LINE.match(line)
            if marker:
                name = marker.group(1)
                if name in blocks:
                    raise ValueError(f"{self.path}: block {name!r} appears twice")
                blocks[name] = []
            elif name is not None:  # the text above the first block describes the file
                blocks[name].append(line)
        self.blocks = {name: "\n".join(lines).strip("\n") for name, lines in blocks.items()}

    def text(self, block, /, **values):
        """The block named `block` with its placeholders filled in from `values`."""
        if block not in self.blocks:
            raise KeyError(f"{self.path} has no block {block!r}")
        return self.blocks[block].format_map(values)

    def lines(self, block, /, **values):
        """The filled-in block as a list of lines."""
        return self.text(block, **values).split("\n")


# ----- numbers as text ----------------------------------------------------------------------------

def mean_sd(values, digits=3):
    """'m ± sd' over several values, or the single value; '–' when there is none."""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def fmt_g(value, digits=2):
    """A number in short form; '–' for None; a dict as 'key value, ...'.

    metrics.json rounds floats to 6 decimals (utils.forecasting.metrics.write_metrics), so a stored 0.0
    only says the value is below 5e-07 in size: it is written that way.
    """
    if value is None:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{key} {fmt_g(item, digits)}" for key, item in value.items())
    if value == 0:
        return "< 5e-07"
    return f"{value:.{digits}g}"


# ----- the summary and each case's table ----------------------------------------------------------

def headline(m):
    """The scores worth a row: {column: value} (model first, then the baselines)."""
    if "model_rmse" in m:
        row = {"model RMSE": m["model_rmse"], "model MAE": m.get("model_mae")}
        row.update({f"{b} RMSE": s["rmse"] for b, s in m.get("baselines", {}).items() if "rmse" in s})
        # Case 17-2: every candidate's test score beside the pick's; the verdict's p-value
        row.update({f"{name} RMSE": c["test_rmse"] for name, c in m.get("candidates", {}).items()
                    if c.get("test_rmse") is not None and name != m.get("pick")})
        if "dm_p_value" in m.get("reference", {}):
            row["Diebold-Mariano p vs the reference"] = m["reference"]["dm_p_value"]
        return row
    if "model_bits_per_char" in m:
        row = {"model bits/char": m["model_bits_per_char"]}
        if "pick_bits_per_char" in m:  # Case 17-1: what validation picked (the SimpleRNN or the mixture)
            row["pick bits/char"] = m["pick_bits_per_char"]
        row.update({f"{b} bits/char": s["bits_per_char"] for b, s in m.get("baselines", {}).items()
                    if "bits_per_char" in s})
        return row
    return {}


def baselines_text(runs, score):
    """'name m ± sd, ...' for every baseline of the runs, best (lowest mean) first."""
    names = [b for b, v in runs[0]["metrics"].get("baselines", {}).items()
             if isinstance(v, dict) and score in v]
    values = {b: [r["metrics"]["baselines"].get(b, {}).get(score) for r in runs] for b in names}
    names.sort(key=lambda b: statistics.mean(v for v in values[b] if v is not None))
    return ", ".join(f"{b.replace('_', ' ')} {mean_sd(values[b])}" for b in names)


def summary_row(name, case):
    """One line of the summary table: case, fit s, whole run s, model score, baselines."""
    runs = case["runs"]
    m = runs[0]["metrics"]
    fit = mean_sd([r["metrics"].get("fit_seconds") for r in runs], 1)
    whole = mean_sd([r["seconds"] for r in runs], 1)
    if "model_rmse" in m:
        unit = m.get("unit", "")
        model = (f"**{mean_sd([r['metrics']['model_rmse'] for r in runs])}** RMSE {unit} "
                 f"(MAE {mean_sd([r['metrics'].get('model_mae') for r in runs], 2)})")
        base = baselines_text(runs, "rmse")
    elif "model_bits_per_char" in m:
        model = f"**{mean_sd([r['metrics']['model_bits_per_char'] for r in runs])}** bits/char"
        if "pick_bits_per_char" in m:
            model += f" (pick: {mean_sd([r['metrics'].get('pick_bits_per_char') for r in runs])})"
        base = baselines_text(runs, "bits_per_char")
    else:
        model, base = "see below", ""
    case_name = f"{name} ({case['script'].split('-TF-')[0]})"
    return f"| {case_name} | {len(runs)} | {fit} | {whole} | {model} | {base} |"


def case_table(name, case, prose=None):
    """The full table of one case: every headline score (mean ± sd over its runs) and its targets."""
    prose = prose or Prose()
    runs = case["runs"]
    flags = " ".join(case.get("flags", []))
    lines = prose.lines("case", name=name, command=case["script"] + (f" {flags}" if flags else ""),
                        seeds=", ".join(str(r["seed"]) for r in runs))
    fits = [r["metrics"].get("fit_seconds") for r in runs]
    if any(f is not None for f in fits):
        lines.append(f"| fit seconds | {mean_sd(fits)} |")
    lines.append(f"| whole run seconds (with import) | {mean_sd([r['seconds'] for r in runs])} |")
    for column in headline(runs[0]["metrics"]):
        values = [headline(r["metrics"]).get(column) for r in runs]
        lines.append(f"| {column.replace('_', ' ')} | {mean_sd(values)} |")
    for description, verdict, _ in case.get("targets", []):
        lines.append(f"| target: {description} | {verdict} |")
    return "\n".join(lines)


# ----- the lecture's claims -----------------------------------------------------------------------

def claims_vanishing(cases, prose):
    """Claim 1: gradients vanish. Case 17-4's input-gradient ratios; Case 17-6's Jacobian products."""
    lines = []
    runs = cases.get("gradients", {}).get("runs", [])
    if runs and "gradient_norms" in runs[0]["metrics"]:
        m0 = runs[0]["metrics"]
        lines += prose.lines("vanishing-input-gradients", timesteps=m0.get("timesteps"))
        for variant in m0["gradient_norms"]:
            cells = []
            for stage in ("fresh", "trained"):
                values = [r["metrics"]["gradient_norms"].get(variant, {}).get(stage, {})
                          .get("log10_ratio_first_last") for r in runs]
                measured = any(v is not None for v in values)
                cells.append(" / ".join(fmt_g(v, 3) for v in values) if measured else "–")
            lines.append(f"| {variant} | {cells[0]} | {cells[1]} |")
        lines += ["", *prose.lines("vanishing-two-quantities"), ""]
    bptt = cases.get("bptt", {}).get("runs", [])
    if bptt and "simple_rnn_jacobian_norms" in bptt[0]["metrics"]:
        m = bptt[0]["metrics"]
        norms = m["simple_rnn_jacobian_norms"]
        labels = list(norms)
        ks = list(norms[labels[0]])
        columns = [prose.text("vanishing-jacobians-column", label=label, scale=fmt_g(m.get(label + "_scale")))
                   if label + "_scale" in m else label for label in labels]
        lines += [*prose.lines("vanishing-jacobians", seed=bptt[0]["seed"], units=m.get("units")), "",
                  "| k | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(labels)]
        for k in ks:
            lines.append(f"| {k} | " + " | ".join(fmt_g(norms[label].get(k)) for label in labels) + " |")
        lstm = m.get("lstm", {})
        if "forget_gate_product" in lstm:
            lines += ["", *prose.lines("vanishing-lstm-gates")]
            for k in lstm["forget_gate_product"]:
                lines.append(f"| {k} | {fmt_g(lstm['forget_gate_product'].get(k))} | "
                             f"{fmt_g(lstm.get('dcT_dc_norm', {}).get(k))} | "
                             f"{fmt_g(lstm.get('dhT_dh_norm', {}).get(k))} |")
            diffs = [m.get("simple_rnn_tape_max_abs_difference"), lstm.get("tape_max_abs_difference")]
            if any(d is not None for d in diffs):
                lines += ["", *prose.lines("vanishing-against-tape", simple_rnn=fmt_g(diffs[0]),
                                           lstm=fmt_g(diffs[1]))]
        lines.append("")
    return lines


def claims_memory(cases, prose):
    """Claim 2: long-term memory, from the benchmark's own Case 17-4 runs (memory_seeds.tables)."""
    runs = cases.get("gradients", {}).get("runs", [])
    if not runs or "adding_test_mse" not in runs[0]["metrics"]:
        return []
    try:
        from benchmarks import memory_seeds
    except ImportError:
        return []
    try:
        text = memory_seeds.tables({r["seed"]: r["metrics"] for r in runs},
                                   {r["seed"]: r["seconds"] for r in runs})
    except (KeyError, TypeError):
        return []
    m = runs[0]["metrics"]
    return [text, "", *prose.lines("memory-limits", epochs=m["epochs"], samples=m["samples"]), ""]


def claims_exploding(cases, prose):
    """Claim 3: gradients explode, clipping tames them (Case 17-4, step 7)."""
    runs = [r for r in cases.get("gradients", {}).get("runs", []) if "exploding" in r["metrics"]]
    if not runs:
        return []
    e = runs[0]["metrics"]["exploding"]
    lines = prose.lines("exploding", gain=fmt_g(e.get("recurrent_gain")),
                        learning_rate=fmt_g(e.get("learning_rate")), timesteps=e.get("timesteps"),
                        clipnorm=fmt_g(e.get("clipnorm")))
    for r in runs:
        e = r["metrics"]["exploding"]
        grads = {k: v for k, v in e.get("start_gradient_norms", {}).items() if "recurrent" in k}
        clipped = e.get("losses_with_clipnorm") or []
        lines.append(f"| {r['seed']} | {', '.join(fmt_g(v) for v in grads.values()) or '–'} | "
                     f"{e.get('first_nan_epoch_without_clipping') or 'none'} | "
                     f"{fmt_g(clipped[0] if clipped else None, 3)} → "
                     f"{fmt_g(clipped[-1] if clipped else None, 3)} |")
    return lines + ["", *prose.lines("exploding-clipnorm"), ""]


def claims_compare(cases, extras, prose):
    """Claim 4: LSTM against GRU (Case 17-5's own table, as it wrote it), and the speed in two regimes."""
    lines = []
    runs = cases.get("compare", {}).get("runs", [])
    if runs and "comparison.md" in runs[0].get("files", {}):
        seeds = runs[0]["metrics"].get("seeds", [])
        lines += [*prose.lines("compare", seeds=", ".join(map(str, seeds))), "",
                  runs[0]["files"]["comparison.md"].strip(), ""]
    speed = (extras or {}).get("speed_regimes")
    if speed:
        lines += [*prose.lines("compare-speed"), "", speed["markdown"], ""]
    return lines


def safely(prose, section, *args):
    """A claims section's lines; if the metrics do not have the shape it reads, one line saying so."""
    try:
        return section(*args, prose)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        error = f"{type(err).__name__} {err}"
        return [*prose.lines("not-rendered", section=section.__name__, error=error), ""]


# ----- the other sections -------------------------------------------------------------------------

def jax_section(results, prose):
    """The optional JAX comparison: the first seed on TensorFlow against the same seed on JAX."""
    jax = results.get("jax")
    if jax is None:
        return []
    lines = [*prose.lines("jax"), ""]
    if not jax:
        return lines + [*prose.lines("jax-not-installed"), ""]
    lines += prose.lines("jax-table", seed=results["seeds"][0])
    for name, run in jax.items():
        tf_run = results["cases"][name]["runs"][0]
        score = "model_rmse" if "model_rmse" in run["metrics"] else "model_bits_per_char"
        lines.append(f"| {name} | {mean_sd([tf_run['metrics'].get('fit_seconds')], 1)} | "
                     f"{mean_sd([run['metrics'].get('fit_seconds')], 1)} | "
                     f"{tf_run['seconds']:.1f} | {run['seconds']:.1f} | "
                     f"{mean_sd([tf_run['metrics'].get(score)])} | {mean_sd([run['metrics'].get(score)])} |")
    return lines + ["", *prose.lines("jax-differences"), ""]


def suite_section(suite, prose):
    """The test suite's timing (`--suite`): the command, the cores, the seconds and pytest's last line."""
    if not suite:
        return []
    values = {"command": suite["command"], "cores": suite["cores"], "seconds": suite["seconds"]}
    if suite.get("timed_out"):
        return [*prose.lines("suite"), "", *prose.lines("suite-stopped", **values), ""]
    finished = prose.lines("suite-finished", **values, returncode=suite["returncode"],
                           last_line=suite.get("last_line") or "–")
    return [*prose.lines("suite"), "", *finished, ""]


def render_results(results, template=TEMPLATE):
    """The markdown of docs/RESULTS.md from the measured data and the template's prose.

    `results` = {"machine": str, "seeds": [int], "command": str,
                 "cases": {name: {"script", "flags", "targets",
                                  "runs": [{"seed", "metrics", "seconds", "files"}]}},
                 "extras": {name: {"title", "markdown", "seconds", "ok"}},
                 "jax": None | {name: run},
                 "suite": None | {"command", "cores", "seconds", "returncode", "timed_out", "last_line",
                                  "targets"},
                 "plots": [(file in docs/, caption)]}
    Every number in the text comes from `results`.
    """
    prose = Prose(template)
    cases, extras = results["cases"], results.get("extras", {})
    out = [*prose.lines("header", command=results["command"], machine=results["machine"],
                        seeds=", ".join(map(str, results["seeds"]))), ""]

    if cases:
        out += prose.lines("summary")
        out += [summary_row(n, cases[n]) for n in cases if cases[n]["runs"]]
        out.append("")

    suite = results.get("suite")
    verdicts = [(n, d, v, req) for n in cases for d, v, req in cases[n].get("targets", [])]
    verdicts += [("suite", d, v, req) for d, v, req in (suite or {}).get("targets", [])]
    if verdicts:
        missed = [v for v in verdicts if v[3] and v[2] != "PASS"]
        if missed:
            required = prose.text("targets-missed", missed=len(missed))
        else:
            required = prose.text("targets-all-met")
        out += prose.lines("targets", required=required)
        out += [f"| {n} | {d.removeprefix('goal: ')} | {'required' if req else 'goal'} | {v} |"
                for n, d, v, req in verdicts]
        out.append("")

    out += suite_section(suite, prose)

    sections = [
        ("claim-1-title", safely(prose, claims_vanishing, cases)),
        ("claim-2-title", safely(prose, claims_memory, cases)),
        ("claim-3-title", safely(prose, claims_exploding, cases)),
        ("claim-4-title", safely(prose, claims_compare, cases, extras)),
    ]
    if any(body for _, body in sections):
        out += [*prose.lines("claims"), ""]
        for title, body in sections:
            if body:
                out += [*prose.lines(title), "", *body]

    # the speed regimes sit under claim 4 whenever that section has anything to show
    further = {name: extra for name, extra in extras.items() if name != "speed_regimes" or not sections[3][1]}
    if further:
        out += [*prose.lines("further"), ""]
        for name, extra in further.items():
            out += [*prose.lines("further-extra", title=extra["title"], name=name, seconds=extra["seconds"]),
                    "", extra["markdown"], ""]

    out += jax_section(results, prose)

    if any(cases[n]["runs"] for n in cases):
        out += [*prose.lines("every-case"), ""]
        for n in cases:
            if cases[n]["runs"]:
                out += [case_table(n, cases[n], prose), ""]

    if results.get("plots"):
        out += [*prose.lines("plots"), ""]
        for path, caption in results["plots"]:
            out += [*prose.lines("plot", caption=caption, path=path), ""]
    return "\n".join(out).rstrip() + "\n"
