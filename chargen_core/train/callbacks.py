"""Keras callbacks that turn fit() into events, checkpoints and history, and obey stop/pause/budget/NaN."""
from __future__ import annotations

import errno
import math
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import keras

from ..errors import ChargenError, StorageError
from ..runs import BEST, CHECKPOINT_DIR, MODEL, checkpoint_name, prune, publish, save_model
from .control import Control
from .events import BatchEnded, CheckpointSaved, EpochEnded, TrainingPaused
from .resume_state import capture, metric_state

LN2 = math.log(2.0)


class CheckpointWriter:
    """Writes checkpoints (last KEEP kept), model.keras and best.keras; only the chief writes the run dir."""

    def __init__(self, run_path: Path, emit, *, is_chief: bool = True):
        self.run_path, self.emit, self.is_chief = Path(run_path), emit, is_chief
        self.saved_step = -1  # global step of the newest checkpoint written
        self.on_saved = None  # callable(epochs_done, global_step, file name) after each checkpoint (state.json)
        self.state = None  # the RunState whose best_val_loss goes into every manifest (the run's counters)

    def save(self, model, *, kind: str, epochs_done: int, global_step: int, val_loss: float | None = None,
             best: bool = False, resume_state: dict | None = None) -> None:
        """resume_state: arrays saved beside the checkpoint so a resume continues exactly (resume_state.py)."""
        name = checkpoint_name(global_step)
        self.saved_step = global_step  # on every worker, so all take the same save decisions
        if not self.is_chief:
            # Other workers still take part in saving (collective ops) but into a throwaway folder.
            scratch = Path(tempfile.mkdtemp(prefix="chargen-worker-"))
            try:
                save_model(model, scratch / name, epochs_done=epochs_done, global_step=global_step, kind=kind)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            return
        path = self.run_path / CHECKPOINT_DIR / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            manifest = save_model(model, path, epochs_done=epochs_done, global_step=global_step, kind=kind,
                                  val_loss=val_loss, best_val_loss=self.state.best_val_loss if self.state else None,
                                  resume_state=resume_state)
            self.emit(CheckpointSaved(str(path), epochs_done, global_step, kind))
            if kind != "step":
                publish(manifest, path, self.run_path / MODEL, kind)
            if best:
                publish(manifest, path, self.run_path / BEST, "best")
                self.emit(CheckpointSaved(str(self.run_path / BEST), epochs_done, global_step, "best"))
            prune(self.run_path)
            if self.on_saved is not None:
                self.on_saved(epochs_done, global_step, name)
        except Exception as exc:
            error = storage_error(exc, self.run_path)
            if error is exc:
                raise
            raise error from None



def storage_error(exc: BaseException, run_path: Path) -> BaseException:
    """A StorageError in one line when the disk refused a write (Keras may wrap the OSError); else exc itself."""
    if isinstance(exc, ChargenError):
        return exc
    seen, cause = 0, exc
    while cause is not None and not isinstance(cause, OSError) and seen < 8:
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    if not isinstance(cause, OSError):
        return exc
    folder = run_path / CHECKPOINT_DIR
    if folder.exists() and not folder.is_dir():
        what = f"{folder} is a file, not a folder; move it away"
    elif cause.errno == errno.ENOSPC:
        what = f"no space left on the device holding {run_path}; free some space"
    elif cause.errno == errno.EDQUOT:
        what = f"disk quota exceeded for {run_path}; free some space"
    elif cause.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = f"{run_path} cannot be written ({cause.strerror}); fix its permissions"
    else:
        what = f"{cause.strerror or cause} ({run_path})"
    return StorageError(f"cannot save a checkpoint: {what}, then continue with --resume {run_path}")


@dataclass
class RunState:
    """Counters shared by the trainer and its callback; resume restores epochs_done/global_step/best."""

    epochs_done: int = 0
    global_step: int = 0
    best_val_loss: float | None = None
    val_loss: float | None = None
    val_bpc: float | None = None
    reason: str | None = None  # why training ended early: "stopped" | "time_budget" | "nan" | "early_stop" | "plateau"
    targets: int = 0  # training targets seen in this session
    batch_seconds: float = 0.0  # time inside training steps in this session
    paused_seconds: float = 0.0
    started: float = 0.0  # perf_counter at train begin
    session_start_step: int = 0  # global_step when this session began (resume: > 0)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started - self.paused_seconds if self.started else 0.0


class TrainingCallback(keras.callbacks.Callback):
    """One callback so the order of the checks is explicit: NaN, events, checkpoints, budget, pause, stop."""

    def __init__(self, *, state: RunState, control: Control, emit, writer, history, steps_per_epoch: int,
                 targets_per_step: int, checkpoint_every: int, time_budget: float | None, preview=None,
                 agree=None, keeps_state: bool = False):
        super().__init__()
        self.state, self.control, self.emit, self.writer = state, control, emit, writer
        self.history = history  # callable(row) appending a history.jsonl line
        self.steps_per_epoch, self.targets_per_step = steps_per_epoch, targets_per_step
        self.checkpoint_every, self.time_budget, self.preview = checkpoint_every, time_budget, preview
        self.agree = agree  # multi-worker: (budget_spent, stop_requested) -> the same answer on every worker
        self.batches_done = 0  # batches of the current epoch trained before this fit() (an exact resume)
        # Checkpoints carry what continues the run exactly (resume_state.py); then a stop may also land between
        # an epoch's last batch and its validation, which the resume runs.
        self.keeps_state = keeps_state
        self._train_metrics = None  # the epoch's training metrics, kept when validation begins (it resets them)
        self._recent: deque = deque(maxlen=20)  # (seconds, targets) of recent batches, for chars/s
        self._batch_start = self._epoch_start = 0.0

    # --- helpers ------------------------------------------------------------------------------------
    def _stop(self, reason: str) -> None:
        if self.state.reason is None:
            self.state.reason = reason
        self.model.stop_training = True

    def resume_state(self) -> dict | None:
        """What a checkpoint saved now needs beside the model to continue exactly (None: not kept here)."""
        return capture(self.model, self._train_metrics) if self.keeps_state else None

    def _budget_spent(self) -> bool:
        return self.time_budget is not None and self.state.elapsed() >= self.time_budget

    def _wait_if_paused(self) -> None:
        """Block while paused; the pause and the return to training are events (said where they take effect)."""
        if not self.control.paused:
            return
        self.emit(TrainingPaused(True, self.state.global_step))
        self.state.paused_seconds += self.control.wait_while_paused(self.model)
        self.emit(TrainingPaused(False, self.state.global_step))

    def _obey_controls(self) -> None:
        self.control.serve(self.model)
        self._wait_if_paused()
        budget_spent, stop_requested = self._budget_spent(), self.control.stop_requested
        if self.agree is not None:
            budget_spent, stop_requested = self.agree(budget_spent, stop_requested)
        if stop_requested:
            self._stop("stopped")
        elif budget_spent:
            self._stop("time_budget")

    # --- fit hooks ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not self.state.started:  # a resumed run may call fit() twice (rest of an epoch, then whole ones)
            self.state.started = time.perf_counter()
        self.control.set_active(True, self.model)

    def on_train_end(self, logs=None):
        self.control.set_active(False, self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.perf_counter()
        self._train_metrics = None  # live again

    def on_test_begin(self, logs=None):
        if self.keeps_state:
            self._train_metrics = metric_state(self.model)

    def on_train_batch_end(self, batch, logs=None):
        batch += self.batches_done
        seconds = time.perf_counter() - self._batch_start
        state = self.state
        loss = float((logs or {}).get("loss", float("nan")))
        if not math.isfinite(loss):
            # The weights may already be NaN: stop without saving so the last good checkpoint stays latest.
            self._stop("nan")
            return
        state.global_step += 1
        if state.global_step > state.session_start_step + 1:  # the first batch includes graph tracing
            state.targets += self.targets_per_step
            state.batch_seconds += seconds
            self._recent.append((seconds, self.targets_per_step))
        window = sum(s for s, _ in self._recent)
        rate = sum(t for _, t in self._recent) / window if window > 0 else 0.0
        epoch = state.epochs_done
        self.emit(BatchEnded(epoch, batch + 1, state.global_step, self.steps_per_epoch, loss, rate, state.elapsed()))
        if self.checkpoint_every and state.global_step % self.checkpoint_every == 0:
            self.writer.save(self.model, kind="step", epochs_done=epoch, global_step=state.global_step,
                             resume_state=self.resume_state())
        if batch + 1 < self.steps_per_epoch:  # at the last batch, finish the epoch first (validation, checkpoint)
            self._obey_controls()

    def on_test_batch_end(self, batch, logs=None):
        self.control.serve(self.model)
        self._wait_if_paused()
        if self.agree is not None:
            return  # multi-worker: validation runs to its end on every worker; the stop comes at epoch end
        if self.control.stop_requested and self.keeps_state:  # else validation ends, then the stop: exact either way
            self._stop("stopped")
        if self.state.reason is not None:
            self.model.stop_evaluating = True  # stopping: skip the rest of validation

    def on_epoch_end(self, epoch, logs=None):
        self.batches_done = 0
        state = self.state
        if state.reason is not None:
            return  # a partial epoch: no history row, no epoch checkpoint (a resume finishes it)
        logs = logs or {}
        state.epochs_done = epoch + 1
        val_loss = float(logs.get("val_loss", float("nan")))
        state.val_loss, state.val_bpc = val_loss, val_loss / LN2
        improved = math.isfinite(val_loss) and (state.best_val_loss is None or val_loss < state.best_val_loss)
        if improved:
            state.best_val_loss = val_loss
        seconds = time.perf_counter() - self._epoch_start
        event = EpochEnded(epoch, float(logs.get("loss", float("nan"))), val_loss, state.val_bpc,
                           float(logs.get("accuracy", float("nan"))), float(logs.get("val_accuracy", float("nan"))),
                           seconds, state.global_step)
        self.history({"epoch": epoch, "loss": event.loss, "val_loss": val_loss, "val_bpc": event.val_bpc,
                      "accuracy": event.accuracy, "val_accuracy": event.val_accuracy, "seconds": round(seconds, 3),
                      "global_step": state.global_step, "time": time.time()})
        self.writer.save(self.model, kind="epoch", epochs_done=state.epochs_done, global_step=state.global_step,
                         val_loss=val_loss, best=improved, resume_state=self.resume_state())
        self.emit(event)
        if self.preview is not None:
            self.preview(epoch)
        self._obey_controls()
