"""Optional early stop: end training when validation has not improved for N epoch-end evaluations.

Long runs on a small corpus can start to overfit before the budget is spent; best.keras already keeps the best
weights, and this stops spending time past that point. The count starts afresh when a run is resumed.
"""
from __future__ import annotations

import math

import keras


class EarlyStop(keras.callbacks.Callback):
    """Runs after the TrainingCallback (which scores the epoch and saves best.keras)."""

    def __init__(self, state, patience: int):
        super().__init__()
        self.state, self.patience = state, patience
        self.best = math.inf
        self.waited = 0

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        if state.reason is not None or state.val_loss is None or not math.isfinite(state.val_loss):
            return
        if state.val_loss < self.best:
            self.best, self.waited = state.val_loss, 0
            return
        self.waited += 1
        if self.waited >= self.patience:
            state.reason = "early_stop"
            self.model.stop_training = True
