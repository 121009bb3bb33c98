"""utils.forecasting.tasks (Case 17-5's tasks): nothing before the test reads the test period."""

import numpy as np
import pandas as pd

from utils.forecasting.tasks import milk_task
from utils.plumbing.paths import data_file


def test_other_test_values_change_no_reference_choice_and_no_cells_choice(tmp_path):
    """The milk with every test value multiplied by 10: the same origins, the same references' validation
    scores and reference to beat, and a cell's run makes the same choices (target, epoch count, refit)
    with the same validation score; only its test forecasts differ."""
    shipped = pd.read_csv(data_file("monthly_milk_production.csv"))
    original = milk_task(epochs=2)
    changed = shipped.copy()
    changed.loc[original.first_test:, "Production"] *= 10
    changed.to_csv(tmp_path / "changed.csv", index=False)
    task = milk_task(csv=tmp_path / "changed.csv", epochs=2)
    assert task.first_test == original.first_test == len(shipped) - 32
    assert [o.origin for o in task.origins] == [o.origin for o in original.origins]
    assert task.baseline_validation_rmse == original.baseline_validation_rmse
    assert task.choices == original.choices
    runs = [t.run_cell("SimpleRNN", 42) for t in (original, task)]
    assert (runs[0].choice, runs[0].epochs, runs[0].refit) == (runs[1].choice, runs[1].epochs, runs[1].refit)
    assert runs[0].val_rmse == runs[1].val_rmse
    assert runs[0].forecasts[0] == runs[1].forecasts[0]  # the first test month reads no test value
    assert not np.allclose(runs[0].forecasts, runs[1].forecasts)  # later ones read the changed months


def test_training_windows_are_the_first_origins_training_samples():
    """The windows a plain network trains on at the first origin: one per measured step before it."""
    from utils.forecasting.tasks import temperature_task

    milk, temperatures = milk_task(), temperature_task()
    X, y = milk.training_windows()  # target seasonal: defined from month 12, then a 24-month window
    assert X.shape == (milk.origins[0].origin - 12 - 24, 24, 1) and len(y) == len(X)
    X, y = temperatures.training_windows()  # target raw: one per day after the first window, filled ones out
    origin, window = temperatures.origins[0].origin, temperatures.settings["window"]
    filled = np.sum((temperatures.unscored_steps >= window) & (temperatures.unscored_steps < origin))
    assert X.shape == (origin - window - filled, window, 3) and len(y) == len(X)
    assert np.abs(y).max() <= 1 + 1e-9  # scaled to -1..1 on the steps before the origin
