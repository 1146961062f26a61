"""Nothing under version control points outside the repository (another checkout, this machine's folders)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared (a sibling folder of the checkout), and absolute home or work folders of a particular machine.
OUTSIDE = re.compile(r"\.\./shared|(?<![\w.~])/(?:work|home|Users|root)/\w")
# Tests that write such a path on purpose, into a folder they create themselves.
ALLOWED: set[str] = set()


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name]


def test_no_tracked_file_names_a_path_outside_the_repository():
    offenders = []
    for name in tracked_files():
        if name in ALLOWED or name == "tests/test_repository.py":
            continue
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):  # binaries (models), files deleted in the work tree
            continue
        offenders += [f"{name}:{i}: {line.strip()[:100]}" for i, line in enumerate(text.splitlines(), 1)
                      if OUTSIDE.search(line)]
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)


def test_the_pattern_catches_what_it_should():
    for bad in ("../shared/corpora/nietzsche.txt", 'Path("/work/shared/x")', "open('/home/me/a.txt')"):
        assert OUTSIDE.search(bad), bad
    for fine in ("runs/nz", "~/.config/chargen/keys.toml", "https://example.com/home/x", "assets/default"):
        assert not OUTSIDE.search(fine), fine
