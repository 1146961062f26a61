"""The files of a run directory, named in one place: the trainer writes them, everything else reads them; and
how a reader reports one it cannot use.

RUN/config.json, vocab.json, history.jsonl, state.json, events.jsonl, train.log, model.keras + model.json,
best.keras + best.json, checkpoints/ckpt-<step>.keras + .json (+ .weights.npz, .resume.npz), .lock, logs/
(TensorBoard); .tmp-* are half-written files.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RunDirError

CONFIG = "config.json"  # settings, written last when a run is created: its presence marks a run
VOCAB = "vocab.json"  # the vocabulary (chargen_core.data.Vocab)
HISTORY = "history.jsonl"  # one line per finished epoch
EVENTS = "events.jsonl"  # append-only: what the trainer reports as it trains, followed by the app and `chargen runs`
TRAIN_LOG = "train.log"  # stdout and stderr of a trainer started in the background (by the app or --background)
STATE = "state.json"  # where the run stands: running, completed, stopped, failed ... and its counters
MODEL = "model.keras"  # the latest model (epoch end, stop or finish), optimizer state included
BEST = "best.keras"  # the model with the lowest validation loss so far
CHECKPOINT_DIR = "checkpoints"  # step checkpoints, the newest KEEP of them
LOCK_FILE = ".lock"  # held by the one process writing the run
LOGS = "logs"  # TensorBoard logs (--tensorboard)
TEMP_PREFIX = ".tmp-"  # files being written; a killed process may leave them, they never replace a real file
MANIFEST_SUFFIX = ".json"  # model.keras -> model.json: its size, checksum and counters
WEIGHTS_SUFFIX = ".weights.npz"  # model.keras -> model.weights.npz: the weights alone, read by numpy (no TensorFlow)
RESUME_SUFFIX = ".resume.npz"  # model.keras -> model.resume.npz: carried state, epoch metrics, dropout generators


def damaged(path: Path, problem: str) -> RunDirError:
    """How every reader of a run reports a file it cannot use: one line, bad input (exit 2), never a traceback."""
    return RunDirError(f"this run is damaged: {path}: {problem}")


def manifest_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(MANIFEST_SUFFIX)


def weights_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(WEIGHTS_SUFFIX)


def resume_state_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(RESUME_SUFFIX)


def checkpoint_name(global_step: int) -> str:
    return f"ckpt-{global_step:09d}.keras"


CHECKPOINT_GLOB = "ckpt-*.keras"
