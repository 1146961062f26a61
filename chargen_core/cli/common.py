"""Shared CLI helpers: output channels (progress on stderr, results on stdout) and common flags."""
from __future__ import annotations

import json
import os
import sys
import time

from ..config import ARCHS, STANDARDIZE_MODES, ModelConfig


def import_tensorflow_quietly() -> None:
    """Start TensorFlow with its C++ start-up and CUDA probe lines kept off stderr (our one-line messages).

    Each run trains in a process of its own, and several may share a GPU: each takes GPU memory as it needs it,
    not TensorFlow's default of nearly all of it at start (which would leave a second trainer none). A user's own
    TF_FORCE_GPU_ALLOW_GROWTH wins."""
    from ..train import quiet_native_stderr

    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # read when TensorFlow sets up a GPU
    with quiet_native_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the CUDA probe prints its own lines the first time


def say(message: str) -> None:
    """Progress and notices go to stderr so stdout stays clean for results and --json."""
    end_progress_line()
    print(message, file=sys.stderr, flush=True)


def print_json(data: dict) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)


def add_home_flag(parser) -> None:
    parser.add_argument("--runs-dir", default=None, metavar="DIR",
                        help="the runs home: where runs are made and RUN names are looked up "
                             "(default: $CHARGEN_HOME/runs, else the user data folder's chargen/runs)")


def resolve_run_arg(args, name: str = "run_dir"):
    """The run folder for a RUN argument (path, name in the runs home, bundled name; None: the bundled model)."""
    from ..runs import resolve_run

    return resolve_run(getattr(args, name, None), getattr(args, "runs_dir", None))


def add_corpus_flags(parser, default: str | None = "builtin") -> None:
    parser.add_argument("--corpus", default=default, metavar="SRC",
                        help="builtin | nietzsche | a file | a folder of .txt | a URL (default: builtin)")
    parser.add_argument("--standardize", choices=STANDARDIZE_MODES, default=None,
                        help="none | lower | seed (the tutorial's recipe) (default: none)")
    parser.add_argument("--encoding", default=None,
                        help="text encoding of local files and downloads (default: utf-8)")
    parser.add_argument("--allow-html", action="store_true", default=None,
                        help="accept a URL that serves an HTML page (default: refuse it)")


# ModelConfig fields that add_model_flags sets (as config field names)
MODEL_FIELDS = ("arch", "units", "layers", "embedding_dim", "dropout", "recurrent_dropout", "seq_len")


def add_model_flags(parser) -> None:
    d = ModelConfig()
    parser.add_argument("--arch", choices=ARCHS, default=None,
                        help=f"lstm | seed (the tutorial's model) (default: {d.arch})")
    parser.add_argument("--units", type=int, default=None, help=f"LSTM units per layer (default: {d.units})")
    parser.add_argument("--layers", type=int, default=None, help=f"stacked LSTM layers (default: {d.layers})")
    parser.add_argument("--embedding-dim", type=int, default=None,
                        help=f"character embedding width (default: {d.embedding_dim})")
    parser.add_argument("--dropout", type=float, default=None,
                        help=f"dropout after each LSTM layer (default: {d.dropout})")
    parser.add_argument("--recurrent-dropout", type=float, default=None, metavar="R",
                        help=f"dropout on each LSTM's fed-back state, one mask per sequence; a GPU then runs "
                             f"without cuDNN (default: {d.recurrent_dropout})")
    parser.add_argument("--seq-len", type=int, default=None,
                        help=f"characters per training sequence (default: {d.seq_len})")


def given(args, names) -> dict:
    """The flags among names that the user actually set, as config field names."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


_unfinished: list["Progress"] = []  # the progress whose in-place line the cursor is still on, if any


def end_progress_line() -> None:
    """Move past an in-place progress line, so what is printed next (a summary, an error) starts a line of its
    own instead of landing on the end of it. The progress stays on screen: it says where training was."""
    while _unfinished:
        _unfinished.pop().end()


class Progress:
    """A light progress line: redrawn in place on a terminal, one line every few seconds in a pipe."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = 0.25 if self.tty else 10.0
        self._last = 0.0
        self._dirty = False

    def update(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self._dirty = True
            if self not in _unfinished:
                _unfinished.append(self)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def line(self, text: str) -> None:
        """A permanent line (clears the in-place progress first)."""
        if self._dirty:
            self.stream.write("\r\033[K")
            self._done()
        self.stream.write(text + "\n")
        self.stream.flush()

    @property
    def open(self) -> bool:
        """True while the cursor is on the in-place line (a terminal only)."""
        return self._dirty

    def end(self) -> None:
        """End the in-place line with a line break (nothing when there is none)."""
        if self._dirty:
            self._done()
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):  # the terminal is gone (or the stream closed): nothing to tidy
                pass

    def _done(self) -> None:
        self._dirty = False
        if self in _unfinished:
            _unfinished.remove(self)
