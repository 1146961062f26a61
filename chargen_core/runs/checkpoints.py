""".keras checkpoints with a JSON manifest beside each (size, sha256 and the run's counters), so a damaged or
half-written model file is detected and skipped instead of loaded. A checkpoint may have a companion file of
arrays (NAME.resume.npz: what continuing the run exactly needs beyond the weights and optimizer); its manifest
lists it with its own size and sha256, and it is published, pruned and verified together with its checkpoint. So
is NAME.weights.npz, the weights alone as numpy arrays (weights.py), which generation reads without TensorFlow."""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .atomic import atomic_write_json, copy_file, fsync_dir, temp_name
from .files import CHECKPOINT_DIR, CHECKPOINT_GLOB, manifest_path, resume_state_path, weights_path
from .weights import write_weights

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
    resume_state: dict | None = None  # {"file", "size", "sha256"} of the companion arrays (None: there are none)
    weights: dict | None = None  # {"file", "size", "sha256"} of NAME.weights.npz (None: saved before chargen wrote it)


def file_entry(path: Path, name: str | None = None) -> dict:
    """A companion file's manifest entry: {"file", "size", "sha256"} (name: the file's final name)."""
    return {"file": name or path.name, "size": path.stat().st_size, "sha256": sha256_file(path)}


def _write_arrays(path: Path, arrays: dict) -> dict:
    """Write arrays as an .npz file (synced); returns its {"file", "size", "sha256"} for a manifest."""
    import numpy as np

    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    return file_entry(path)


def save_model(model, path: Path, *, epochs_done: int, global_step: int, kind: str,
               val_loss: float | None = None, best_val_loss: float | None = None,
               resume_state: dict | None = None) -> Manifest:
    """Save model + optimizer, its weights as numpy arrays (and resume_state's arrays) beside it atomically, then
    the manifest; a crash in between leaves no manifest (ignored)."""
    path = Path(path)
    tmp, state_path, numpy_path = temp_name(path), resume_state_path(path), weights_path(path)
    state_tmp, numpy_tmp = temp_name(state_path), temp_name(numpy_path)
    try:
        model.save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        write_weights(numpy_tmp, model.get_weights())
        numpy_entry = file_entry(numpy_tmp, numpy_path.name)
        state = None
        if resume_state is not None:
            state = {**_write_arrays(state_tmp, resume_state), "file": state_path.name}
        manifest = Manifest(path.name, tmp.stat().st_size, sha256_file(tmp), epochs_done, global_step, kind,
                            val_loss, time.time(), best_val_loss, state, numpy_entry)
        manifest_path(path).unlink(missing_ok=True)  # never pair an old manifest with a new file
        os.replace(tmp, path)
        os.replace(numpy_tmp, numpy_path)
        if state is not None:
            os.replace(state_tmp, state_path)
        else:
            state_path.unlink(missing_ok=True)
    finally:
        for leftover in (tmp, state_tmp, numpy_tmp):
            leftover.unlink(missing_ok=True)
    fsync_dir(path.parent)
    atomic_write_json(manifest_path(path), asdict(manifest))
    return manifest


def publish(manifest: Manifest, src: Path, dst: Path, kind: str) -> Manifest:
    """Make dst (e.g. model.keras) a copy of the checkpoint src, with its own manifest."""
    manifest_path(dst).unlink(missing_ok=True)  # never pair the old manifest with the new file
    copy_file(src, dst)
    companions = {}
    for field, companion in (("resume_state", resume_state_path(dst)), ("weights", weights_path(dst))):
        entry = getattr(manifest, field)
        if entry is not None:
            copy_file(Path(src).with_name(entry["file"]), companion)
            entry = {**entry, "file": companion.name}
        else:
            companion.unlink(missing_ok=True)
        companions[field] = entry
    published = Manifest(**{**asdict(manifest), "file": dst.name, "kind": kind, **companions})
    atomic_write_json(manifest_path(dst), asdict(published))
    return published


def read_manifest(model_path: Path) -> Manifest | None:
    try:
        data = json.loads(manifest_path(model_path).read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not all(_entry_ok(entry) for entry in (manifest.resume_state, manifest.weights)):
        return None
    return manifest


def _entry_ok(entry) -> bool:
    """A companion file's entry is None or {"file": a name in the same folder, "size": int, "sha256": str}."""
    if entry is None:
        return True
    name = entry.get("file") if isinstance(entry, dict) else None
    return (isinstance(name, str) and name not in ("", ".", "..") and not {"/", "\\"} & set(name)
            and isinstance(entry.get("size"), int) and isinstance(entry.get("sha256"), str))


def read_resume_state(model_path: Path, manifest: Manifest) -> dict | None:
    """The arrays saved beside model_path (checked by verify), or None when it has none."""
    if manifest.resume_state is None:
        return None
    import numpy as np

    with np.load(Path(model_path).with_name(manifest.resume_state["file"]), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def verify(model_path: Path) -> tuple[Manifest | None, str | None]:
    """(manifest, None) when the file matches its manifest, else (manifest or None, why not)."""
    model_path = Path(model_path)
    manifest = read_manifest(model_path)
    if manifest is None:
        return None, "no readable manifest"
    problem = _file_problem(model_path, manifest.size, manifest.sha256)
    for entry in (manifest.resume_state, manifest.weights):
        if problem is None:
            problem = _companion_problem(model_path, entry)
    return manifest, problem


def _companion_problem(model_path: Path, entry: dict | None) -> str | None:
    """Why the companion file an entry of model_path's manifest lists does not match it (None: it does)."""
    if entry is None:
        return None
    problem = _file_problem(Path(model_path).with_name(entry["file"]), entry["size"], entry["sha256"])
    return problem and f"{entry['file']}: {problem}"


def _file_problem(path: Path, size: int, sha256: str) -> str | None:
    if not path.is_file():
        return "file missing"
    actual = path.stat().st_size
    if actual != size:
        return f"size {actual} bytes, expected {size}"
    if sha256_file(path) != sha256:
        return "checksum mismatch"
    return None


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
        resume_state_path(old).unlink(missing_ok=True)
        weights_path(old).unlink(missing_ok=True)
