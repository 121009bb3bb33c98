"""Printable tables: the three periods, and scores side by side."""


def describe_periods(periods, dates, words, training_use="weights are fitted here"):
    """The three periods as printable lines: first and last date, length, and what each is for.

    `dates` are the series' dates; `words` is a `utils.loading.step_words.StepWords` (it writes the dates
    and counts in the series' own steps: months, days, ...).
    """
    lines = []
    for name, first, last, use in (
        ("training", 0, periods.first_validation, training_use),
        ("validation", periods.first_validation, periods.first_test, "every choice is made here"),
        ("test", periods.first_test, periods.n_steps, "scored once, at the end"),
    ):
        span = f"{words.date(dates[first])} .. {words.date(dates[last - 1])}"
        lines.append(f"  {name:<11} {span}  ({words.count(last - first)}; {use})")
    return "\n".join(lines)


def results_table(scores, unit):
    """A plain-text table, one row per forecast, best RMSE first. `scores` maps name → score()."""
    name_width = max(len(name) for name in scores) + 2
    lines = [f"{'forecast':<{name_width}}{'RMSE':>10}{'MAE':>10}   ({unit})", "-" * (name_width + 20)]
    for name, s in sorted(scores.items(), key=lambda item: item[1]["rmse"]):
        lines.append(f"{name:<{name_width}}{s['rmse']:>10.3f}{s['mae']:>10.3f}")
    return "\n".join(lines)


def ranked_scores(scores, width=34):
    """One indented line per forecast, lowest score first: its name padded to `width`, then its score."""
    return "\n".join(f"  {name:<{width}}{score:10.3f}"
                     for name, score in sorted(scores.items(), key=lambda item: item[1]))
