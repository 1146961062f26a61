"""What the app needs from chargen_core, behind one object so tests can hand the app fakes instead."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


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


# Model sizes offered on the new-run screen besides "auto" (units x layers; the rest: chargen_core's defaults).
SIZES = {"small": {"units": 128, "layers": 1}, "default": {}, "large": {"units": 512, "layers": 2}}


@dataclass(frozen=True)
class NewRunSpec:
    """What the new-run screen asks for; the corpus is already loaded (and checked) with its standardization."""

    corpus: Any
    size: str = "default"  # "auto" | a key of SIZES
    epochs: int | None = None
    time_budget: float | None = None
    init_from: Path | None = None  # fine-tune from this run
    tensorboard: bool = False


_IMPORT_LOCK = threading.Lock()


def import_tensorflow() -> None:
    """Import TensorFlow once, under a lock: two worker threads importing it at once leave it half-initialised."""
    with _IMPORT_LOCK:
        import keras  # noqa: F401
        import tensorflow as tf

        if not getattr(import_tensorflow, "done", False):
            _leave_a_core_to_the_ui(tf)
            import_tensorflow.done = True


def _leave_a_core_to_the_ui(tf) -> None:
    """Training in the app uses all cores but one, so keys and drawing never wait behind TensorFlow's threads.

    Measured on 2 cores (bench/ui_latency.py, training running): with TensorFlow on both cores, keypress p95
    was 75 ms; the headless CLI keeps every core. Must run before TensorFlow's runtime starts.
    """
    cores = os.cpu_count() or 1
    if cores > 8:  # plenty left over for the UI on big machines: let TensorFlow decide
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, cores - 1))
        tf.config.threading.set_inter_op_parallelism_threads(max(1, cores - 1))
    except RuntimeError:  # the runtime already started (e.g. a test imported TensorFlow first): keep its threads
        pass


class Services:
    """The real services over chargen_core; TensorFlow is imported on first use, in a worker thread."""

    def __init__(self, model_config: Any = None, train_config: Any = None) -> None:
        self.model_config = model_config  # used for new runs; None: chargen_core's defaults
        self.train_config = train_config

    def device(self) -> str:
        import_tensorflow()
        import tensorflow as tf
        from chargen_core.train import describe_device

        return describe_device(tf.config.list_physical_devices("GPU"))

    def default_run(self) -> Path | None:
        from chargen_core.runs import CONFIG, default_run_path

        path = default_run_path()
        return path if (path / CONFIG).is_file() else None

    def open_run(self, path: Path) -> tuple[RunInfo, Any]:
        import_tensorflow()
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
        import_tensorflow()  # corpus loading may fetch URLs through keras
        from chargen_core.data import load_corpus

        return load_corpus(source, standardize=standardize)

    def new_trainer(self, corpus: Any, runs_home: Path, on_event: Callable, model_config: Any = None,
                    spec: NewRunSpec | None = None) -> Any:
        """A trainer for a new run on `corpus`, named in runs_home, planned as `chargen train` plans one."""
        import_tensorflow()
        from chargen_core.config import non_defaults
        from chargen_core.train import RunRequest, Trainer, plan_run

        model = non_defaults(model_config or self.model_config)  # the app's explicit settings, if any
        train = non_defaults(self.train_config)
        size, init_from = "default", None
        if spec is not None:  # the new-run screen's choices
            changes = {"tensorboard": spec.tensorboard, "epochs": spec.epochs, "time_budget": spec.time_budget}
            train.update({k: v for k, v in changes.items() if v is not None})
            init_from = spec.init_from
            if init_from is not None:
                model = {}  # a fine-tuned run keeps its source's model
            elif spec.size == "auto":
                size = "auto"
            else:
                model.update(SIZES.get(spec.size, {}))
        request = RunRequest(model=model, train=train, size=size, init_from=init_from, runs_dir=runs_home)
        return Trainer.from_plan(plan_run(request, corpus=corpus), on_event)

    def list_runs(self, root: Path) -> list:
        from chargen_core.runs import list_runs

        return list_runs(root)

    def copy_run(self, source: Path, root: Path) -> Path:
        """Copy a (bundled, read-only) run into the runs home, named SOURCE-copy-TIME."""
        from chargen_core.runs import copy_run

        return copy_run(source, root)

    def resume_trainer(self, run_path: Path, on_event: Callable) -> Any:
        import_tensorflow()
        from chargen_core.runs import RunDir
        from chargen_core.train import Trainer

        # Continue for as many epochs again as the run was configured for.
        run = RunDir.open(run_path)
        epochs = run.progress().epochs_done + run.train_config.epochs
        return Trainer.resume(run_path, on_event=on_event, epochs=epochs)

    def generator_from_trainer(self, trainer: Any) -> Any:
        import_tensorflow()
        from chargen_core.generate import Generator

        generator = Generator.from_model(trainer.model, trainer.vocab, trainer.model_config,
                                         standardize=trainer.corpus.standardize)
        generator.refresh(trainer.snapshot_weights())  # a consistent copy, whatever the live model is doing
        return generator

    def sampler_settings(self, settings: Any, vocab_size: int) -> tuple[Any, list[str]]:
        """The app's SamplerSettings checked against the model's vocabulary (k clamped, with a notice)."""
        return settings.validate(vocab_size)


def _same(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
