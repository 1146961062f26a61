"""Export a run as a small, shareable model: its settings, vocabulary and history, and one model saved as weights
only (no optimizer state: a third of the size). The bundled model is made this way; it opens, generates and
evaluates like any run, and continuing it starts a fresh optimizer."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import RunDirError
from .checkpoints import Manifest, save_model
from .files import BEST, CONFIG, HISTORY, STATE, TEMP_PREFIX, VOCAB
from .rundir import RunDir

COPIED = (CONFIG, VOCAB, STATE, HISTORY)


@dataclass(frozen=True)
class Exported:
    path: Path
    source: Path  # the model file exported
    manifest: Manifest
    bytes: int  # size of the exported folder


def export_run(source: str | Path, dest: str | Path, *, which: str = "best") -> Exported:
    """Write source's `which` model (weights only) and its run files to dest, a folder that must not exist yet.

    Built under a temporary name beside dest and renamed when whole, so a kill leaves no half-written model."""
    run = RunDir.open(source)
    dest = Path(dest)
    if dest.exists():
        raise RunDirError(f"{dest} already exists; export into a new folder")
    if not dest.parent.is_dir():
        raise RunDirError(f"{dest.parent} is not a folder")
    model, manifest, path = run.load_checkpoint(which)  # uncompiled: saving it writes no optimizer state
    tmp = dest.parent / f"{TEMP_PREFIX}export-{os.getpid()}-{dest.name}"
    try:
        tmp.mkdir()
        for name in COPIED:
            if (run.path / name).is_file():
                shutil.copyfile(run.path / name, tmp / name)
        written = save_model(model, tmp / BEST, epochs_done=manifest.epochs_done, global_step=manifest.global_step,
                             kind="best", val_loss=manifest.val_loss, best_val_loss=manifest.best_val_loss)
        size = sum(p.stat().st_size for p in tmp.iterdir())
        os.replace(tmp, dest)
    except OSError as exc:
        raise RunDirError(f"cannot export to {dest}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Exported(dest, path, written, size)
