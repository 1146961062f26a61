"""A training session that fails: the error said as the user's to fix where it is (a disk that refused a write, a
model too large for memory), and state.json saying why (best effort: the disk may be what failed)."""
from __future__ import annotations

from pathlib import Path

from ..config import ModelConfig
from ..model import memory_error
from ..runs import CONFIG, RunDir
from .callbacks import storage_error


def explained(exc: BaseException, run_path: Path, model_config: ModelConfig, vocab_size: int) -> BaseException:
    """The error to raise for exc: a storage or memory problem in words (a new error), else exc itself."""
    error = storage_error(exc, run_path) if type(exc) is not KeyboardInterrupt else exc
    return memory_error(error, model_config, vocab_size)


def record_failure(run_path: Path, reason: str, epochs_done: int, global_step: int) -> None:
    """state.json says why training ended, when the run exists (never for a run still being created)."""
    if not (Path(run_path) / CONFIG).is_file():
        return
    try:
        RunDir(run_path).write_state(status="failed", detail=reason, epochs_done=epochs_done, global_step=global_step)
    except OSError:
        pass
