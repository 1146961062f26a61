"""What the app needs from chargen_core, behind one object so tests can hand the app fakes instead."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol



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


class ServicesAPI(Protocol):
    """The interface the app uses; tests/tui/fakes.py implements it without TensorFlow."""

    def device(self) -> str: ...
    def default_run(self) -> Path | None: ...
    def open_run(self, path: Path) -> tuple[RunInfo, Any]: ...  # generator None: the run has no weights yet
    def load_corpus(self, source: str, standardize: str = "none") -> Any: ...
    def new_trainer(self, corpus: Any, run_path: Path, on_event: Callable, model_config: Any = None,
                    spec: NewRunSpec | None = None) -> Any: ...
    def list_runs(self, root: Path) -> list: ...
    def copy_run(self, source: Path, root: Path) -> Path: ...
    def resume_trainer(self, run_path: Path, on_event: Callable) -> Any: ...
    def generator_from_trainer(self, trainer: Any) -> Any: ...
    def sampler_settings(self, settings: Any, vocab_size: int) -> tuple[Any, list[str]]: ...


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


def new_run_path(root: Path, corpus_name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in corpus_name)[:40] or "corpus"
    return root / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"


class Services:
    """The real services over chargen_core; TensorFlow is imported on first use, in a worker thread."""

    def __init__(self, model_config: Any = None, train_config: Any = None) -> None:
        self.model_config = model_config  # used for new runs; None: chargen_core's defaults
        self.train_config = train_config

    def device(self) -> str:
        import_tensorflow()
        import tensorflow as tf
        from chargen_core.distribute import describe_device

        return describe_device(tf.config.list_physical_devices("GPU"))

    def default_run(self) -> Path | None:
        from chargen_core.runs import default_run_path

        path = default_run_path()
        return path if (path / "config.json").is_file() else None

    def open_run(self, path: Path) -> tuple[RunInfo, Any]:
        import_tensorflow()
        from chargen_core.generate import Generator
        from chargen_core.runs import RunDir, default_run_path

        run = RunDir.open(path)
        trained = run.has_checkpoint()
        generator = Generator.from_run(run.path) if trained else None
        history = tuple(run.history())
        info = RunInfo(
            path=run.path, name=run.path.name, corpus_source=run.corpus_config.source,
            standardize=run.corpus_config.standardize, vocab_size=run.vocab.size,
            model=_describe_model(run.model_config), val_fraction=run.train_config.val_fraction,
            epochs_done=run.progress().epochs_done, is_default=_same(run.path, default_run_path()),
            notices=tuple(getattr(run, "notices", ()) or ()), history=history, trained=trained,
        )
        # New runs get chargen_core's measured defaults (or the app's explicit settings), not the shape and
        # recipe of whatever run happens to be open: the bundled model predates the current training recipe.
        return info, generator

    def load_corpus(self, source: str, standardize: str = "none") -> Any:
        import_tensorflow()  # corpus loading may fetch URLs through keras
        from chargen_core.corpus import load_corpus

        return load_corpus(source, standardize=standardize)

    def new_trainer(self, corpus: Any, run_path: Path, on_event: Callable, model_config: Any = None,
                    spec: NewRunSpec | None = None) -> Any:
        import_tensorflow()
        import dataclasses

        from chargen_core.config import ModelConfig, TrainConfig
        from chargen_core.training import Trainer

        model_config = model_config or self.model_config or ModelConfig()
        train_config = self.train_config or TrainConfig()
        init = chosen = None
        if spec is not None:  # the new-run screen's choices
            changes = {"tensorboard": spec.tensorboard, "epochs": spec.epochs, "time_budget": spec.time_budget}
            train_config = dataclasses.replace(train_config, **{k: v for k, v in changes.items() if v is not None})
            if spec.init_from is not None:
                from chargen_core.finetune import load_init_from, model_config_for

                init = load_init_from(spec.init_from)
                model_config = model_config_for(init.model_config, {})
            elif spec.size == "auto":
                from chargen_core.sizing import fit_to_budget

                model_config, train_config, chosen = fit_to_budget(spec.corpus, model_config, train_config)
            else:
                model_config = dataclasses.replace(model_config, **SIZES.get(spec.size, {}))
        trainer = Trainer(corpus, run_path, model_config, train_config, on_event=on_event, init_from=init)
        if chosen is not None:
            trainer.size = chosen  # what the rule picked, told when training starts (as `chargen train` prints it)
        return trainer

    def list_runs(self, root: Path) -> list:
        from chargen_core.catalog import list_runs

        return list_runs(root)

    def copy_run(self, source: Path, root: Path) -> Path:
        """Copy a (bundled, read-only) run into the runs home under a name that says what it is."""
        from chargen_core.home import copy_run

        return copy_run(source, root, f"{Path(source).name}-copy-{time.strftime('%Y%m%d-%H%M%S')}")

    def resume_trainer(self, run_path: Path, on_event: Callable) -> Any:
        import_tensorflow()
        from chargen_core.runs import RunDir
        from chargen_core.training import Trainer

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


def _describe_model(cfg: Any) -> str:
    if cfg.arch == "seed":
        return "seed window LSTM 128"
    text = f"{cfg.layers}×LSTM {cfg.units}, emb {cfg.embedding_dim}"
    if cfg.dropout:
        text += f", dropout {cfg.dropout:g}"
    if cfg.recurrent_dropout:
        text += f", recurrent dropout {cfg.recurrent_dropout:g}"
    return text


def _same(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
