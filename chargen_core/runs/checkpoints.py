""".keras checkpoints with a JSON manifest beside each (size, sha256 and the run's counters), so a damaged or
half-written model file is detected and skipped instead of loaded."""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .atomic import atomic_write_json, copy_file, fsync_dir, temp_name
from .files import CHECKPOINT_DIR, CHECKPOINT_GLOB, manifest_path

KEEP = 2  # checkpoints kept, so a damaged latest one falls back to the previous good one


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    file: str  # name of the .keras file, same folder
    size: int
    sha256: str
    epochs_done: int  # completed epochs when saved (resume starts at this epoch)
    global_step: int  # optimizer steps when saved
    kind: str  # "epoch" | "step" | "stop" | "best" | "final"
    val_loss: float | None = None
    saved_at: float = 0.0
    best_val_loss: float | None = None  # the lowest epoch-end validation loss of the run so far (None: unknown)


def save_model(model, path: Path, *, epochs_done: int, global_step: int, kind: str,
               val_loss: float | None = None, best_val_loss: float | None = None) -> Manifest:
    """Save model + optimizer atomically, then its manifest; a crash in between leaves no manifest (ignored)."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        model.save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        manifest = Manifest(path.name, tmp.stat().st_size, sha256_file(tmp), epochs_done, global_step, kind,
                            val_loss, time.time(), best_val_loss)
        manifest_path(path).unlink(missing_ok=True)  # never pair an old manifest with a new file
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    atomic_write_json(manifest_path(path), asdict(manifest))
    return manifest


def publish(manifest: Manifest, src: Path, dst: Path, kind: str) -> Manifest:
    """Make dst (e.g. model.keras) a copy of the checkpoint src, with its own manifest."""
    manifest_path(dst).unlink(missing_ok=True)  # never pair the old manifest with the new file
    copy_file(src, dst)
    published = Manifest(**{**asdict(manifest), "file": dst.name, "kind": kind})
    atomic_write_json(manifest_path(dst), asdict(published))
    return published


def read_manifest(model_path: Path) -> Manifest | None:
    try:
        data = json.loads(manifest_path(model_path).read_text(encoding="utf-8"))
        return Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None


def verify(model_path: Path) -> tuple[Manifest | None, str | None]:
    """(manifest, None) when the file matches its manifest, else (manifest or None, why not)."""
    model_path = Path(model_path)
    manifest = read_manifest(model_path)
    if manifest is None:
        return None, "no readable manifest"
    if not model_path.is_file():
        return manifest, "file missing"
    size = model_path.stat().st_size
    if size != manifest.size:
        return manifest, f"size {size} bytes, expected {manifest.size}"
    if sha256_file(model_path) != manifest.sha256:
        return manifest, "checksum mismatch"
    return manifest, None


def list_checkpoints(run_path: Path) -> list[Path]:
    """Checkpoint files, newest (highest step) first."""
    folder = Path(run_path) / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob(CHECKPOINT_GLOB)), reverse=True)


def prune(run_path: Path, keep: int = KEEP) -> None:
    for old in list_checkpoints(run_path)[keep:]:
        manifest_path(old).unlink(missing_ok=True)
        old.unlink(missing_ok=True)
