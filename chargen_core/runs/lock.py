"""One writer per run directory: an exclusive lock on a file inside it, released by the OS if the process dies."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import RunDirError
from .files import LOCK_FILE  # inside the run directory, so it moves with the run

LOCK_TRIES = 10  # attempts 20 ms apart before a held lock means another writer


def _flock(fd: int, shared: bool = False) -> bool:
    """Try to take an exclusive (or shared) lock on fd without waiting; False if another open file holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: lock the first byte instead (also released when the process ends)
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def is_held(run_path: str | Path) -> bool:
    """Whether a live process holds the run's lock (is training it). A run marked "running" whose lock nobody
    holds was killed: its process is gone. Takes the lock for an instant to find out (acquire retries briefly,
    so a trainer starting at that instant is not refused)."""
    try:
        fd = os.open(Path(run_path) / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:  # every writer makes the file: nobody ever held it, or the run was copied
        return False
    except OSError:  # cannot tell: do not call a live run dead
        return True
    try:
        if not _flock(fd, shared=True):  # shared: two listings at once do not see each other as a writer
            return True
        _unlock(fd)
        return False
    finally:
        os.close(fd)


def _why_not_created(path: Path, exc: OSError) -> str:
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot create run dir {path}: {ancestor} is not a folder"
    if isinstance(exc, PermissionError):
        return f"cannot write run dir {path}: {ancestor} is not writable"
    return f"cannot create run dir {path}: {exc.strerror or exc}"


def holder_pid(run_path: str | Path) -> int | None:
    """The process id the lock file records (the last process that took the lock; check is_held first)."""
    try:
        text = (Path(run_path) / LOCK_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def held_since(run_path: str | Path) -> float | None:
    """When the lock was taken (epoch seconds): the holder writes its pid into the file as it takes it."""
    try:
        return (Path(run_path) / LOCK_FILE).stat().st_mtime
    except OSError:
        return None


def _since(seconds: float | None) -> str:
    if seconds is None:
        return ""
    same_day = time.localtime(seconds)[:3] == time.localtime()[:3]
    return time.strftime(" since %H:%M:%S" if same_day else " since %Y-%m-%d %H:%M", time.localtime(seconds))


def _holder(run_path: Path) -> str:
    pid = holder_pid(run_path)
    who = f"pid {pid}" if pid is not None else "another process"
    return f"{who} (training it{_since(held_since(run_path))})"


class RunLock:
    """Held by whoever writes a run (train, resume, the app's training). flock locks belong to the open file, so
    a kill -9 releases them at once and a stale lock file never blocks anyone."""

    def __init__(self, run_path: str | Path):
        self.run_path = Path(run_path)
        self.path = self.run_path / LOCK_FILE
        self._fd: int | None = None
        self.created_dir = False  # True when acquiring made the run directory (a new run)

    def acquire(self) -> "RunLock":
        if self._fd is not None:
            return self
        if self.run_path.exists() and not self.run_path.is_dir():
            raise RunDirError(f"run dir {self.run_path} exists and is not a folder")
        if not self.run_path.exists():
            try:
                self.run_path.mkdir(parents=True)
                self.created_dir = True
            except FileExistsError:  # another process made it a moment ago; the lock decides
                pass
            except OSError as exc:
                raise RunDirError(_why_not_created(self.run_path, exc)) from None
        tries = 0
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise RunDirError(f"cannot lock run dir {self.run_path}: {exc.strerror or exc}") from None
            if not _flock(fd):
                os.close(fd)
                tries += 1
                if tries < LOCK_TRIES:  # held for an instant by is_held (e.g. `chargen runs`): try again
                    time.sleep(0.02)
                    continue
                raise RunDirError(f"{self.run_path} is being written by {_holder(self.run_path)}; wait for it "
                                  "to finish or stop it (one writer per run)")
            # The file may have been removed (a new run given up) between open and lock: lock the live one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self, *, remove_dir: bool = False) -> None:
        """Unlock; remove_dir: also remove the directory if acquire made it and nothing else was put there."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if remove_dir and self.created_dir:
            # Unlink while still holding the lock, so a waiting process re-checks (see acquire).
            self.path.unlink(missing_ok=True)
            try:
                self.run_path.rmdir()
            except OSError:  # not empty: keep it
                pass
        os.close(fd)

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
