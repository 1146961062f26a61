"""Acting on a validation plateau: stop (`--early-stop N`), or begin the final decay early (`--plateau-decay N`).

Long runs on a small corpus start to overfit before the budget is spent. best.keras already keeps the best
weights; early stop ends the run there, and the plateau decay instead anneals from there (the wsd schedule's
decay is where much of a run's gain comes from) and ends the run when the decay ends. The counts start afresh
when a run is resumed.
"""
from __future__ import annotations

import math

import keras


class Plateau:
    """Epoch-end evaluations since the best validation loss."""

    def __init__(self, patience: int):
        self.patience, self.best, self.waited = patience, math.inf, 0

    def stalled(self, val_loss: float | None) -> bool:
        if val_loss is None or not math.isfinite(val_loss):
            return False
        if val_loss < self.best:
            self.best, self.waited = val_loss, 0
            return False
        self.waited += 1
        return self.waited >= self.patience


class EarlyStop(keras.callbacks.Callback):
    """Runs after the TrainingCallback (which scores the epoch and saves best.keras)."""

    def __init__(self, state, patience: int):
        super().__init__()
        self.state, self.plateau = state, Plateau(patience)

    def on_epoch_end(self, epoch, logs=None):
        if self.state.reason is None and self.plateau.stalled(self.state.val_loss):
            self.state.reason = "early_stop"
            self.model.stop_training = True


class PlateauDecay(keras.callbacks.Callback):
    """Starts the schedule's decay when validation stalls at the peak rate; stops when the decay is over."""

    def __init__(self, state, schedule, patience: int):
        super().__init__()
        self.state, self.schedule, self.plateau = state, schedule, Plateau(patience)

    def on_epoch_end(self, epoch, logs=None):
        if self.state.reason is None and self.plateau.stalled(self.state.val_loss):
            self.schedule.start_decay(self.state.global_step)

    def on_train_batch_end(self, batch, logs=None):
        if (self.schedule.decaying_early and self.state.reason is None
                and self.state.global_step >= self.schedule.planned_steps):
            self.state.reason = "plateau"
            self.model.stop_training = True


def plateau_callbacks(config, state, schedule, *, multiworker: bool) -> list:
    """The callbacks a run's --early-stop and --plateau-decay ask for (after the TrainingCallback).

    No plateau decay across workers: their schedules must agree step for step, and it reads each one's own state."""
    callbacks = [EarlyStop(state, config.early_stop)] if config.early_stop else []
    if config.plateau_decay and not multiworker:
        callbacks.append(PlateauDecay(state, schedule, config.plateau_decay))
    return callbacks
