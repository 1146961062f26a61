"""Fast stand-ins for chargen_core's Generator, corpus loading and training processes, with the same interface.

Training "processes" are fake_training.py's."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from chargen_tui.services import RunInfo
from fake_training import FakeEventLog, FakeTrainer, FakeTrainingServices

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


class FakeServices(FakeTrainingServices):
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

    def _epochs_done(self, name: str) -> int:
        return 0 if name in self.untrained_runs else self.runs.get(name, 3)  # no checkpoint: it starts over

    def sampler_settings(self, settings, vocab_size):
        from chargen_core.errors import SettingsError

        if settings.temperature > 2.95:
            raise SettingsError("temperature too high for this test")
        return settings.clamp(vocab_size)
