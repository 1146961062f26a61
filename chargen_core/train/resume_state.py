"""What a checkpoint needs beside its .keras file to continue a run exactly, and putting it back on resume.

A .keras file holds the weights and the optimizer. Continuing an uninterrupted run's computation also needs: the
LSTM state carried from batch to batch (the streams go on where they were), the epoch's running training metrics
(its history row averages every batch of the epoch), and the positions of the dropout random generators (the
same masks). They are saved as arrays in a file beside each checkpoint (checkpoints.save_model) and restored at
the start of the first epoch a resume trains. One replica only: split across replicas, none of them is kept.
"""
from __future__ import annotations

import keras
import numpy as np

from ..runs import read_resume_state
from ..errors import one_line
from ..model import carry_layers

CARRY, METRIC, RANDOM = "carry", "metric", "random"


def unsaved_variables(model) -> list:
    """The model's variables a .keras file leaves out: the random generators' states (seed and position)."""
    saved = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in saved]


def metric_state(model) -> dict:
    """The running metrics (the epoch's loss and accuracy totals) as arrays, keyed by variable path."""
    return {f"{METRIC}/{v.path}": np.array(v.numpy()) for v in model.metrics_variables}


def capture(model, metrics: dict | None = None) -> dict:
    """Everything to save; metrics: a metric_state taken earlier (validation has since reset the live ones)."""
    arrays = {}
    for layer in carry_layers(model):
        if layer.carrying:
            arrays[f"{CARRY}/{layer.name}/h"], arrays[f"{CARRY}/{layer.name}/c"] = layer.carried_state()
    arrays.update(metric_state(model) if metrics is None else metrics)
    arrays.update({f"{RANDOM}/{i}": np.array(v.numpy()) for i, v in enumerate(unsaved_variables(model))})
    return arrays


def build_metrics(model) -> None:
    """A loaded model builds its compiled metrics only when fit() first traces a step, after the epoch began:
    build them now from one dummy prediction (then reset), so saved totals can be put back."""
    if all(getattr(m, "built", True) for m in model.metrics):
        return
    shape = [1 if d is None else d for d in model.output_shape]
    model.compute_metrics(None, np.zeros(shape[:-1], np.int32), np.zeros(shape, np.float32))
    model.reset_metrics()


def _expected(model, within_epoch: bool) -> dict:
    """{key: (shape, variable or None)} of what restore() puts back; carried layers must have start_carry'd."""
    wanted = {f"{RANDOM}/{i}": (tuple(v.shape), v) for i, v in enumerate(unsaved_variables(model))}
    if within_epoch:
        for layer in carry_layers(model):
            if layer.carrying:
                h, _ = layer.carried_state()
                wanted[f"{CARRY}/{layer.name}/h"] = wanted[f"{CARRY}/{layer.name}/c"] = (h.shape, None)
        build_metrics(model)
        wanted.update({f"{METRIC}/{v.path}": (tuple(v.shape), v) for v in model.metrics_variables})
    return wanted


def mismatch(model, arrays: dict, *, within_epoch: bool) -> str | None:
    """Why arrays cannot be restored into model (another model's or version's), or None when they can."""
    for key, (shape, _) in _expected(model, within_epoch).items():
        if key not in arrays:
            return f"it holds no {key}"
        if tuple(arrays[key].shape) != tuple(shape):
            return f"its {key} has shape {tuple(arrays[key].shape)}, the model's {tuple(shape)}"
    return None


def saved_state(model, checkpoint, manifest, *, within_epoch: bool) -> tuple[dict | None, str | None]:
    """(arrays, None) when the state saved beside checkpoint can go back into model, else (None, why not)."""
    try:
        arrays = read_resume_state(checkpoint, manifest)
    except (OSError, ValueError) as exc:
        return None, f"its resume state cannot be read: {one_line(exc)}"
    if arrays is None:
        return None, "it holds no resume state (saved by an older chargen)"
    problem = mismatch(model, arrays, within_epoch=within_epoch)
    return (None, f"its resume state does not fit: {problem}") if problem else (arrays, None)


def restore(model, arrays: dict, *, within_epoch: bool) -> None:
    """Put saved state back (checked by mismatch()): the random generators always; within an epoch also the
    carried streams and the epoch's running metrics (call after fit() reset them, i.e. at epoch begin)."""
    for key, (_, variable) in _expected(model, within_epoch).items():
        if variable is not None:
            variable.assign(arrays[key])
    if within_epoch:
        for layer in carry_layers(model):
            if layer.carrying:
                layer.restore_carry(arrays[f"{CARRY}/{layer.name}/h"], arrays[f"{CARRY}/{layer.name}/c"])


class EpochStart(keras.callbacks.Callback):
    """At each epoch's start the carried streams restart from zeros (each epoch reads them from a new offset);
    at the first epoch a resume trains, the checkpoint's saved state then goes back in."""

    def __init__(self, saved: dict | None = None, *, within_epoch: bool = False):
        super().__init__()
        self.saved, self.within_epoch = saved, within_epoch

    def on_epoch_begin(self, epoch, logs=None):
        for layer in carry_layers(self.model):
            layer.reset_carry()
        if self.saved is not None:
            restore(self.model, self.saved, within_epoch=self.within_epoch)
            self.saved = None


def restorable_state(model, checkpoint, manifest, state, steps_per_epoch: int,
                     carry_state: bool) -> tuple[dict | None, str | None]:
    """The arrays saved beside the checkpoint resumed from, when they fit this model, and a notice when a resume
    within an epoch must do without them (a checkpoint of an older chargen)."""
    if manifest is None or checkpoint is None:
        return None, None
    done = state.global_step - state.epochs_done * steps_per_epoch
    arrays, problem = saved_state(model, checkpoint, manifest, within_epoch=0 < done <= steps_per_epoch)
    if problem is None or not 0 < done <= steps_per_epoch:
        return arrays, None
    epoch = state.epochs_done + 1
    carried = " with the carried LSTM state restarted from zeros," if carry_state else ""
    effect = (f"epoch {epoch} is trained again" if done == steps_per_epoch else
              f"epoch {epoch} continues{carried} and its training loss covers the batches after the resume only")
    return arrays, f"{checkpoint.name}: {problem}; {effect}"
