"""The generator's weights as a plain numpy file (NAME.weights.npz beside NAME.keras): the arrays of
model.get_weights(), in that order, stored without pickle, so generation reads them with numpy alone (no
TensorFlow). The manifest lists the file with its size and sha256, like the model and the resume arrays."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

KEY = "w{:03d}"  # array i of model.get_weights() is stored as w000, w001, ...: the names keep the order


def write_weights(path: Path, weights: Sequence[np.ndarray]) -> None:
    """Write the arrays to path (synced); the caller moves it in place."""
    arrays = {KEY.format(i): np.asarray(w) for i, w in enumerate(weights)}
    if any(a.dtype.hasobject for a in arrays.values()):  # np.load(allow_pickle=False) could not read it back
        raise ValueError("model weights must be numeric arrays")
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())


def read_weights(path: Path) -> list[np.ndarray]:
    """The arrays of a weights file in model.get_weights() order; ValueError when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            names = data.files
            expected = [KEY.format(i) for i in range(len(names))]
            if not names or sorted(names) != expected:
                raise ValueError(f"not a weights file (arrays {', '.join(sorted(names)[:4]) or 'none'})")
            return [data[name] for name in expected]
    except (OSError, zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise ValueError(f"not a weights file ({exc})") from None


def output_size(weights: Sequence[np.ndarray]) -> int:
    """Characters the model predicts: the length of its output layer's bias, the last array of both
    architectures (lstm: logits, seed: probabilities)."""
    return int(np.shape(weights[-1])[-1]) if len(weights) else 0
