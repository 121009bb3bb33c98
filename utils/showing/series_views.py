"""A series' first look, as printable lines (Step 1 of Cases 17-2 and 17-3)."""


def first_look(series, words, name, value_format):
    """How many values of `name`, from which date to which, one per what; then the first three and "...".

    `words` is the series' `utils.loading.step_words.StepWords`; `value_format` formats one value
    (e.g. "10.1f").
    """
    dates = series.index
    lines = [f"{len(series)} values of {name!r} from {words.date(dates[0])} to {words.date(dates[-1])}, "
             f"one per {words.step}"]
    lines += [f"  {words.date(date)}  {value:{value_format}}" for date, value in series.head(3).items()]
    return "\n".join(lines + ["  ..."])
