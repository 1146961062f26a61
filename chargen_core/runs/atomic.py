"""Atomic file writes: a file is written under a temporary name in the same folder, synced, then renamed over
the real one, so a reader (or a crash) sees the old file or the new one, never half of one."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .files import TEMP_PREFIX


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    # Same directory (rename stays atomic) and same suffix (Keras insists on ".keras").
    return path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def copy_file(src: Path, dst: Path) -> None:
    """Publish an independent copy of src under dst atomically. Never a hard link: the files are each other's
    fallback, and a link would share any damage with the file it stands in for."""
    tmp = temp_name(dst)
    tmp.unlink(missing_ok=True)
    try:
        shutil.copyfile(src, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(dst.parent)
