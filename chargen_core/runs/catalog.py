"""The runs in the runs home and the bundled models, summarised from their JSON files (no TensorFlow)."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..config import ModelConfig, from_dict
from ..errors import ChargenError, SettingsError
from ..model import describe_model
from .files import CONFIG, EVENTS, HISTORY, STATE, TRAIN_LOG
from .home import bundled_runs, runs_home
from .lock import holder_pid, is_held
from .rundir import RunDir
from .train_log import tail_lines

RESUMABLE = ("stopped", "time_budget", "failed", "nan", "running")
GONE = ("its process is gone (killed, or the machine restarted) before it recorded how it ended; it resumes from "
        "its last checkpoint")
TAIL_LINES = 3


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
    state: str  # running | completed | stopped | time_budget | failed | nan | new | starting | damaged ...
    updated: float  # seconds since the epoch of the newest file the run wrote
    init_from: str | None = None  # the run it was fine-tuned from
    problem: str | None = None  # why it could not be read, for a damaged run
    pid: int | None = None  # the process training it right now (None: nothing trains it)
    detail: str | None = None  # how it ended, in words (state.json's detail, or why it shows as stopped)
    resume_command: str | None = None  # how to continue it, when it can be
    log_tail: tuple[str, ...] = ()  # a failed trainer's last lines in train.log

    def to_dict(self) -> dict:
        return asdict(self)


def _describe(model: dict) -> str:
    try:
        return describe_model(from_dict(ModelConfig, model))
    except (SettingsError, TypeError, ValueError):  # settings written by another version, or damaged
        return f"{model.get('arch', '?')} (unreadable settings)"


def _updated(path: Path) -> float:
    times = [p.stat().st_mtime for p in (path / CONFIG, path / STATE, path / HISTORY, path / TRAIN_LOG)
             if p.exists()]
    return max(times, default=0.0)


def logged_failure(path: Path) -> str | None:
    """The reason of a TrainingFailed that ends the run's events log (a trainer that failed before it could
    record it in state.json: a resume whose corpus is gone), else None. Only the log's last line is read."""
    try:
        with open(path / EVENTS, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 4096))
            lines = fh.read().splitlines()
        last = json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None
    if isinstance(last, dict) and last.get("type") == "TrainingFailed":
        return str(last.get("reason", ""))
    return None


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
    state = RunDir(path).state()
    status, detail = state.get("status", "new"), state.get("detail")
    pid = holder_pid(path) if not bundled and is_held(path) else None
    if status == "running" and not bundled and pid is None:
        status, detail = "stopped", GONE  # no process holds its lock: it died without recording how it ended
    failure = logged_failure(path) if not bundled and pid is None and status != "failed" else None
    if failure is not None:
        status, detail = "failed", failure
    resumable = not bundled and pid is None and (status in RESUMABLE or detail == GONE)
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
        state=str(status), updated=_updated(path), init_from=config.get("init_from"), pid=pid,
        detail=detail if isinstance(detail, str) else None,
        resume_command=f"chargen train --resume {path.name}" if resumable else None,
        log_tail=tuple(tail_lines(path, TAIL_LINES)) if status == "failed" else (),
    )


def summarize_unstarted(path: Path) -> RunSummary:
    """A folder a background trainer was started in that holds no run yet: starting (its process is loading),
    or failed before the run was created (its log says why)."""
    pid = holder_pid(path) if is_held(path) else None
    state = "starting" if pid is not None else "failed"
    return RunSummary(path.name, str(path), False, "?", "?", "?", "?", None, 0, None, state, _updated(path),
                      pid=pid, detail=None if pid else "failed before the run was created",
                      log_tail=() if pid else tuple(tail_lines(path, TAIL_LINES)))


def list_runs(runs_dir: str | Path | None = None) -> list[RunSummary]:
    """Runs in the home, newest first, then the bundled models."""
    home = runs_home(runs_dir)
    found = []
    if home.is_dir():
        folders = [p for p in home.iterdir() if p.is_dir()]
        found = [summarize(p) for p in folders if (p / CONFIG).is_file()]
        found += [summarize_unstarted(p) for p in folders if not (p / CONFIG).exists() and (p / TRAIN_LOG).is_file()]
        found.sort(key=lambda r: r.updated, reverse=True)
        if runs_dir is not None:  # a resume must look in the same home
            found = [replace(r, resume_command=f"{r.resume_command} --runs-dir {home}") if r.resume_command else r
                     for r in found]
    return found + [summarize(p, bundled=True) for p in bundled_runs().values()]
