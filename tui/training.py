"""Training in a thread worker: trainer events become messages (batches coalesced), weights flow to the generator."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from chargen_core.errors import one_line
from chargen_core.train import BatchEnded, EpochEnded, Event, TrainingFinished, TrainingStarted

from . import gc_tuning
from .live_generator import LiveGenerator, lower_thread_priority
from .messages import Failed, GeneratorReady, RunCopied, TrainingEvent, TrainingProgress, TrainingStopped

REFRESH_EVERY = 100  # optimizer steps between generator refreshes (also refreshed at every epoch end)


class EventPump:
    """Trainer event sink, called on the training thread. BatchEnded is coalesced: while one progress message is
    waiting, newer batches only replace the stored event, so a fast trainer cannot flood the UI queue."""

    def __init__(self, post) -> None:
        self.post = post
        self._lock = threading.Lock()
        self._latest = None
        self._waiting = False
        self._first_batch = True
        self.batches = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchEnded):
            if self._first_batch:  # the training step is traced now: its graph lives as long as the trainer
                self._first_batch = False
                gc_tuning.freeze()
            with self._lock:
                self._latest = event
                self.batches += 1
                if self._waiting:
                    return
                self._waiting = True
            self.post(TrainingProgress())
        else:
            if isinstance(event, TrainingStarted):
                self._first_batch = True
            elif isinstance(event, EpochEnded):  # validation and preview functions were traced too
                gc_tuning.freeze()
            self.post(TrainingEvent(event))

    def take(self) -> BatchEnded | None:
        with self._lock:
            event, self._latest, self._waiting = self._latest, None, False
        return event


class TrainingControl:
    """Owns the trainer: start (new run or resume), pause, stop; refreshes the live generator from snapshots."""

    def __init__(self, host: Any, services: Any, live: LiveGenerator, run_root: Path) -> None:
        self.host = host
        self.services = services
        self.live = live
        self.run_root = run_root
        self.pump = EventPump(host.post_message)
        self.trainer: Any = None
        self.running = False
        self.own_generator = False  # True once the live generator samples from this trainer's model
        self.last_refresh_step = 0
        self.first_checkpoint: int | None = None  # global step of a fresh run's first checkpoint, once known

    @property
    def paused(self) -> bool:
        return bool(self.trainer is not None and self.running and self.trainer.paused)

    def start(self, *, corpus: Any = None, resume: Path | None = None, model_config: Any = None,
              spec: Any = None, copy_first: bool = False) -> None:
        """Train a new run on `corpus` (as `spec` says), or continue the run at `resume`, in a thread worker.

        copy_first: `resume` is read-only (the bundled model): copy it into the runs home, continue the copy.
        """
        self.running, self.trainer, self.last_refresh_step, self.first_checkpoint = True, None, 0, None
        self.own_generator = resume is not None and self.live.ready

        def job() -> None:
            error = None
            lower_thread_priority()
            gc_tuning.settle()  # a previous trainer's graphs become collectable garbage here, once
            try:
                target = resume
                if target is not None and copy_first:
                    target = self.services.copy_run(target, self.run_root)
                    self.host.post_message(RunCopied(target))
                if target is not None:
                    self.trainer = self.services.resume_trainer(target, self.pump)
                else:
                    extra = {"spec": spec} if spec is not None else {}
                    self.trainer = self.services.new_trainer(corpus, self.run_root, self.pump, model_config, **extra)
                self.trainer.run()
            except Exception as exc:  # bad input or a failed run: a notification, the app carries on
                error = one_line(exc)
            self.host.post_message(TrainingStopped(error))

        self.host.run_worker(job, thread=True, exit_on_error=False, group="training", name="training")

    def started(self, event: TrainingStarted) -> None:
        """Note when a run without weights (it starts at step 0) gets its first checkpoint: the first epoch's end,
        or the checkpoint interval's when that comes sooner."""
        every = getattr(getattr(self.trainer, "train_config", None), "checkpoint_every", 0) or 0
        self.first_checkpoint = min(every, event.steps_per_epoch) if every else event.steps_per_epoch

    def untrained_note(self, model_name: str) -> str:
        """What generating says while the run in use has no checkpoint yet: whose text it is, when weights come."""
        if not self.running:
            if self.own_generator:  # trained for a while, then stopped or failed before saving
                return "this run stopped before its first checkpoint: its model had barely started to learn"
            return (f"{model_name} has no trained weights yet: it stopped before its first checkpoint; "
                    "press F2 to train it from the start")
        when = f"at step {self.first_checkpoint:,}" if self.first_checkpoint else "soon (training is still starting)"
        if not self.live.ready:
            return f"this run has no trained weights yet: its first checkpoint comes {when}"
        if self.own_generator:
            return f"this run has no checkpoint yet: its model has barely started to learn (the first comes {when})"
        return (f"the new run has no trained weights yet (its first checkpoint comes {when}): this text comes "
                f"from {model_name}")

    def pause(self) -> bool | None:
        """Toggle pause; returns the new paused state, None when nothing is training."""
        if self.trainer is None or not self.running:
            return None
        if self.trainer.paused:
            self.trainer.unpause()
        else:
            self.trainer.pause()
        return self.trainer.paused

    def stop(self) -> bool:
        if self.trainer is None or not self.running:
            return False
        if self.trainer.paused:
            self.trainer.unpause()  # a paused trainer must run to its next batch to see the stop request
        self.trainer.request_stop()
        return True

    def stopped(self) -> None:
        self.running = False

    def maybe_refresh(self, global_step: int | None = None, force: bool = False) -> bool:
        """Schedule a snapshot → generator refresh after an epoch or every REFRESH_EVERY steps."""
        if self.trainer is None:
            return False
        if not force and (global_step is None or global_step - self.last_refresh_step < REFRESH_EVERY):
            return False
        if global_step is not None:
            self.last_refresh_step = global_step
        trainer = self.trainer

        def job() -> None:
            try:
                if not self.own_generator:
                    # A new run has its own vocabulary: swap in a generator over its model, don't refresh the old one.
                    self.live.replace(self.services.generator_from_trainer(trainer))
                    gc_tuning.freeze()
                    self.own_generator = True
                    self.host.post_message(GeneratorReady(trainer.vocab.size, Path(trainer.run_path).name))
                else:
                    self.live.offer(trainer.snapshot_weights())
            except Exception as exc:
                self.host.post_message(Failed("refreshing the generator", one_line(exc)))

        self.host.run_worker(job, thread=True, exit_on_error=False, group="refresh", name="refresh")
        return True


def finished_text(event: TrainingFinished) -> str:
    """"training stopped: 55 epochs, best val loss 1.270 nats/char": a user's stop skips the final validation, so the
    best one stands in for the last when there is none (and is named too when it is the better one)."""
    losses = []
    if event.val_loss is not None:
        losses.append(f"val loss {event.val_loss:.3f}")
    if event.best_val_loss is not None and (event.val_loss is None or event.best_val_loss < event.val_loss - 5e-4):
        losses.append(f"best val loss {event.best_val_loss:.3f}")
    return f"training {event.outcome}: {event.epochs} epochs" + (f", {', '.join(losses)} nats/char" if losses else "")
