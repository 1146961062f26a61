"""A run on disk (RunDir): its settings, vocabulary, history and state, and its models (models.py: counters,
loading safely with damaged files skipped). Creating one, and checking a new one may be written."""
from __future__ import annotations

import json
from pathlib import Path

from ..config import CorpusConfig, ModelConfig, TrainConfig, from_dict, to_dict
from ..data import Corpus, Vocab, load_corpus
from ..errors import ChargenError, RunDirError, first_line
from .atomic import atomic_write_json, atomic_write_text
from .files import CHECKPOINT_DIR, CONFIG, HISTORY, LOCK_FILE, STATE, TEMP_PREFIX, TRAIN_LOG, VOCAB, damaged
from .models import RunModels


def versions() -> dict:
    import platform

    import keras
    import tensorflow as tf

    from .. import __version__

    return {"chargen": __version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version()}


def default_run_path() -> Path:
    """The bundled pretrained model (package chargen_assets), or assets/default in a source checkout."""
    try:
        from importlib.resources import files

        bundled = Path(str(files("chargen_assets") / "default"))
        if (bundled / CONFIG).is_file():
            return bundled
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "assets" / "default"


def check_writable(path: Path) -> None:
    """Raise RunDirError unless a new run could be written at path (writes nothing)."""
    import os

    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise RunDirError(f"run dir {path} exists and is not a folder")
        if (path / CONFIG).exists():
            raise RunDirError(f"{path} already holds a run; continue it with --resume {path} or pick another --run-dir")
        if not creation_leftovers(path):
            raise RunDirError(f"run dir {path} is not empty; pick a new or empty folder")
        target = path
    else:
        target = path.parent
        while not target.exists():
            target = target.parent
        if not target.is_dir():
            raise RunDirError(f"cannot create run dir {path}: {target} is not a folder")
    if not os.access(target, os.W_OK | os.X_OK):
        raise RunDirError(f"cannot write run dir {path}: {target} is not writable")


def read_run_text(path: Path) -> str:
    """A run file's text; unreadable is one line, and bytes that are not UTF-8 mean the file is damaged."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RunDirError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise damaged(path, f"not UTF-8 text (byte {exc.start})") from None


def creation_leftovers(path: Path) -> bool:
    """True when path holds nothing but what a run killed while being created leaves (its lock, temp files, the
    vocabulary written before config.json, an empty checkpoints/), or the log a background trainer was started with:
    a new run may be written there."""
    for entry in Path(path).iterdir():
        if entry.name in (LOCK_FILE, VOCAB, TRAIN_LOG) or entry.name.startswith(TEMP_PREFIX):
            continue
        if entry.name == CHECKPOINT_DIR and entry.is_dir() and all(e.name.startswith(TEMP_PREFIX)
                                                                    for e in entry.iterdir()):
            continue
        return False
    return True


class RunDir(RunModels):
    """A training run on disk. Open an existing one with RunDir.open(path)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.notices: list[str] = []  # fallbacks taken while loading (e.g. a damaged checkpoint)
        self._config: dict | None = None
        self._vocab: Vocab | None = None

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        run = cls(path)
        if not run.path.is_dir():
            raise RunDirError(f"run dir not found: {path}")
        if not (run.path / CONFIG).is_file() or not (run.path / VOCAB).is_file():
            raise RunDirError(f"{path} is not a chargen run (no {CONFIG} / {VOCAB})")
        # Read and check the settings and the vocabulary now, so a damaged run fails at open, before any command
        # has loaded a model or written a byte.
        run.model_config, run.train_config, run.corpus_config, run.vocab  # noqa: B018
        return run

    @classmethod
    def create(cls, path: str | Path, *, model_config: ModelConfig, train_config: TrainConfig,
               corpus_config: CorpusConfig, vocab: Vocab, extra: dict | None = None) -> "RunDir":
        run = cls(path)
        run.path.mkdir(parents=True, exist_ok=True)
        (run.path / CHECKPOINT_DIR).mkdir(exist_ok=True)
        atomic_write_text(run.path / VOCAB, vocab.to_json())
        config = {"model": to_dict(model_config), "train": to_dict(train_config), "corpus": to_dict(corpus_config),
                  "vocab_size": vocab.size, "versions": versions(), **(extra or {})}
        atomic_write_json(run.path / CONFIG, config)  # written last: its presence marks a run
        return run

    # settings -------------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        if self._config is None:
            path = self.path / CONFIG
            try:
                config = json.loads(read_run_text(path))
            except ValueError as exc:
                raise damaged(path, f"not a valid run config: not JSON ({first_line(exc)})") from None
            if not isinstance(config, dict):
                raise damaged(path, f"not a valid run config: a JSON {type(config).__name__}, not an object")
            for key in ("model", "train", "corpus"):
                if not isinstance(config.get(key), dict):
                    raise damaged(path, f"not a valid run config: no {key!r} settings")
            self._config = config
        return self._config

    def _settings(self, cls, key: str):
        """One section of config.json as its settings type, checked as a new run's would be."""
        section = self.config[key]
        try:
            return from_dict(cls, section).validate()
        except ChargenError as exc:
            raise damaged(self.path / CONFIG, f"{key} settings: {first_line(exc)}") from None

    @property
    def model_config(self) -> ModelConfig:
        return self._settings(ModelConfig, "model")

    @property
    def train_config(self) -> TrainConfig:
        return self._settings(TrainConfig, "train")

    @property
    def corpus_config(self) -> CorpusConfig:
        return self._settings(CorpusConfig, "corpus")

    def load_corpus(self) -> Corpus:
        """The run's corpus, reloaded with the run's settings (a CorpusError when it is not available)."""
        cfg = self.corpus_config
        return load_corpus(cfg.source, standardize=cfg.standardize, encoding=cfg.encoding, allow_html=cfg.allow_html)

    def update_train_config(self, train_config: TrainConfig) -> None:
        self._config = {**self.config, "train": to_dict(train_config)}
        atomic_write_json(self.path / CONFIG, self._config)

    @property
    def vocab(self) -> Vocab:
        if self._vocab is None:
            path = self.path / VOCAB
            text = read_run_text(path)
            try:
                self._vocab = Vocab.from_json(text)
            except RunDirError as exc:
                raise damaged(path, first_line(exc)) from None
        return self._vocab

    # history and state ----------------------------------------------------------------------------
    def history(self) -> list[dict]:
        path = self.path / HISTORY
        if not path.is_file():
            return []
        rows = []
        for line in read_run_text(path).splitlines():  # chargen writes ASCII: a crash cannot leave bad UTF-8
            try:
                row = json.loads(line)
            except ValueError:  # a line cut short by a crash
                continue
            if isinstance(row, dict):
                rows.append(row)
        return rows

    def append_history(self, row: dict) -> None:
        with open(self.path / HISTORY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()

    def truncate_history(self, epochs_done: int) -> list[dict]:
        """Keep the rows of epochs a checkpoint covers (a crash may leave one more)."""
        rows = [r for r in self.history() if isinstance(r.get("epoch"), int) and r["epoch"] < epochs_done]
        atomic_write_text(self.path / HISTORY, "".join(json.dumps(r) + "\n" for r in rows))
        return rows

    def remove_stale_temp_files(self) -> None:
        """Half-written files left by a killed process (they never replaced a real file)."""
        for stale in [*self.path.glob(f"{TEMP_PREFIX}*"), *self.path.glob(f"{CHECKPOINT_DIR}/{TEMP_PREFIX}*")]:
            stale.unlink(missing_ok=True)

    def state(self) -> dict:
        try:
            state = json.loads((self.path / STATE).read_bytes().decode("utf-8"))
        except (OSError, ValueError):  # missing, or damaged: it is rewritten whole at the next write
            return {}
        return state if isinstance(state, dict) else {}

    def write_state(self, **state) -> None:
        atomic_write_json(self.path / STATE, {**self.state(), **state})
