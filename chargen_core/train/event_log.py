"""The run's events log (RUN/events.jsonl): the trainer appends one JSON line per event, anyone follows it.

A line is {"type": "<event class>", "time": epoch seconds, ...the event's fields}; a session's TrainingStarted line
also carries "pid" and "argv" (the command that trains). The log is append-only across sessions (a resume appends
a new TrainingStarted), so a follower starts at the newest session. No TensorFlow here: the app and `chargen runs`
read it.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from ..runs import CONFIG, EVENTS, TRAIN_LOG
from .events import (BatchEnded, CheckpointSaved, EpochEnded, Event, PreviewGenerated, TrainingFailed,
                     TrainingFinished, TrainingPaused, TrainingStarted)

EVENT_TYPES = {cls.__name__: cls for cls in (TrainingStarted, BatchEnded, EpochEnded, CheckpointSaved,
                                             PreviewGenerated, TrainingPaused, TrainingFinished, TrainingFailed)}
BATCH_INTERVAL = 0.5  # seconds between two BatchEnded lines: at most ~2 a second, however fast the steps
SESSION_MARK = b'{"type": "TrainingStarted"'  # how a session's first line begins (record() puts "type" first)
TAIL_CHUNK = 64 * 1024  # bytes read at a time when looking back from the end


def record(event: Event, **extra) -> dict:
    """The JSON object of one log line."""
    return {"type": type(event).__name__, "time": round(time.time(), 3), **extra, **dataclasses.asdict(event)}


def event_from_record(data: dict) -> Event | None:
    """The event a log line holds; None for a line of an unknown type or with missing fields (another version)."""
    if not isinstance(data, dict):
        return None
    cls = EVENT_TYPES.get(data.get("type"))
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return None


def parse_line(line: bytes) -> dict | None:
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def chargen_argv(argv: list[str] | None = None) -> list[str]:
    """This process's command as a user would type it: `chargen train ...` (hidden flags left out)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return ["chargen", *(a for a in args if a != "--detached")]


class EventLogWriter:
    """Appends the trainer's events to RUN/events.jsonl, each line written whole with one write() (O_APPEND, no
    buffer: a reader never waits for a flush). BatchEnded lines are throttled; the last batch not written goes in
    before any other event, so an epoch's end, a pause or the finish always has its latest step beside it.

    A write that fails (a full disk) turns the log off for the session after one notice: training never stops
    for it."""

    def __init__(self, run_path: str | Path, *, argv: list[str] | None = None, notice=None,
                 interval: float = BATCH_INTERVAL):
        self.path = Path(run_path) / EVENTS
        self.argv = argv  # None: this process's own (chargen_argv())
        self.interval = interval
        self._notice = notice or (lambda line: print(f"chargen: notice: {line}", file=sys.stderr, flush=True))
        self._fd: int | None = None
        self.disabled = False
        self._last_batch_time = float("-inf")
        self._pending: BatchEnded | None = None  # the newest batch not written yet
        self._session_batches = 0

    def write(self, event: Event) -> None:
        if self.disabled:
            return
        if isinstance(event, BatchEnded):
            self._write_batch(event)
            return
        self._flush_pending()
        if isinstance(event, TrainingFailed) and self._fd is None and not followed(self.path.parent):
            return  # a new run that never began: nothing to follow, and its folder is removed
        if isinstance(event, TrainingStarted):
            self._session_batches = 0
            self._last_batch_time = float("-inf")
            argv = chargen_argv() if self.argv is None else list(self.argv)
            self._append(record(event, pid=os.getpid(), argv=argv))
        else:
            self._append(record(event))

    def _write_batch(self, event: BatchEnded) -> None:
        self._session_batches += 1
        now = time.monotonic()
        last_of_epoch = event.step >= event.steps_per_epoch
        if self._session_batches == 1 or last_of_epoch or now - self._last_batch_time >= self.interval:
            self._pending = None
            self._last_batch_time = now
            self._append(record(event))
        else:
            self._pending = event

    def _flush_pending(self) -> None:
        if self._pending is not None:
            event, self._pending = self._pending, None
            self._append(record(event))

    def _append(self, data: dict) -> None:
        line = (json.dumps(data, ensure_ascii=False, allow_nan=True) + "\n").encode("utf-8")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"short write ({written} of {len(line)} bytes)")
        except OSError as exc:
            self.disabled = True
            self.close()
            self._notice(f"cannot write {self.path} ({exc.strerror or exc}); training goes on, without its "
                         "events log for this session (the app and `chargen runs` cannot follow it live)")

    def close(self) -> None:
        self._pending = None
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError:
                pass


def followed(run_path: Path) -> bool:
    """Whether someone may follow this run's events: it exists, or a background trainer logs into its folder."""
    return any((run_path / name).exists() for name in (CONFIG, TRAIN_LOG, EVENTS))


def log_start_failure(run_path: str | Path, reason: str) -> bool:
    """Append a TrainingFailed line for a trainer that failed before its model existed (a bad corpus, a run that
    cannot be read), where someone may be following: a run that exists or a folder a background trainer logs to.
    Returns whether it was written; never raises."""
    run_path = Path(run_path)
    if not followed(run_path):
        return False  # a new run that never began leaves no folder behind
    writer = EventLogWriter(run_path, notice=lambda line: None)
    writer.write(TrainingFailed(reason=reason, run_dir=str(run_path)))
    writer.close()
    return not writer.disabled


def find_session_start(fd: int, size: int) -> int:
    """The offset of the newest session's first line (its TrainingStarted), read back from the end a chunk at a
    time; 0 when the log has none (or it is the first line)."""
    needle = b"\n" + SESSION_MARK
    end, carry = size, b""
    while end > 0:
        start = max(0, end - TAIL_CHUNK)
        chunk = os.pread(fd, end - start, start) + carry
        at = chunk.rfind(needle)
        if at >= 0:
            return start + at + 1
        carry = chunk[:len(needle) - 1]  # a mark split across two chunks is found with the next one
        end = start
    return 0


class EventLogFollower:
    """Reads RUN/events.jsonl as it grows: poll() returns the events of the complete lines written since the last
    poll. A partial last line waits for its newline; a file replaced or truncated is read again from its start;
    lines that are not events are skipped. from_session_start: begin at the newest session (else the whole log).

    `session` holds the newest TrainingStarted line seen (with its pid, argv and time)."""

    def __init__(self, run_path: str | Path, from_session_start: bool = True):
        self.path = Path(run_path) / EVENTS
        self.from_session_start = from_session_start
        self.session: dict | None = None
        self.records: int = 0  # lines read, for a caller that wants to know the log moved
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        self._started = False

    def poll(self) -> list[Event]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return []
        try:
            stat = os.fstat(fd)
            identity = (stat.st_dev, stat.st_ino)
            if identity != self._identity or stat.st_size < self._offset:
                self._identity, self._offset, self._partial = identity, 0, b""  # a new file: from its start
                if self.from_session_start:
                    self._offset = find_session_start(fd, stat.st_size)
            data = b""
            while self._offset < stat.st_size:
                chunk = os.pread(fd, min(1 << 20, stat.st_size - self._offset), self._offset)
                if not chunk:
                    break
                self._offset += len(chunk)
                data += chunk
        finally:
            os.close(fd)
        if not data:
            return []
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()  # b"" after a newline; else a line still being written
        events = []
        for line in lines:
            data = parse_line(line) if line.strip() else None
            if data is None:
                continue
            self.records += 1
            if data.get("type") == "TrainingStarted":
                self.session = data
            event = event_from_record(data)
            if event is not None:
                events.append(event)
        return events
