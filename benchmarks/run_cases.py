"""Running what the benchmark measures: the case scripts, the extra scripts and the test suite.

Each case run is a fresh `python week17/<case>.py --no-show --output-dir ...` process, so its
seconds include starting Python and importing TensorFlow, as a student would see them; "fit s" is
what the script itself measured around `model.fit`. Run outputs go to benchmarks/results/ (not
committed). Nothing here judges or writes docs/RESULTS.md: benchmarks/targets.py and
benchmarks/render_results.py do.
"""

import ast
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "benchmarks" / "results"
DOCS = REPO_ROOT / "docs"

# name: (script in week17/, extra flags, how it uses the seeds).
#   "each": one run per seed, reported as mean ± sd;  "first": one run with the first seed;
#   "inside": one run that repeats the seeds itself (--seeds ...).
CASES = {
    "rnn": ("Case17-1-TF-Recurrent-Neural-Networks-RNN.py", [], "each"),
    "lstm": ("Case17-2-TF-LongShortTerm-Memory-LSTM-RNN.py", [], "each"),
    "gru": ("Case17-3-TF-GatedRecurrentUnitNetworks.py", [], "each"),
    "gradients": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", [], "each"),
    "gradients-quick": ("Case17-4-TF-Vanishing-Exploding-Gradients.py", ["--quick"], "first"),
    "compare": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", [], "inside"),
    "compare-quick": ("Case17-5-TF-Compare-RNN-LSTM-GRU.py", ["--quick"], "inside"),
    "bptt": ("Case17-6-TF-Backpropagation-Through-Time.py", [], "first"),
}
# the cases that run on any Keras backend (17-4 and 17-6 use tf.GradientTape)
JAX_CASES = ("rnn", "lstm", "gru")

# Plots that belong with the numbers: (case, file in its output dir, name in docs/, caption).
# The benchmark copies them from the first seed's run into docs/.
PLOTS = [
    ("lstm", "forecast.png", "lstm_forecast.png",
     "Case 17-2: the test months, actual against the LSTM and the baselines"),
    ("lstm", "gates.png", "lstm_gates.png", "Case 17-2: the LSTM's gates on one test window"),
    ("gru", "forecast.png", "gru_forecast.png",
     "Case 17-3: test days, actual against the GRU and the baselines"),
    ("gradients", "gradient_norms.png", "gradient_norms.png", "Case 17-4: gradient norm per input step"),
    ("gradients", "memory.png", "memory.png", "Case 17-4: long-term memory against sequence length"),
    ("gradients", "exploding.png", "exploding.png", "Case 17-4: loss with and without clipping"),
    ("bptt", "jacobian_norms.png", "jacobian_norms.png",
     "Case 17-6: norm of the Jacobian product against the distance k"),
    ("compare", "comparison.png", "comparison.png", "Case 17-5: the three cells on both tasks"),
]

# Extra benchmark scripts (run when present): name -> flags. "{seeds}" becomes the seeds.
# choose_*.py scripts take minutes; they run only with --extras all (or by name).
EXTRAS = {
    "speed_regimes": [],
    "bench_loading": [],
    # median of 3 whole runs for the milk, as the speed target defines the ratio; one for the temperatures,
    # whose course recipe (2 x GRU(50) over 100-day windows) takes minutes a run
    "course_recipe": ["--temperature-repeats", "1"],
}
COVERED_BY_CASES = {"memory_seeds": "gradients"}  # rebuilt from the benchmark's own runs of that case
# benchmarks/*.py that are the benchmark itself, not extra scripts to run
BENCHMARK_MODULES = {"benchmark", "run_cases", "targets", "render_results", "staged_search", "__init__"}


def machine_line():
    """The machine the numbers come from: CPU, cores, OS, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from utils.plumbing.runtime import hide_tensorflow_startup_messages

    hide_tensorflow_startup_messages()
    import keras
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, "
        f"Keras {keras.__version__} ({keras.backend.backend()} backend), NumPy {numpy.__version__}"
    )


def headless_env():
    """The environment without a display: a benchmark never opens a window."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def case_command(name, seed, seeds, out_dir):
    """The command line of one run of case `name` writing into `out_dir`."""
    script, extra, mode = CASES[name]
    if mode == "inside":  # the case repeats the seeds itself; --quick chooses its own
        seed_flags = [] if "--quick" in extra else ["--seeds", *map(str, seeds)]
    else:
        seed_flags = ["--seed", str(seed)]
    return [sys.executable, str(REPO_ROOT / "week17" / script), "--no-show", *seed_flags,
            "--output-dir", str(out_dir), *extra]


def run_case(name, seed, seeds, backend=None):
    """Run one case once (on another Keras backend if given).

    Returns {"seed", "metrics", "seconds", "out_dir", "files"}: its metrics.json, the whole
    process's wall-clock seconds, and the text of every .md file it wrote.
    """
    mode = CASES[name][2]
    run_name = f"seeds{'-'.join(map(str, seeds))}" if mode == "inside" else f"seed{seed}"
    out_dir = RESULTS / (name + (f"-{backend}" if backend else "")) / run_name
    command = case_command(name, seed, seeds, out_dir)
    print(f"  {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    env = headless_env() | ({"KERAS_BACKEND": backend} if backend else {})
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{name} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(out_dir.glob("*.md"))}
    return {"seed": seed, "metrics": json.loads((out_dir / "metrics.json").read_text(encoding="utf-8")),
            "seconds": seconds, "out_dir": str(out_dir), "files": files}


def extra_title(path):
    """An extra script's heading: the first line of its docstring."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
    return doc.splitlines()[0].rstrip(".")


def run_extra(path, flags):
    """Run an extra benchmark script; return {"title", "markdown", "seconds", "ok"}.

    Its markdown is the `benchmarks/results/<name>.md` it (re)wrote, if any, else its printed output.
    """
    written = RESULTS / f"{path.stem}.md"
    before = written.stat().st_mtime if written.exists() else None
    print(f"  {path.name} {' '.join(flags)}", flush=True)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(path), *flags], capture_output=True, text=True,
                            env=headless_env(), cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    if written.exists() and written.stat().st_mtime != before:
        markdown = written.read_text(encoding="utf-8").strip()
    else:
        markdown = "```text\n" + result.stdout.strip() + "\n```"
    if result.returncode != 0:
        markdown += f"\n\n(exit code {result.returncode}: {result.stderr.strip().splitlines()[-1:] or ''})"
    return {"title": extra_title(path), "markdown": markdown, "seconds": seconds,
            "ok": result.returncode == 0}


def present_extras(chosen):
    """The extra scripts to run: [(path, flags)], in a stable order."""
    found = {p.stem: p for p in sorted((REPO_ROOT / "benchmarks").glob("*.py"))
             if p.stem not in BENCHMARK_MODULES}
    found = {n: p for n, p in found.items() if n not in COVERED_BY_CASES}
    if chosen == ["none"]:
        return []
    if chosen == ["all"]:
        names = list(found)
    elif chosen:
        unknown = [n for n in chosen if n not in found]
        if unknown:
            raise SystemExit(f"error: no benchmarks/{unknown[0]}.py; present: {', '.join(found)}")
        names = chosen
    else:
        # the searches and the probes take many minutes each: only when named
        names = [n for n in found if not n.startswith(("choose_", "probe_"))]
    return [(found[n], EXTRAS.get(n, [])) for n in names]


def copy_plots(cases):
    """Copy each plot of PLOTS from the first run of its case into docs/; return [(docs file, caption)]."""
    copied = []
    for case, source, target, caption in PLOTS:
        if case in cases and cases[case]["runs"]:
            path = Path(cases[case]["runs"][0]["out_dir"]) / source
            if path.is_file():
                shutil.copyfile(path, DOCS / target)
                copied.append((target, caption))
    return copied


def usable_cores():
    """The CPU cores this process may run on (the affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity mask
        return os.cpu_count()


def run_suite(command, timeout=None):
    """Time the test suite as the README runs it (`command`, e.g. "python -m pytest -q"): one fresh
    process from the repository root, `python` being this interpreter, as for the cases.

    Returns {"command", "cores", "seconds", "returncode", "timed_out", "last_line"}: the seconds are
    wall-clock time around the whole process, so they include starting Python and every import; the
    last line is pytest's summary ("N passed in ..."). A suite still running after `timeout` seconds
    is stopped (returncode None, timed_out True): on a busy machine the benchmark still ends.
    """
    words = shlex.split(command)
    argv = [sys.executable if words[0] == "python" else words[0], *words[1:]]
    print(f"  {command}", flush=True)
    started = time.perf_counter()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, env=headless_env(), cwd=REPO_ROOT,
                                timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the process
        return {"command": command, "cores": usable_cores(), "seconds": time.perf_counter() - started,
                "returncode": None, "timed_out": True, "last_line": f"stopped after {timeout:g} s"}
    seconds = time.perf_counter() - started
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return {"command": command, "cores": usable_cores(), "seconds": seconds, "returncode": result.returncode,
            "timed_out": False, "last_line": lines[-1] if lines else ""}
