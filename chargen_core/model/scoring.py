"""A Keras model's log-probabilities of a text's characters, read the way its architecture reads text: the
sequence LSTM with long contiguous context, the window model from the `window` characters before each one.
Evaluation turns these into nats/char; the model is only called, so nothing here imports Keras."""
from __future__ import annotations

import numpy as np

from ..data import EVAL_CONTEXT, context_pieces

BATCH = 64  # rows per model call


def log_probs(model, x: np.ndarray, logits: bool) -> np.ndarray:
    """Log-probabilities (float64) of model(x), from logits or from probabilities."""
    out = np.asarray(model(x, training=False), dtype=np.float64)
    if not logits:
        return np.log(np.maximum(out, 1e-30))
    out -= out.max(axis=-1, keepdims=True)
    return out - np.log(np.exp(out).sum(axis=-1, keepdims=True))


def sequence_nll(model, ids: np.ndarray, seq_len: int, logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """(-log p(target), target) for every character after the first: the text is read in pieces of EVAL_CONTEXT
    characters (seq_len if longer), each scored with everything before it in the piece as context."""
    nll, targets = [], []
    for xs, ys in context_pieces(ids, max(seq_len, EVAL_CONTEXT)):
        for start in range(0, len(xs), BATCH):
            x, y = xs[start:start + BATCH], ys[start:start + BATCH]
            lp = log_probs(model, x, logits)
            nll.append(-np.take_along_axis(lp, y[..., None], axis=-1)[..., 0].ravel())
            targets.append(y.ravel())
    return np.concatenate(nll), np.concatenate(targets)


def window_nll(model, ids: np.ndarray, window: int, logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """(-log p(target), target) for every character after the first `window`, each read from the `window`
    characters before it."""
    windows = np.lib.stride_tricks.sliding_window_view(ids[:-1], window)
    targets = ids[window:]
    nll = []
    for start in range(0, len(windows), BATCH * 8):
        lp = log_probs(model, np.ascontiguousarray(windows[start:start + BATCH * 8]), logits)
        nll.append(-lp[np.arange(len(lp)), targets[start:start + BATCH * 8]])
    return np.concatenate(nll), targets
