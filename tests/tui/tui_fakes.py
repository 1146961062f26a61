"""Fast stand-ins for chargen_core's Generator, corpus loading and training processes, with the same interface.

A fake training "process" is a thread running FakeTrainer; its events go to an in-memory log that the app's
follower reads, as the real app reads RUN/events.jsonl; signals pause, resume and stop it."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from chargen_core.train import (BatchEnded, CheckpointSaved, EpochEnded, PreviewGenerated, TrainingFinished,
                                TrainingPaused, TrainingStarted)
from chargen_tui.services import RunInfo

TEXT = "the quick brown fox jumps over the lazy dog. "


@dataclass(frozen=True)
class FakeCorpus:
    source: str
    name: str
    text: str
    standardize: str = "none"
    encoding: str = "utf-8"

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1

    def sample_line(self, max_chars: int = 100) -> str:
        return self.text.splitlines()[0][:max_chars]


@dataclass(frozen=True)
class FakeChar:
    char: str
    prob: float
    candidates: tuple
    settings: object = None


class FakeStream:
    """What Generator.open returns: take() continues where the last take stopped; feed() appends text."""

    def __init__(self, generator: "FakeGenerator", prompt: str, handle, seed) -> None:
        self.generator, self.prompt, self.handle, self.seed = generator, prompt, handle, seed
        self.position = 0  # index into the fake's text of the next char
        self.fed: list[str] = []

    def take(self, length, stop=None):
        for item in self.generator.stream(self.prompt, self.handle, length, self.seed, start=self.position):
            self.position += 1
            yield item

    def feed(self, text: str) -> str:
        self.fed.append(text)
        return text

    def candidates(self):
        char = self.generator.text[self.position % len(self.generator.text)]
        return ((char, 0.6), ("x", 0.3), ("y", 0.1))


class FakeGenerator:
    """Writes TEXT over and over; `gate` (when set) must be opened for each char, so tests can hold a stream.

    With a live-settings handle it reads the settings before every char, as the real generator does, and
    records them in `used` (one entry per char)."""

    def __init__(self, text: str = TEXT, delay: float = 0.0) -> None:
        self.text = text
        self.delay = delay
        self.gate: threading.Event | None = None
        self.steps: threading.Semaphore | None = None  # when set, each char waits for one release()
        self.refreshed = 0
        self.calls: list[tuple] = []
        self.used: list = []
        self.streams: list[FakeStream] = []

    def prepare_prompt(self, prompt: str):
        return SimpleNamespace(text=prompt, unknown="", standardized=False)

    def open(self, prompt, handle, seed=None):
        self.calls.append((prompt, handle, None, seed))
        stream = FakeStream(self, prompt, handle, seed)
        self.streams.append(stream)
        return stream

    def stream(self, prompt, settings, length, seed=None, start=0):
        tail, i = "", 0
        while length is None or i < length:
            if self.gate is not None:
                self.gate.wait(5)
            if self.steps is not None and not self.steps.acquire(timeout=5):
                return
            if self.delay:
                time.sleep(self.delay)
            used = getattr(settings, "settings", settings)  # a live handle: its settings right now
            self.used.append(used)
            char = self.text[(start + i) % len(self.text)]
            yield FakeChar(char, (i % 10) / 10 + 0.05, ((char, 0.6), ("x", 0.3), ("y", 0.1)), used)
            i += 1
            stops = getattr(settings, "stop", ())
            tail = (tail + char)[-8:]
            if any(tail.endswith(s) for s in stops):
                return

    def compare(self, prompt, length, seed=None, settings_list=None):
        return [(label, SimpleNamespace(text=f"{label} says {self.text[:length]}"))
                for label in ("greedy", "temperature 0.8", "top-k 5")]

    def refresh(self, weights) -> None:
        self.refreshed += 1


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
            self.on_event(CheckpointSaved(str(self.run_path / "model.keras"), epoch + 1, step, "epoch"))
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


class FakeServices:
    def __init__(self, *, default: bool = True, delay: float = 0.0, train_delay: float = 0.0,
                 corpus_error: str | None = None) -> None:
        self.generator = FakeGenerator(delay=delay)
        self.weights_only = False  # resumed runs hold weights only: their trainer starts a fresh optimizer
        self.default = default
        self.train_delay = train_delay
        self.corpus_error = corpus_error
        self.trainers: list[FakeTrainer] = []
        self.model_config = None
        self.default_path = Path("/fake/default")
        self.runs: dict[str, int] = {"alpha": 5, "beta": 1}  # fake runs in the runs home: name -> epochs done
        self.untrained_runs: set[str] = set()  # runs killed before their first checkpoint: settings, no weights
        self.generators: dict[str, FakeGenerator] = {}
        self.resumed: list[Path] = []
        self.launches: list[list[str]] = []  # the `chargen train` arguments of every trainer started
        self.copies: list[tuple[Path, Path]] = []
        self.logs: dict[Path, FakeEventLog] = {}
        self.processes: dict[Path, tuple[FakeTrainer, threading.Thread]] = {}
        self.launch_error: str | None = None  # the next launch fails with this (a full disk, a read-only home)
        self.crash_at: int | None = None  # trainers started from now on die at this step, saying nothing
        self.tail = ["epoch 1/2 step 3/5 loss 2.7", "Fatal Python error: Segmentation fault"]
        self.weights_loaded: list[str] = []
        self.signals: list[tuple[Path, str]] = []

    def default_run(self):
        return self.default_path if self.default else None

    def open_run(self, path):
        from chargen_core.errors import RunDirError

        if "missing" in str(path):
            raise RunDirError(f"{path} is not a chargen run")
        name = Path(path).name
        if name in self.untrained_runs:
            return RunInfo(Path(path), name, f"corpus-of-{name}", "none", 30, "1×LSTM 32, emb 8", 0.1, 0,
                           is_default=False, trained=False), None
        if name in self.runs:  # a run of the fake home: its own corpus, history and generator
            rows = tuple({"loss": 2.0 - i * 0.1, "val_loss": 2.1 - i * 0.1} for i in range(self.runs[name]))
            generator = self.generators.setdefault(name, FakeGenerator(text=f"{name} writes this. "))
            info = RunInfo(Path(path), name, f"corpus-of-{name}", "none", 30, "1×LSTM 32, emb 8", 0.1, len(rows),
                           is_default=False, history=rows)
            return info, generator
        info = RunInfo(Path(path), name, "builtin", "none", 30, "1×LSTM 64, emb 16", 0.1, 3,
                       is_default=Path(path) == self.default_path,
                       history=({"loss": 3.0, "val_loss": 3.1}, {"loss": 2.5, "val_loss": 2.7},
                                {"loss": 2.2, "val_loss": 2.5}))
        return info, self.generator

    def list_runs(self, root):
        from chargen_core.runs import RunSummary

        def row(name, path, epochs, bundled=False):
            return RunSummary(name, str(path), bundled, f"corpus-of-{name}", "none", "lstm", "1×LSTM 32, emb 8",
                              1000, epochs, 2.0, "completed", 1.0e9)

        home = [row(name, Path(root) / name, epochs) for name, epochs in self.runs.items()]
        return home + [row(self.default_path.name, self.default_path, 3, bundled=True)]

    def copy_run(self, source, root):
        from chargen_core.runs import copy_run

        if Path(source).is_dir():  # a real folder (the bundled model in a test): the real copy
            target = copy_run(Path(source), Path(root), f"{Path(source).name}-copy")
        else:
            target = Path(root) / f"{Path(source).name}-copy"
            target.mkdir(parents=True)
        self.copies.append((Path(source), target))
        return target

    def load_corpus(self, source, standardize="none"):
        from chargen_core.errors import CorpusError

        if self.corpus_error or "missing" in source:
            raise CorpusError(self.corpus_error or f"no such corpus: {source}")
        text = "It was the best of times, it was the worst of times.\n" * 40
        return FakeCorpus(source, source, text)

    # --- training "processes" ---------------------------------------------------------------------------------
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
        trainer = self.start_trainer(run_path, initial_epoch=initial)
        return FakeLaunched(4242, list(argv), "chargen train " + " ".join(argv), run_path / "train.log", run_path,
                            FakeProcess(self.processes[run_path][1]))

    def start_trainer(self, run_path: Path, initial_epoch: int = 0) -> FakeTrainer:
        """A trainer "process" on run_path (also what another terminal's `chargen train` looks like to the app)."""
        log = self.logs.setdefault(run_path, FakeEventLog())  # appended to, session after session
        trainer = FakeTrainer(log, run_path, delay=self.train_delay, initial_epoch=initial_epoch,
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

    def generator_with(self, run_path, weights):
        self.generator.vocab = SimpleNamespace(size=30)
        return self.generator

    def _epochs_done(self, name: str) -> int:
        return 0 if name in self.untrained_runs else self.runs.get(name, 3)  # no checkpoint: it starts over

    def sampler_settings(self, settings, vocab_size):
        from chargen_core.errors import SettingsError

        if settings.temperature > 2.95:
            raise SettingsError("temperature too high for this test")
        return settings.clamp(vocab_size)
