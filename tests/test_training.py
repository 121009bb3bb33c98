"""utils/forecasting/training.py: what a fit reports."""

from utils.forecasting.training import FitResult


def test_a_best_epoch_at_the_cap_is_warned_about():
    at_cap = FitResult(history=None, seconds=1.0, epochs_run=60, best_epoch=60, max_epochs=60).summary()
    inside = FitResult(history=None, seconds=1.0, epochs_run=20, best_epoch=17, max_epochs=60).summary()
    assert "epoch 60, whose weights are kept" in at_cap and "the last allowed (--epochs 60)" in at_cap
    assert "Warning" not in inside and inside.endswith("epoch 17, whose weights are kept")
