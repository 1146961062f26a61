"""Exact resume: the batch order a run keeps across restarts, and the fit() calls that continue it mid-epoch."""
from __future__ import annotations

import numpy as np

from ..config import TrainConfig
from ..data import DataSplits


def data_seed(train_config: TrainConfig, run, multiworker: bool) -> int | None:
    """What orders the batches; saved in the run (config.json) so an unseeded run resumes into the same sequence."""
    if train_config.seed is not None or multiworker:
        return train_config.seed
    saved = run.config.get("data_seed") if run is not None else None
    return saved if isinstance(saved, int) else int(np.random.default_rng().integers(2**31))


def fit_plan(splits: DataSplits, state, epochs: int) -> list[tuple]:
    """(dataset, initial_epoch, epochs, steps_per_epoch, batches already done in the first epoch) per fit() call.

    A run stopped mid-epoch finishes that epoch with only its remaining batches (the consumed ones skipped, the
    same offset and stream positions), then carries on with whole epochs: the batches and the step count are
    those of an uninterrupted run."""
    spe = splits.steps_per_epoch
    done = state.global_step - state.epochs_done * spe
    if not 0 <= done < spe:  # a run saved by an older chargen (which replayed epochs): start the epoch afresh
        done = 0
    position = state.epochs_done * spe + done
    plan, epoch = [], state.epochs_done
    if done:
        plan.append((splits.train_from(position), epoch, epoch + 1, spe - done, done))
        epoch, position = epoch + 1, position + spe - done
    if epoch < epochs:
        train = splits.train_from(position) if position else splits.train
        plan.append((train, epoch, epochs, spe, 0))
    return plan
