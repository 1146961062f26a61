"""A run's saved models (mixed into RunDir): which files to try, the run's counters from their manifests, and
loading them safely, skipping damaged files: as Keras models (training, evaluation, export) or as numpy weights
alone (generation: no TensorFlow). A model saved before chargen wrote numpy weights is read through Keras once
and its weights file written then, so later loads need no Keras."""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RunDirError, first_line
from .atomic import atomic_write_json, fsync_dir, temp_name
from .checkpoints import Manifest, file_entry, list_checkpoints, read_manifest, verify
from .files import BEST, MODEL, VOCAB, damaged, manifest_path, weights_path
from .lock import RunLock
from .weights import output_size, read_weights, write_weights

if TYPE_CHECKING:
    import numpy as np

    from ..data import Vocab


@dataclass(frozen=True)
class RunProgress:
    epochs_done: int
    global_step: int
    best_val_loss: float | None


class Unusable(Exception):
    """A model file that cannot be used (damaged, unreadable); the loaders fall back past it."""


class RunModels:
    """The model half of RunDir: needs its path, notices, vocab and history."""

    path: Path
    notices: list[str]
    vocab: "Vocab"

    def history(self) -> list[dict]:
        raise NotImplementedError

    @property
    def best_path(self) -> Path:
        return self.path / BEST

    @property
    def last_path(self) -> Path:
        return self.path / MODEL

    def progress(self) -> RunProgress:
        """The run's counters (epochs done, global step, best validation loss) from the newest intact checkpoint's
        manifest: the one source of truth, which resume restores (history.jsonl may hold one more line)."""
        for path in [*self.candidates("last"), self.best_path]:  # a packaged run may ship best.keras alone
            manifest = read_manifest(path)
            if manifest is not None and path.is_file() and path.stat().st_size == manifest.size:
                return self.progress_of(manifest)
        return RunProgress(0, 0, None)

    def progress_of(self, manifest: Manifest) -> RunProgress:
        best = manifest.best_val_loss
        if best is None:  # a manifest written before chargen kept the best in it: the history has it
            losses = [r["val_loss"] for r in self.history()[: manifest.epochs_done]
                      if isinstance(r.get("val_loss"), (int, float)) and math.isfinite(r["val_loss"])]
            best = min(losses) if losses else None
        return RunProgress(manifest.epochs_done, manifest.global_step, best)

    def has_checkpoint(self) -> bool:
        """Whether any model was ever saved here (damaged or not): a run without one can only start over."""
        return any(path.exists() or manifest_path(path).exists() for path in self.candidates("best"))

    def candidates(self, which: str = "last") -> list[Path]:
        """Model files to try, best guess first."""
        if which not in ("best", "last"):
            raise ValueError(f"which must be 'best' or 'last', got {which!r}")
        last = [self.last_path, *list_checkpoints(self.path)]
        steps = {p: (read_step(p), p != self.last_path) for p in last}
        last.sort(key=lambda p: steps[p], reverse=True)  # newest step first; checkpoints win ties
        if which == "last" and not any(p.exists() or manifest_path(p).exists() for p in last):
            return [self.best_path]  # weights only: the installed bundled model ships best.keras alone
        return [self.best_path, *last] if which == "best" else last

    # Keras models -----------------------------------------------------------------------------------
    def load_checkpoint(self, which: str = "last", *, compile: bool = False):
        """(model, manifest, path) of the newest file that verifies and loads; damaged ones are skipped."""
        return self._first_usable(which, lambda path: self._keras_model(path, compile))

    def load_model(self, which: str = "best", *, compile: bool = False):
        """The model, loaded in Keras safe mode; falls back past damaged files (see .notices)."""
        return self.load_checkpoint(which, compile=compile)[0]

    def _keras_model(self, path: Path, compile: bool = False):
        """(model, manifest) of one file that verifies and loads; raises Unusable."""
        manifest, problem = verify(path)
        if problem is not None:
            raise Unusable(problem)
        import keras

        from ..model import CarryLSTM  # noqa: F401  (registers the layer new runs save)

        try:
            # Safe mode: no pickle, no arbitrary code from the file.
            model = keras.models.load_model(path, safe_mode=True, compile=compile)
        except Exception as exc:  # a file that verifies but will not load is damaged too
            raise Unusable(f"cannot load: {first_line(exc)}") from None
        self._check_vocab(int(model.output_shape[-1]), path)
        return model, manifest

    # numpy weights (no TensorFlow) ------------------------------------------------------------------
    def load_weights(self, which: str = "best") -> "tuple[list[np.ndarray], Manifest, Path]":
        """(weights, manifest, path) of the newest model that verifies (its file and companions, the numpy weights
        among them); damaged ones are skipped as load_checkpoint skips them (see .notices). Weights are in
        model.get_weights() order."""
        return self._first_usable(which, self._numpy_weights)

    def load_weights_at(self, model_path: str | Path) -> "list[np.ndarray]":
        """The numpy weights saved with one model file (e.g. a CheckpointSaved path), verified; no fallback."""
        path = Path(model_path)
        try:
            return self._numpy_weights(path)[0]
        except Unusable as exc:
            raise damaged(path, str(exc)) from None

    def _numpy_weights(self, path: Path) -> "tuple[list[np.ndarray], Manifest]":
        # The model file and all its companions are checked, as for Keras: every reader skips the same files, so
        # `chargen generate` and `chargen eval` use the same model (a few milliseconds of hashing).
        manifest, problem = verify(path)
        if problem is not None:
            raise Unusable(problem)
        if manifest.weights is None:  # saved before chargen wrote numpy weights
            return self._convert(path)
        try:
            weights = read_weights(path.with_name(manifest.weights["file"]))
        except ValueError as exc:
            raise Unusable(f"{manifest.weights['file']}: {first_line(exc)}") from None
        self._check_vocab(output_size(weights), path)
        return weights, manifest

    def _convert(self, path: Path) -> "tuple[list[np.ndarray], Manifest]":
        """Weights of a model saved without numpy ones, read through Keras; written beside it (with its manifest
        updated) when this process may write the run, so this happens once."""
        from ..model import quiet_native_stderr

        with quiet_native_stderr():  # TensorFlow's start-up lines, on a terminal or over the app's screen
            model, manifest = self._keras_model(path)
        weights = model.get_weights()
        return weights, self._save_converted(path, manifest, weights)

    def _save_converted(self, path: Path, manifest: Manifest, weights) -> Manifest:
        """Add the weights file to path's manifest under the run's lock. A run another process is writing (a live
        trainer holds the lock) or a folder this process cannot write is left as it is: the weights are used
        from memory this time."""
        if not all(os.access(folder, os.W_OK | os.X_OK) for folder in {self.path, path.parent}):
            return manifest
        try:
            lock = RunLock(self.path).acquire()
        except RunDirError:
            return manifest
        numpy_path = weights_path(path)
        tmp = temp_name(numpy_path)
        try:
            if read_manifest(path) != manifest:  # replaced since it was read: leave the new one alone
                return manifest
            write_weights(tmp, weights)
            converted = replace(manifest, weights=file_entry(tmp, numpy_path.name))
            os.replace(tmp, numpy_path)
            fsync_dir(path.parent)
            atomic_write_json(manifest_path(path), asdict(converted))  # the manifest names the file last
            return converted
        except OSError:  # a full disk: the weights still serve from memory
            return manifest
        finally:
            tmp.unlink(missing_ok=True)
            lock.release()

    # shared -----------------------------------------------------------------------------------------
    def _first_usable(self, which: str, load):
        """(loaded, manifest, path) of the first candidate load(path) -> (loaded, manifest) accepts; the damaged
        ones before it are said in .notices."""
        tried = []
        for path in self.candidates(which):
            try:
                loaded, manifest = load(path)
            except Unusable as exc:
                if path.exists() or manifest_path(path).exists():
                    tried.append(f"{path.name} is damaged ({exc})")
                continue
            if tried:
                self.notices.append(f"{'; '.join(tried)}; using {path.name} (step {manifest.global_step})")
            return loaded, manifest, path
        detail = f" ({'; '.join(tried)})" if tried else ""
        raise RunDirError(f"{self.path} has no usable model{detail}")

    def _check_vocab(self, outputs: int, path: Path) -> None:
        """A model and a vocabulary of different sizes are two runs mixed up: refuse, never score or sample it."""
        if outputs != self.vocab.size:
            raise RunDirError(f"{path} predicts {outputs} characters but {self.path / VOCAB} has {self.vocab.size}: "
                              "the model and vocabulary come from different runs")


def read_step(path: Path) -> int:
    manifest = read_manifest(path)
    return manifest.global_step if manifest else -1
