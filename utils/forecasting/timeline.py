"""The three periods of a series, in time order: training, validation and test.

Each period is a run of time steps (not of windows):
  training    [0, first_validation)            the network's weights are fitted here;
  validation  [first_validation, first_test)   every choice is made here (target, epochs, ...);
  test        [first_test, n)                  scored once, at the end.
The test period is fixed by the data (`fixed_test_size`), never by the window: a window of
6 or 24 steps forecasts exactly the same test steps.
"""

from typing import NamedTuple

import numpy as np

from utils.plumbing.errors import BadInputError


def test_size(n, test_fraction=0.2):
    """How many of `n` items form the test set: the course's `train = int(n * 0.8)`, the rest is test."""
    return n - int(n * (1 - test_fraction))


def fixed_test_size(n_steps, test_fraction=0.2, course_window=0):
    """How many of the last steps of a series of `n_steps` form the test period, whatever --window is.

    The course cut its windows first and tested on the last 20 % of them, so its test period
    depended on its window. We keep the course's test period for the course's window
    (`course_window`: 12 for the milk, 32 of 168 months; 0 for the temperatures, 731 of 3652
    days) and then hold it fixed for every window.
    """
    return test_size(n_steps - course_window, test_fraction)


def validation_size(n_before_test, season=None, fraction=0.2):
    """How many steps just before the test period form the validation period.

    About `fraction` of the steps before the test period, rounded down to whole seasons when
    at least one fits (so every month, or day of the year, counts equally), and at least 1.
    The milk: 136 months before the test, 20 % is 27, so 2 seasons = 24 months.
    """
    n = int(n_before_test * fraction)
    if season and n >= season:
        n -= n % season
    return max(n, 1)


class Periods(NamedTuple):
    """Three periods in time order, as time-step indices (see the module docstring)."""

    n_steps: int
    first_validation: int
    first_test: int

    @property
    def n_train(self):
        return self.first_validation

    @property
    def n_validation(self):
        return self.first_test - self.first_validation

    @property
    def n_test(self):
        return self.n_steps - self.first_test

    def before_test(self):
        """Boolean mask of the steps of training + validation (what a final refit may use)."""
        return np.arange(self.n_steps) < self.first_test

    def training(self):
        """Boolean mask of the training steps (what scalers and weights are fitted on)."""
        return np.arange(self.n_steps) < self.first_validation


def three_periods(n_steps, n_test, n_validation):
    """`Periods` with the last `n_test` steps as test, the `n_validation` steps before them as validation."""
    if n_test < 1 or n_validation < 1 or n_test + n_validation >= n_steps:
        raise BadInputError(
            f"the series has {n_steps} points, too few for a training, a validation ({n_validation}) "
            f"and a test period ({n_test} steps); use a longer series"
        )
    return Periods(n_steps, n_steps - n_test - n_validation, n_steps - n_test)
