"""The staged search that benchmarks/choose_milk.py and choose_gru.py share (a helper, not a benchmark).

A stage varies a few settings together on top of the best configuration so far; every
combination is scored once (by the caller's `score`, which the caller may memoise with `key_of`),
and the lowest objective wins, except that within `tie` of it the cheapest configuration wins.
"""

import itertools
import json


def key_of(config):
    return json.dumps(config, sort_keys=True, default=list)


def run_stage(name, base, grid, score, objective, cost, tie, log):
    """Score every combination of `grid` (setting -> values) on top of `base`; return the best config.

    `score(config)` -> a result dict (the search remembers it); `objective(result)` -> the number the
    stage minimises; `cost(config, result)` -> a machine-independent cost for the tie rule.
    """
    print(f"stage {name}:", flush=True)
    rows = []
    for combo in itertools.product(*grid.values()):
        config = {**base, **dict(zip(grid, combo))}
        result = score(config)
        rows.append((config, result))
        log.append({"stage": name, "varied": dict(zip(grid, combo)), "config": config, **result})
    best_config, best_result = min(rows, key=lambda row: objective(row[1]))
    lowest = objective(best_result)
    for config, result in rows:  # within `tie` of the lowest, the cheapest wins
        if objective(result) <= lowest + tie and cost(config, result) < cost(best_config, best_result):
            best_config, best_result = config, result
    chosen = ", ".join(f"{setting}={best_config[setting]}" for setting in grid)
    print(f"  -> {name}: {chosen} (score {objective(best_result):.3f})\n", flush=True)
    return best_config
