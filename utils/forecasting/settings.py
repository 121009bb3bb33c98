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
    max_epochs: int  # an upper limit: early stopping on validation ends training sooner
    patience: int  # epochs without a better validation loss before training stops
    feature_range: tuple = (-1, 1)  # what the scalers map the training period's values to


MILK = TaskSettings(
    csv="monthly_milk_production.csv", date_col="Date", value_col="Production", unit="pounds per cow",
    target="seasonal", window=24, units=16, learning_rate=1e-2, batch_size=16, max_epochs=40, patience=10,
)

TEMPERATURE = TaskSettings(
    csv="daily_min_temperatures.csv", date_col="Date", value_col="Temp", unit="°C",
    target="raw", window=7, units=64, learning_rate=3e-3, batch_size=128, max_epochs=60, patience=3,
)
