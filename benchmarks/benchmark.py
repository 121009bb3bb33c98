"""Benchmark: run every case, check the targets, and write docs/RESULTS.md from the measurements.

    python benchmarks/benchmark.py --seeds 42 1 2   # every case, 3 seeds: rewrites docs/RESULTS.md
    python benchmarks/benchmark.py lstm gru         # some cases (prints; RESULTS.md is left alone)
    python benchmarks/benchmark.py --extras all     # also the slow choose_*.py scripts
    python benchmarks/benchmark.py --no-extras      # only the cases
    python benchmarks/benchmark.py --suite          # also time `python -m pytest -q` (150 s on 2 cores)
    python benchmarks/benchmark.py --suite-only     # only time the test suite (prints)
    python benchmarks/benchmark.py --render-only    # rewrite docs/RESULTS.md from the last run's data

Each case run is a fresh `python week17/<case>.py --no-show --output-dir ...` process, so "whole
run s" includes starting Python and importing TensorFlow, as a student would see it; "fit s" is
what the script measured around `model.fit`. Run outputs go to benchmarks/results/ (not
committed). A case whose script does not exist yet is skipped.

The extra scripts in benchmarks/ (speed_regimes.py, bench_loading.py, course_recipe.py,
choose_*.py, ...) run as they are and their markdown goes into RESULTS.md under their own
headings; memory_seeds.py's tables are built from this benchmark's own Case 17-4 runs.

Three parts: benchmarks/run_cases.py runs things, benchmarks/targets.py judges the targets over
the cases' metrics.json keys, and benchmarks/render_results.py writes docs/RESULTS.md, a pure
function of the measured data, with the words of benchmarks/RESULTS.template.md; every number in it
comes from the run. It is rewritten only by a full run (no case names given) or by --render-only.
"""

import argparse
import importlib.util
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.render_results import case_table, render_results
from benchmarks.run_cases import (
    CASES,
    DOCS,
    JAX_CASES,
    RESULTS,
    copy_plots,
    machine_line,
    present_extras,
    run_case,
    run_extra,
    run_suite,
)
from benchmarks.targets import SUITE_COMMAND, judge, judge_suite


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*",
                        help=f"cases to run (default: every one whose script exists): {', '.join(CASES)}")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--extras", nargs="+", default=[], metavar="NAME",
                        help="extra scripts from benchmarks/ to run: names, 'all' (with the slow choose_*), "
                             "or 'none' (default: every one present except choose_*, on a full run only)")
    parser.add_argument("--no-extras", action="store_true", help="run no extra script")
    parser.add_argument("--jax", action="store_true",
                        help="also run Cases 17-1 to 17-3 on the JAX backend when it is installed "
                             "(always on a full run)")
    parser.add_argument("--suite", action="store_true",
                        help=f"also time the test suite (`{SUITE_COMMAND}`, one fresh process) and judge it")
    parser.add_argument("--suite-only", action="store_true",
                        help="time the test suite and run nothing else (prints; writes only with --results)")
    parser.add_argument("--suite-timeout", type=float, default=600, metavar="SECONDS",
                        help="stop the suite after this long; it then fails its targets "
                             "(default: %(default)g)")
    parser.add_argument("--results", default=None,
                        help="write the markdown here (a full run writes docs/RESULTS.md; "
                             "a run of some cases writes only with this flag)")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the markdown from benchmarks/results/results.json "
                             "(the last measured run) without running anything")
    return parser, parser.parse_args()


def render_only(parser, args):
    """Rewrite the markdown from the last measured run's data; nothing is run."""
    saved = RESULTS / "results.json"
    if not saved.is_file():
        shown = saved.relative_to(REPO_ROOT) if saved.is_relative_to(REPO_ROOT) else saved
        parser.error(f"no {shown}: run the benchmark once before --render-only")
    results = json.loads(saved.read_text(encoding="utf-8"))
    if not (args.results or results.get("full_run")):
        parser.error("the last run measured only some cases: give --results PATH "
                     "(docs/RESULTS.md comes from a full run)")
    target = args.results or str(DOCS / "RESULTS.md")
    Path(target).write_text(render_results(results), encoding="utf-8")
    raise SystemExit(f"written: {target} (from benchmarks/results/results.json)")


def chosen_cases(parser, args):
    """The cases to run, in CASES's order when none are named; a case whose script is missing is skipped."""
    if args.suite_only:
        if args.cases:
            parser.error("--suite-only runs no case: give either case names or --suite-only")
        return []
    present = [n for n, (script, _, _) in CASES.items() if (REPO_ROOT / "week17" / script).is_file()]
    names = args.cases or present
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    missing = [n for n in names if not (REPO_ROOT / "week17" / CASES[n][0]).is_file()]
    if missing:
        print(f"skipped (script not found): {', '.join(missing)}")
        names = [n for n in names if n not in missing]
    return names


def run_jax(cases, seeds):
    """Cases 17-1 to 17-3 on the JAX backend ({} when JAX is not installed)."""
    jax = {}
    if importlib.util.find_spec("jax") is None:
        print("JAX is not installed: no JAX comparison (pip install jax to add it)")
        return jax
    for name in [n for n in JAX_CASES if n in cases]:
        print(f"{name} on JAX:", flush=True)
        try:
            jax[name] = run_case(name, seeds[0], seeds, backend="jax")
        except SystemExit as failure:  # a backend problem must not cost the TensorFlow results
            print(f"skipped {name} on JAX: {failure}")
    return jax


def main():
    parser, args = parse_args()
    if args.render_only:
        render_only(parser, args)
    full_run = not args.cases and not args.suite_only
    names = chosen_cases(parser, args)

    machine = machine_line()
    print(f"Machine: {machine}\nSeeds: {args.seeds}\n")
    cases = {}
    for name in names:
        script, flags, mode = CASES[name]
        seeds = args.seeds if mode == "each" else args.seeds[:1]
        print(f"{name}:", flush=True)
        runs = [run_case(name, seed, args.seeds) for seed in seeds]
        cases[name] = {"script": script, "flags": flags, "runs": runs, "targets": judge(name, runs)}
        print(case_table(name, cases[name]) + "\n", flush=True)

    jax = run_jax(cases, args.seeds) if full_run or args.jax else None

    extras = {}
    if not args.no_extras and (full_run or args.extras):
        for path, flags in present_extras(args.extras):
            flags = [f for flag in flags for f in (map(str, args.seeds) if flag == "{seeds}" else [flag])]
            extras[path.stem] = run_extra(path, flags)
            print(f"### {extras[path.stem]['title']}\n\n{extras[path.stem]['markdown']}\n", flush=True)

    suite = None
    if args.suite or args.suite_only:
        print("test suite:", flush=True)
        suite = run_suite(SUITE_COMMAND, timeout=args.suite_timeout)
        suite["targets"] = judge_suite(suite)
        print(f"  {suite['seconds']:.1f} s on {suite['cores']} cores, exit code {suite['returncode']}: "
              f"{suite['last_line']}", flush=True)
        for label, verdict, _ in suite["targets"]:
            print(f"  target: {label}: {verdict}")

    command = "python benchmarks/benchmark.py"
    if args.seeds != [42]:
        command += f" --seeds {' '.join(map(str, args.seeds))}"
    command += " --suite-only" if args.suite_only else (" --suite" if args.suite else "")
    target = args.results or (str(DOCS / "RESULTS.md") if full_run else None)
    if target:
        into_docs = Path(target).resolve() == (DOCS / "RESULTS.md").resolve()
        results = {"machine": machine, "seeds": args.seeds, "command": command, "full_run": full_run,
                   "cases": cases, "extras": extras, "jax": jax, "suite": suite,
                   "plots": copy_plots(cases) if into_docs else []}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        Path(target).write_text(render_results(results), encoding="utf-8")
        print(f"written: {target}")
    missed = [(n, d) for n in cases for d, v, req in cases[n]["targets"] if req and v != "PASS"]
    missed += [("suite", d) for d, v, req in (suite or {}).get("targets", []) if req and v != "PASS"]
    print("All required targets met." if not missed else f"Required targets missed: {missed}")


if __name__ == "__main__":
    main()
