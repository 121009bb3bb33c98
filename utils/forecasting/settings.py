"""Each forecasting task's settings, in one place: the case scripts' flag defaults, Case 17-5,
the offline searches in benchmarks/ and the benchmark all read them from here.

The values were chosen on the validation period only (benchmarks/choose_milk.py for the milk,
benchmarks/choose_gru.py for the temperatures); docs/CASES.md shows how.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSettings:
    """What one forecasting case needs to know before it sees the data."""

    csv: str  # a file in data/
    date_col: str
    value_col: str
    unit: str  # the shipped data's unit (a student's CSV uses its column name)
    target: str  # what the network predicts (utils/forecasting/transforms.py)
    window: int  # time steps per sample
    units: int  # size of the recurrent layer
    learning_rate: float
    batch_size: int
    max_epochs: int  # epochs the plain network trains at each forecast origin (the origins choose the count)
    feature_range: tuple = (-1, 1)  # what the scalers map the training period's values to


MILK = TaskSettings(
    csv="monthly_milk_production.csv", date_col="Date", value_col="Production", unit="pounds per cow",
    target="seasonal", window=24, units=16, learning_rate=1e-2, batch_size=16, max_epochs=10,
)

# Case 17-3's network settings: chosen by benchmarks/choose_gru.py (seeds 42 and 1) on the shipped
# temperatures' rolling origins only, with the case's protocol and its compiled epochs (docs/CASES.md
# shows the search). Window 30 was left out of the search: with it the case's fit took 12.2 s, over
# its 10 s budget.
TEMPERATURE = TaskSettings(
    csv="daily_min_temperatures.csv", date_col="Date", value_col="Temp", unit="°C",
    target="raw", window=7, units=32, learning_rate=1e-2, batch_size=64, max_epochs=10,
)
