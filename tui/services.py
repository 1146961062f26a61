"""What the app needs from chargen_core, behind one object so tests can hand the app fakes instead.

None of it imports TensorFlow or Keras: runs open from their numpy weights, corpora load with the standard
library, and training runs in `chargen train` processes the app starts, signals and follows through their
events log (RUN/events.jsonl)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .train_command import corpus_name


@dataclass(frozen=True)
class RunInfo:
    path: Path
    name: str
    corpus_source: str  # the corpus the run was trained on, so "train" can continue on it
    standardize: str
    vocab_size: int
    model: str  # one-line description of the architecture
    val_fraction: float
    epochs_done: int
    is_default: bool  # the bundled model: never trained in place
    trained: bool = True  # False: killed before its first checkpoint (settings, no weights: F2 starts it over)
    notices: tuple[str, ...] = ()
    history: tuple[dict, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class NewRunSpec:
    """What the new-run screen asks for; the corpus is already loaded (and checked) with its standardization."""

    corpus: Any
    size: str = "default"  # "auto" | a key of train_command.SIZES
    epochs: int | None = None
    time_budget: float | None = None
    init_from: Path | None = None  # fine-tune from this run
    tensorboard: bool = False


class Services:
    """The real services over chargen_core."""

    def __init__(self, model_config: Any = None, train_config: Any = None) -> None:
        self.model_config = model_config  # used for new runs; None: chargen_core's defaults
        self.train_config = train_config

    def default_run(self) -> Path | None:
        from chargen_core.runs import CONFIG, default_run_path

        path = default_run_path()
        return path if (path / CONFIG).is_file() else None

    def open_run(self, path: Path) -> tuple[RunInfo, Any]:
        from chargen_core.generate import Generator
        from chargen_core.model import describe_model
        from chargen_core.runs import RunDir, default_run_path

        run = RunDir.open(path)
        trained = run.has_checkpoint()
        generator = Generator.from_run(run.path) if trained else None
        history = tuple(run.history())
        info = RunInfo(
            path=run.path, name=run.path.name, corpus_source=run.corpus_config.source,
            standardize=run.corpus_config.standardize, vocab_size=run.vocab.size,
            model=describe_model(run.model_config), val_fraction=run.train_config.val_fraction,
            epochs_done=run.progress().epochs_done, is_default=_same(run.path, default_run_path()),
            notices=tuple(getattr(run, "notices", ()) or ()), history=history, trained=trained,
        )
        # New runs get chargen_core's measured defaults (or the app's explicit settings), not the shape and
        # recipe of whatever run happens to be open: the bundled model predates the current training recipe.
        return info, generator

    def load_corpus(self, source: str, standardize: str = "none") -> Any:
        from chargen_core.data import load_corpus

        return load_corpus(source, standardize=standardize)

    def list_runs(self, root: Path) -> list:
        from chargen_core.runs import list_runs

        return list_runs(root)

    def copy_run(self, source: Path, root: Path) -> Path:
        """Copy a (bundled, read-only) run into the runs home, named SOURCE-copy-TIME."""
        from chargen_core.runs import copy_run

        return copy_run(source, root)

    def sampler_settings(self, settings: Any, vocab_size: int) -> tuple[Any, list[str]]:
        """The app's SamplerSettings checked against the model's vocabulary (k clamped, with a notice)."""
        return settings.validate(vocab_size)

    # --- training processes ---------------------------------------------------------------------------------
    def new_run_path(self, root: Path, corpus: Any, arch: str = "lstm") -> Path:
        """The folder a new run on `corpus` gets in the runs home, chosen before its trainer starts."""
        from chargen_core.runs import new_run_path

        return new_run_path(Path(root), corpus_name(corpus), arch)

    def resume_epochs(self, run_path: Path) -> int:
        """Continuing a run trains for as many epochs again as it was configured for."""
        from chargen_core.runs import RunDir

        run = RunDir.open(run_path)
        return run.progress().epochs_done + run.train_config.epochs

    def checkpoint_every(self, run_path: Path) -> int:
        """The run's checkpoint interval in steps (0: epoch ends only): when a new run's first weights come."""
        from chargen_core.runs import RunDir

        return RunDir.open(run_path).train_config.checkpoint_every

    def launch(self, argv: list[str], run_path: Path, nice: int = 0) -> Any:
        """Start `chargen train ARGV` in its own session (it outlives the app); a launch_training Launched."""
        from chargen_core.train import launch_training

        return launch_training(argv, Path(run_path), nice=nice, env=leave_a_core_to_the_app())

    def follow(self, run_path: Path, from_start: bool = True) -> Any:
        """A follower of the run's events log (.poll() -> new events): from its newest session's start (attaching
        to a run training now), or from its end (made before a trainer is started: only that trainer's events)."""
        from chargen_core.train import EventLogFollower

        follower = EventLogFollower(Path(run_path), from_session_start=True)
        if not from_start:
            follower.poll()  # what is there now belongs to earlier sessions
        return follower

    def signal(self, run_path: Path, action: str) -> int | None:
        """pause / resume / stop the process training the run; its pid, or None when no process holds it."""
        from chargen_core.train import signal_run

        return signal_run(Path(run_path), action)

    def live_status(self, run_path: Path) -> Any:
        """A LiveRun while a process trains the run, else None."""
        from chargen_core.train import live_status

        return live_status(Path(run_path))

    def log_tail(self, run_path: Path, lines: int = 5) -> list[str]:
        from chargen_core.train import log_tail

        return log_tail(Path(run_path), lines=lines)

    def weights_at(self, run_path: Path, model_path: str | Path) -> list:
        """A checkpoint's numpy weights (checked against its manifest)."""
        from chargen_core.runs import RunDir

        return RunDir.open(run_path).load_weights_at(Path(model_path))

    def checkpoint_exists(self, model_path: str | Path) -> bool:
        from chargen_core.runs import weights_path

        return Path(model_path).exists() or weights_path(Path(model_path)).exists()

    def generator_with(self, run_path: Path, weights: list) -> Any:
        """A generator over the run's vocabulary and model with these weights (a new run's first checkpoint)."""
        from chargen_core.generate import Generator
        from chargen_core.runs import RunDir

        run = RunDir.open(run_path)
        return Generator(weights, run.vocab, run.model_config, run.corpus_config.standardize)


def leave_a_core_to_the_app(cores: int | None = None) -> dict[str, str]:
    """A trainer the app starts on a small machine uses all cores but one, so keys and drawing never wait behind
    TensorFlow's threads (its nice value alone let keypress p95 reach 60-90 ms on 2 busy cores in
    bench/ui_latency.py; the app trained in a thread with this rule before). `chargen train` typed in a terminal
    keeps every core; so does a trainer on a machine with more than 8."""
    cores = cores or os.cpu_count() or 1
    if cores > 8:
        return {}
    threads = str(max(1, cores - 1))
    return {"TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads}


def _same(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
