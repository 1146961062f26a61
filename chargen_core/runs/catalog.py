"""The runs in the runs home and the bundled models, summarised from their JSON files (no TensorFlow)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import ModelConfig, from_dict
from ..errors import ChargenError, SettingsError
from ..model import describe_model
from .files import CONFIG, HISTORY, STATE
from .home import bundled_runs, runs_home
from .lock import is_held
from .rundir import RunDir


@dataclass(frozen=True)
class RunSummary:
    name: str
    path: str
    bundled: bool  # shipped with the package: read-only, continued from a copy
    corpus: str
    standardize: str
    arch: str
    model: str  # e.g. "1×LSTM 256, emb 32"
    params: int | None
    epochs: int  # completed epochs
    best_val: float | None  # lowest validation loss, nats/char
    state: str  # running | killed | completed | stopped | time_budget | nan | new | damaged ...
    updated: float  # seconds since the epoch of the newest file the run wrote
    init_from: str | None = None  # the run it was fine-tuned from
    problem: str | None = None  # why it could not be read, for a damaged run

    def to_dict(self) -> dict:
        return asdict(self)


def _describe(model: dict) -> str:
    try:
        return describe_model(from_dict(ModelConfig, model))
    except (SettingsError, TypeError, ValueError):  # settings written by another version, or damaged
        return f"{model.get('arch', '?')} (unreadable settings)"


def _updated(path: Path) -> float:
    times = [p.stat().st_mtime for p in (path / CONFIG, path / STATE, path / HISTORY) if p.exists()]
    return max(times, default=0.0)


def summarize(path: Path, *, bundled: bool = False) -> RunSummary:
    """One run's summary; a run whose config cannot be read is listed as damaged rather than hidden."""
    path = Path(path)
    try:
        config = json.loads((path / CONFIG).read_text(encoding="utf-8"))
        model, corpus = config["model"], config["corpus"]
        if not isinstance(model, dict) or not isinstance(corpus, dict):
            raise ValueError("model/corpus settings missing")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return RunSummary(path.name, str(path), bundled, "?", "?", "?", "?", None, 0, None, "damaged",
                          _updated(path), problem=f"{CONFIG}: {exc}")
    status = RunDir(path).state().get("status", "new")
    if status == "running" and not bundled and not is_held(path):
        status = "killed"  # no process holds its lock: it died without recording how it ended
    try:  # the counters of the newest intact checkpoint (what a resume continues from)
        progress = RunDir(path).progress()
        best, epochs = progress.best_val_loss, progress.epochs_done
    except (OSError, ChargenError):
        best, epochs = None, None
    return RunSummary(
        name=path.name, path=str(path), bundled=bundled, corpus=str(corpus.get("source", "?")),
        standardize=str(corpus.get("standardize", "none")), arch=str(model.get("arch", "?")),
        model=_describe(model), params=config.get("params"),
        epochs=epochs if isinstance(epochs, int) else 0, best_val=best,
        state=str(status), updated=_updated(path), init_from=config.get("init_from"),
    )


def list_runs(runs_dir: str | Path | None = None) -> list[RunSummary]:
    """Runs in the home, newest first, then the bundled models."""
    home = runs_home(runs_dir)
    found = []
    if home.is_dir():
        found = [summarize(p) for p in home.iterdir() if p.is_dir() and (p / CONFIG).is_file()]
        found.sort(key=lambda r: r.updated, reverse=True)
    return found + [summarize(p, bundled=True) for p in bundled_runs().values()]
