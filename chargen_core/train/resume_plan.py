"""Exact resume: the batch order a run keeps across restarts, and the fit() calls that continue it mid-epoch."""
from __future__ import annotations

import math

import numpy as np

from ..config import TrainConfig
from ..data import DataSplits
from .schedule import FINISHED


def data_seed(train_config: TrainConfig, run, multiworker: bool) -> int | None:
    """What orders the batches; saved in the run (config.json) so an unseeded run resumes into the same sequence."""
    if train_config.seed is not None or multiworker:
        return train_config.seed
    saved = run.config.get("data_seed") if run is not None else None
    return saved if isinstance(saved, int) else int(np.random.default_rng().integers(2**31))


def fit_plan(splits: DataSplits, state, epochs: int, *, finish_trained: bool = False) -> list[tuple]:
    """(dataset, initial_epoch, epochs, steps_per_epoch, batches already done in the first epoch) per fit() call.

    A run stopped mid-epoch finishes that epoch with only its remaining batches (the consumed ones skipped, the
    same offset and stream positions), then carries on with whole epochs: the batches and the step count are
    those of an uninterrupted run. A run stopped after an epoch's last batch, before its validation, starts with
    (None, epoch, ...) when finish_trained (its checkpoint kept the epoch's training metrics): that epoch is only
    validated and ended (finish_trained_epoch), not trained again."""
    spe = splits.steps_per_epoch
    done = state.global_step - state.epochs_done * spe
    plan, epoch = [], state.epochs_done
    if done == spe and finish_trained:
        plan.append((None, epoch, epoch + 1, 0, spe))
        epoch, done = epoch + 1, 0
    elif not 0 <= done < spe:  # a run saved by an older chargen (which replayed epochs): start the epoch afresh
        done = 0
    position = epoch * spe + done
    if done:
        plan.append((splits.train_from(position), epoch, epoch + 1, spe - done, done))
        epoch, position = epoch + 1, position + spe - done
    if epoch < epochs:
        train = splits.train_from(position) if position else splits.train
        plan.append((train, epoch, epochs, spe, 0))
    return plan


def finish_trained_epoch(model, callbacks: list, val, epoch: int, saved: dict) -> None:
    """What fit() does after an epoch's last batch, for an epoch trained before a stop: validate it and end it
    (history row, checkpoint, preview) with the training metrics its checkpoint saved, as the uninterrupted run
    did. A stop during this validation ends the session with nothing written: the next resume comes back here."""
    import keras

    from .resume_state import restore

    hooks = keras.callbacks.CallbackList(callbacks, model=model)
    model.stop_training = False
    hooks.on_train_begin()
    model.reset_metrics()
    hooks.on_epoch_begin(epoch)  # EpochStart puts the saved state back
    val_logs = model.evaluate(val, verbose=0, return_dict=True, callbacks=hooks)
    restore(model, saved, within_epoch=True)  # evaluate() reset the epoch's training metrics
    logs = {**model.get_metrics_result(), **{f"val_{name}": value for name, value in val_logs.items()}}
    hooks.on_epoch_end(epoch, logs)
    hooks.on_train_end()


def end_status(run) -> str | None:
    """The run's status in state.json, except "completed" for a run that trained all the epochs it was asked for
    but was killed (or stopped) before it recorded that: it is finished, as the uninterrupted run would say."""
    status = run.state().get("status")
    if status in (*FINISHED, "early_stop", "nan"):
        return status
    return "completed" if run.progress().epochs_done >= run.train_config.epochs else status


def final_validation(model, val, state) -> bool:
    """After a budget stop mid-epoch, score the final weights (a user stop skips this to stay quick).

    Returns True when they beat the best so far, so best.keras follows the model the budget bought.
    """
    loss = float(model.evaluate(val, verbose=0, return_dict=True)["loss"])
    if not math.isfinite(loss):
        return False
    state.val_loss, state.val_bpc = loss, loss / math.log(2)
    if state.best_val_loss is None or loss < state.best_val_loss:
        state.best_val_loss = loss
        return True
    return False
