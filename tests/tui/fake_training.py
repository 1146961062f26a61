"""Fake training processes: a thread running FakeTrainer stands for a `chargen train` process; its events go to
an in-memory log that the app's follower reads, as the real app reads RUN/events.jsonl; signals pause, resume
and stop it. FakeTrainingServices holds the services' training half (FakeServices mixes it in)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from chargen_core.train import (BatchEnded, CheckpointSaved, EpochEnded, PreviewGenerated, TrainingFinished,
                                TrainingPaused, TrainingStarted)


class FakeTrainer:
    """Emits a plausible event sequence; honours pause/unpause/request_stop between steps."""

    def __init__(self, on_event, run_path: Path, epochs: int = 2, steps: int = 5, delay: float = 0.0,
                 initial_epoch: int = 0, fresh_optimizer: bool = False, crash_at: int | None = None) -> None:
        self.on_event, self.run_path = on_event, run_path
        self.crash_at = crash_at  # the session's step at which the "process" dies without a word
        self.fresh_optimizer = fresh_optimizer
        self.epochs, self.steps, self.delay = initial_epoch + epochs, steps, delay
        self.initial_epoch = initial_epoch
        self.paused = False
        self.stop_requested = False

    def pause(self):
        self.paused = True
        self.on_event(TrainingPaused(True, 0))

    def unpause(self):
        self.paused = False
        self.on_event(TrainingPaused(False, 0))

    def request_stop(self):
        self.stop_requested = True

    def run(self):
        if self.crash_at == 0:  # a trainer that cannot start: it ends before its first event
            return None
        self.on_event(TrainingStarted(str(self.run_path), self.epochs, self.initial_epoch, self.steps, 1234, "CPU",
                                      "Default", 1, "float32", self.fresh_optimizer))
        step, reason = self.initial_epoch * self.steps, "completed"
        for epoch in range(self.initial_epoch, self.epochs):
            for i in range(1, self.steps + 1):
                while self.paused and not self.stop_requested:
                    time.sleep(0.01)
                if self.stop_requested:
                    reason = "stopped"
                    break
                time.sleep(self.delay)
                step += 1
                if step - self.initial_epoch * self.steps == self.crash_at:  # the session's step
                    return None
                self.on_event(BatchEnded(epoch, i, step, self.steps, 3.0 - step * 0.1, 1000.0, step * 0.1))
            if reason == "stopped":
                break
            # the real trainer saves the epoch's checkpoint, then reports the epoch
            self.on_event(CheckpointSaved(str(self.run_path / f"ckpt-{step:04d}.keras"), epoch + 1, step, "epoch"))
            self.on_event(EpochEnded(epoch, 2.5 - epoch * 0.2, 2.6 - epoch * 0.2, 3.7, 0.3, 0.3, 1.0, step))
            self.on_event(PreviewGenerated(epoch, "the", "the preview text"))
        finished = TrainingFinished(str(self.run_path), reason, epoch + 1, step, 2.4, 3.5, 2.4, 1.0, 1000.0)
        self.on_event(finished)
        return finished


class FakeEventLog:
    """The events a fake trainer wrote (its RUN/events.jsonl)."""

    def __init__(self) -> None:
        self.events: list = []
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        with self.lock:
            self.events.append(event)


class FakeFollower:
    def __init__(self, log: FakeEventLog, from_start: bool = True) -> None:
        self.log = log
        with log.lock:  # the newest session's start, or the end
            starts = [i for i, e in enumerate(log.events) if isinstance(e, TrainingStarted)]
            self.read = (starts[-1] if starts else 0) if from_start else len(log.events)

    def poll(self) -> list:
        with self.log.lock:
            events, self.read = self.log.events[self.read:], len(self.log.events)
        return events


class FakeProcess:
    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread

    def poll(self):
        return None if self.thread.is_alive() else 0


@dataclass
class FakeLaunched:
    pid: int
    argv: list
    command: str
    log_path: Path
    run_path: Path
    process: FakeProcess


class FakeTrainingServices:
    """Needs from its subclass: train_delay, weights_only, crash_at, launch_error, tail, generator and the lists
    it records into (set in FakeServices.__init__), and _epochs_done(name)."""

    def new_run_path(self, root, corpus, arch="lstm"):
        return Path(root) / f"{corpus.name}-run"

    def resume_epochs(self, run_path):
        return self._epochs_done(Path(run_path).name) + 2

    def checkpoint_every(self, run_path):
        return 0

    def launch(self, argv, run_path, nice=0):
        from chargen_core.errors import ChargenError

        if self.launch_error:
            raise ChargenError(self.launch_error)
        run_path = Path(run_path)
        self.launches.append(list(argv))
        initial = 0
        if "--resume" in argv:
            self.resumed.append(run_path)
            initial = self._epochs_done(run_path.name)
        self.start_trainer(run_path, initial_epoch=initial)
        return FakeLaunched(4242, list(argv), "chargen train " + " ".join(argv), run_path / "train.log", run_path,
                            FakeProcess(self.processes[run_path][1]))

    def start_trainer(self, run_path: Path, initial_epoch: int = 0, epochs: int = 2) -> FakeTrainer:
        """A trainer "process" on run_path (also what another terminal's `chargen train` looks like to the app)."""
        log = self.logs.setdefault(run_path, FakeEventLog())  # appended to, session after session
        trainer = FakeTrainer(log, run_path, epochs=epochs, delay=self.train_delay, initial_epoch=initial_epoch,
                              fresh_optimizer=self.weights_only and initial_epoch > 0, crash_at=self.crash_at)
        thread = threading.Thread(target=trainer.run, daemon=True)
        self.trainers.append(trainer)
        self.processes[run_path] = (trainer, thread)
        thread.start()
        return trainer

    def _alive(self, run_path):
        trainer, thread = self.processes.get(Path(run_path), (None, None))
        return trainer if thread is not None and thread.is_alive() else None

    def follow(self, run_path, from_start=True):
        return FakeFollower(self.logs.setdefault(Path(run_path), FakeEventLog()), from_start)

    def signal(self, run_path, action):
        trainer = self._alive(run_path)
        self.signals.append((Path(run_path), action))
        if trainer is None:
            return None
        {"pause": trainer.pause, "resume": trainer.unpause, "stop": trainer.request_stop}[action]()
        return 4242

    def live_status(self, run_path):
        trainer = self._alive(run_path)
        if trainer is None:
            return None
        return SimpleNamespace(pid=4242, state="paused" if trainer.paused else "training", epoch=1,
                               epochs=trainer.epochs, step=1, steps_per_epoch=trainer.steps, loss=2.5,
                               seconds_left=125.0, command=f"chargen train --resume {run_path}")

    def log_tail(self, run_path, lines=5):
        return self.tail[-lines:]

    def weights_at(self, run_path, model_path):
        self.weights_loaded.append(str(model_path))
        return [0.0]

    def checkpoint_exists(self, model_path):
        return True

    def generator_with(self, run_path, weights):
        self.generator.vocab = SimpleNamespace(size=30)
        return self.generator

