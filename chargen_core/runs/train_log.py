"""RUN/train.log: what a trainer started in the background prints (stdout and stderr), one session after
another, each under a header line; its last lines say why a trainer failed."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from .files import TRAIN_LOG

HEADER = re.compile(r"^--- \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  ")  # what session_header writes
TAIL_BYTES = 16 * 1024  # enough for the last lines of a log whose lines are short


def session_header(command: str) -> str:
    """The line that opens a session's output: when and what was started."""
    return f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}  {command}\n"


def tail_lines(run_path: str | Path, lines: int = 5) -> list[str]:
    """The last non-empty lines of RUN/train.log written by its newest session (only the end of the file is
    read); [] when there is no log."""
    try:
        with open(Path(run_path) / TRAIN_LOG, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read()
            whole = size <= TAIL_BYTES
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace").replace("\r", "\n")
    found = text.split("\n") if whole else text.split("\n")[1:]  # the first line may be cut
    session = []
    for line in reversed(found):
        if HEADER.match(line):
            break
        if line.strip():
            session.append(line.rstrip())
        if len(session) >= lines:
            break
    return session[::-1]
