"""The probability maths of sampling: softmax from logits (tempered), log-softmax, one draw from a row of
weights, and the repetition penalty (on one row, or on every row of a beam)."""
from __future__ import annotations

import numpy as np

# The repetition penalty looks at this many most recent characters (prompt included).
REPETITION_WINDOW = 32


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of logits / temperature over the last axis, computed from the logits (so nothing that is
    representable after tempering underflows before it); -inf logits get probability 0."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    if temperature != 1.0:
        shifted = shifted * (1.0 / temperature)
    out = np.exp(shifted)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row log-probabilities; -inf logits stay -inf."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def draw(weights: np.ndarray, rng: np.random.Generator) -> int:
    """One index from a 1-D row of non-negative weights, by inverting the CDF at one uniform."""
    cdf = np.add.accumulate(weights)  # np.cumsum's Python wrapper costs more than the ufunc
    return min(int(cdf.searchsorted(rng.random() * cdf[-1], "right")), len(cdf) - 1)


def penalise(logits: np.ndarray, seen: np.ndarray, penalty: float) -> np.ndarray:
    """CTRL-style repetition penalty on the ids where the boolean mask `seen` is set: positive logits are
    divided by it, negative ones multiplied, so a seen character gets less likely whatever its sign."""
    scaled = np.where(logits > 0, logits / penalty, logits * penalty)
    return np.where(seen, scaled, logits)


class RepetitionPenalty:
    """Which characters each of `batch` rows saw in its last REPETITION_WINDOW chars (beam search's rows)."""

    def __init__(self, batch: int, vocab_size: int, history) -> None:
        self.counts = np.zeros((batch, vocab_size), np.int32)
        self.ring = np.full((batch, REPETITION_WINDOW), -1, np.int64)
        self.pos = 0
        for idx in list(history)[-REPETITION_WINDOW:]:
            self.push(np.full(batch, idx))

    def push(self, ids: np.ndarray) -> None:
        rows = np.arange(len(ids))
        old = self.ring[:, self.pos]
        seen = old >= 0
        self.counts[rows[seen], old[seen]] -= 1
        self.counts[rows, ids] += 1
        self.ring[:, self.pos] = ids
        self.pos = (self.pos + 1) % REPETITION_WINDOW

    def reorder(self, parents: np.ndarray) -> None:
        """Row r takes the history of row parents[r]."""
        self.counts = self.counts[parents]
        self.ring = self.ring[parents]

    def apply(self, logits: np.ndarray, penalty: float) -> np.ndarray:
        """New logits (batch, V) with the penalty applied to every row's seen characters."""
        return penalise(logits, self.counts > 0, penalty)
