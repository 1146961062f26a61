"""Where a run being trained right now stands, from any process: the holder of its lock and the end of its events
log (only the tail is read: a log may be long). For `chargen runs` and the app's runs screen; no TensorFlow."""
from __future__ import annotations

import os
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..runs import EVENTS, HISTORY, held_since, holder_pid, is_held, tail_lines
from .event_log import event_from_record, find_session_start, parse_line
from .events import BatchEnded, EpochEnded, TrainingFailed, TrainingFinished, TrainingPaused, TrainingStarted
from .launch import DETACHED_FLAG
from .progress import estimate

TAIL_BYTES = 64 * 1024  # the end of the log read for the latest step (~2 lines a second are written)
STATES = ("starting", "training", "paused", "stopping")


@dataclass(frozen=True)
class LiveRun:
    run_path: Path
    pid: int | None
    state: str  # starting (no step logged yet by this process) | training | paused | stopping (its end is logged)
    epoch: int | None  # the epoch being trained, 1-based as shown to people ("epoch 3/10")
    epochs: int | None  # planned epochs
    step: int | None  # step within the epoch, 1-based
    steps_per_epoch: int | None
    global_step: int | None  # steps since the run began
    loss: float | None  # the epoch's running training loss, nats/char
    val_loss: float | None  # the last epoch's validation loss, nats/char
    elapsed: float | None  # seconds of training this session
    seconds_left: float | None  # until the session ends (its epochs or its budget); None: not known yet
    eta: float | None  # epoch seconds the session should end
    started_at: float | None  # epoch seconds the process took the run (or logged its session start)
    command: str  # chargen train ... ("" when unknown)

    @property
    def paused(self) -> bool:
        return self.state == "paused"

    def to_dict(self) -> dict:
        return {**asdict(self), "run_path": str(self.run_path)}


def log_tail(run_path: str | Path, lines: int = 5) -> list[str]:
    """The last lines of RUN/train.log (its newest session): what a trainer that failed said last."""
    return tail_lines(run_path, lines)


def _read_session_tail(path: Path) -> tuple[dict | None, list[dict]]:
    """(the newest session's TrainingStarted record, the records at the end of the log that follow it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None, []
    try:
        size = os.fstat(fd).st_size
        session_at = find_session_start(fd, size)
        start = max(session_at, size - TAIL_BYTES)
        data = os.pread(fd, size - start, start)
        head = os.pread(fd, min(TAIL_BYTES, size - session_at), session_at) if start > session_at else data
    finally:
        os.close(fd)
    lines = data.split(b"\n")
    if start > session_at:
        lines = lines[1:]  # the first line read may be cut
    records = [r for r in (parse_line(line) for line in lines if line.strip()) if r is not None]
    first = parse_line(head.split(b"\n", 1)[0])
    started = first if first is not None and first.get("type") == "TrainingStarted" else None
    return started, [r for r in records if r.get("type") != "TrainingStarted"]


def _last_val_loss(run_path: Path) -> float | None:
    """The validation loss of the run's newest history row (an epoch may be long: its end left the log's tail)."""
    try:
        with open(run_path / HISTORY, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 4096))
            lines = fh.read().splitlines()
    except OSError:
        return None
    row = parse_line(lines[-1]) if lines else None
    value = row.get("val_loss") if row else None
    return float(value) if isinstance(value, (int, float)) else None


def _command_of(pid: int) -> str:
    """The command of a process still starting (Linux /proc), as `chargen train ...`."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    if "train" not in argv:
        return ""
    rest = argv[argv.index("train"):]
    return shlex.join(["chargen", *(a for a in rest if a != DETACHED_FLAG)])


def live_status(run_path: str | Path, now: float | None = None) -> LiveRun | None:
    """How the process training run_path is doing; None when no process holds the run (nothing trains it)."""
    run_path = Path(run_path)
    if not is_held(run_path):
        return None
    now = time.time() if now is None else now
    pid = holder_pid(run_path)
    since = held_since(run_path)
    session, records = _read_session_tail(run_path / EVENTS)
    if session is None or (pid is not None and session.get("pid") != pid):
        # this process has not logged its session yet (importing TensorFlow, loading the corpus)
        return LiveRun(run_path, pid, "starting", None, None, None, None, None, None, None, None, None, None,
                       since, _command_of(pid) if pid else "")
    started = event_from_record(session)
    state, batch, batch_time, val_loss = "training", None, None, None
    for record in records:
        event = event_from_record(record)
        if isinstance(event, BatchEnded):
            batch, batch_time = event, record.get("time")
            state = "training" if state == "paused" else state
        elif isinstance(event, EpochEnded):
            val_loss = event.val_loss
        elif isinstance(event, TrainingPaused):
            state = "paused" if event.paused else "training"
        elif isinstance(event, (TrainingFinished, TrainingFailed)):
            state = "stopping"
    argv = session.get("argv")
    command = shlex.join(argv) if isinstance(argv, list) and all(isinstance(a, str) for a in argv) else ""
    if not isinstance(started, TrainingStarted):
        return LiveRun(run_path, pid, state, None, None, None, None, None, None, val_loss, None, None, None,
                       session.get("time"), command)
    if val_loss is None:
        val_loss = _last_val_loss(run_path)
    est = estimate(started, batch)
    elapsed, left = est.elapsed, est.seconds_left
    if state == "training" and isinstance(batch_time, (int, float)):
        gone = max(0.0, now - batch_time)  # training went on since the batch logged last
        elapsed += gone
        left = None if left is None else max(0.0, left - gone)
    return LiveRun(
        run_path, pid, state,
        epoch=(batch.epoch + 1) if batch else started.initial_epoch + 1, epochs=started.epochs,
        step=batch.step if batch else 0, steps_per_epoch=started.steps_per_epoch,
        global_step=batch.global_step if batch else started.initial_epoch * started.steps_per_epoch,
        loss=batch.loss if batch else None, val_loss=val_loss, elapsed=elapsed, seconds_left=left,
        eta=None if left is None else now + left, started_at=session.get("time"), command=command)
