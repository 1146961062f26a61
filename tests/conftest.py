"""Shared fixtures: small corpora written to tmp dirs, and quiet TensorFlow logs."""
import gc
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest

TINY_TEXT = (
    "the quick brown fox jumps over the lazy dog.\n"
    "a stitch in time saves nine; the early bird catches the worm.\n"
    "to be, or not to be: that is the question.\n"
) * 30


@pytest.fixture(autouse=True)
def unfrozen_heap():
    """The app freezes long-lived objects out of the garbage collector's sight (tui/gc_tuning.py); a test session
    holds many apps in turn, so thaw after each test and let the collector free what that test left."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def chargen_home(tmp_path_factory, monkeypatch):
    """Every test gets its own runs home: nothing lands in the user's data folder or the current directory."""
    home = tmp_path_factory.mktemp("chargen-home")
    monkeypatch.setenv("CHARGEN_HOME", str(home))
    return home


@pytest.fixture
def tiny_text() -> str:
    return TINY_TEXT


@pytest.fixture
def tiny_corpus_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def run_copy(trained_run, tmp_path):
    """A copy of the module's `trained_run` fixture for a test to change or damage (bytes copied: hard links would
    share the damage with the original)."""
    target = tmp_path / "run"
    shutil.copytree(trained_run, target, copy_function=shutil.copy2)
    return target
