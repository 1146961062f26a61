"""Where a stream stands: the batch-1 model state, its next-char logits, recent ids, and how many chars it gave."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .probability import REPETITION_WINDOW, penalise, softmax

CANDIDATES = 5


@dataclass(frozen=True)
class GeneratedChar:
    char: str
    prob: float  # the model's probability of this char at this step
    candidates: tuple[tuple[str, float], ...]  # the 5 most likely chars with their probabilities
    settings: Any = None  # the SamplerSettings this char was chosen with (a running stream's may change)


def top_candidates(probs: np.ndarray, chars: Sequence[str], n: int = CANDIDATES) -> tuple[tuple[str, float], ...]:
    """The n most likely chars of a 1-D row of probabilities, most likely first; never [UNK] (id 0)."""
    top = probs.argsort()[-1: -n - 2: -1].tolist()  # one extra, in case [UNK] is among them
    values = probs.tolist()
    return tuple((chars[i], values[i]) for i in top if i)[:n]


class Cursor:
    """A stream's position. The state is stepped lazily: the id chosen last is fed only when the next
    logits are needed, so a stream that ends has not paid for a step nobody uses, and a continued one
    picks up from exactly where it stopped."""

    def __init__(self, state, logits: np.ndarray, prompt_ids: np.ndarray, chars: Sequence[str],
                 rng: np.random.Generator) -> None:
        self.state = state  # batch 1
        self.logits = np.array(logits, np.float32).reshape(-1)
        self.chars = chars
        self.rng = rng
        self.recent: deque[int] = deque(np.asarray(prompt_ids)[-REPETITION_WINDOW:].tolist(),
                                        maxlen=REPETITION_WINDOW)
        self.emitted = 0
        self.limit: int | None = None  # emitted count to stop at; None: until the caller stops asking
        self._pending: int | None = None
        self._ids = np.zeros(1, np.int64)

    @property
    def finished(self) -> bool:
        return self.limit is not None and self.emitted >= self.limit

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.emitted)

    def next_logits(self) -> np.ndarray:
        """Logits for the next char (1-D; a buffer the next step overwrites)."""
        if self._pending is not None:
            self._ids[0], self._pending = self._pending, None
            self.logits = self.state.step(self._ids)[0]
        return self.logits

    def penalised(self, logits: np.ndarray, penalty: float) -> np.ndarray:
        seen = np.zeros(len(logits), bool)
        seen[list(self.recent)] = True
        return penalise(logits, seen, penalty)

    def advance(self, idx: int, model_probs: np.ndarray, settings: Any) -> GeneratedChar:
        """Take char idx (chosen from model_probs' step) and queue it as the model's next input."""
        self._pending = idx
        return self.record(idx, model_probs, settings)

    def record(self, idx: int, model_probs: np.ndarray, settings: Any) -> GeneratedChar:
        """Count a char as output without feeding it (beam search feeds its own rows)."""
        self.recent.append(idx)
        self.emitted += 1
        return GeneratedChar(self.chars[idx], float(model_probs[idx]), top_candidates(model_probs, self.chars),
                             settings)

    def adopt(self, state, logits: np.ndarray) -> None:
        """Continue from another state (beam search hands back its best hypothesis)."""
        self.state, self.logits, self._pending = state, np.array(logits, np.float32).reshape(-1), None

    def replay(self, ids: Sequence[int]) -> None:
        """Feed ids that were already counted as output (beam search rewinding to the shown text)."""
        for idx in ids:
            self.next_logits()
            self._pending = int(idx)

    def feed(self, ids: Sequence[int]) -> None:
        """Append ids the user chose (not counted as generated): the model reads them, nothing is sampled."""
        for idx in ids:
            self.next_logits()
            self._pending = int(idx)
            self.recent.append(int(idx))

    def candidates(self) -> tuple[tuple[str, float], ...]:
        """The most likely next chars from here, with the model's probabilities."""
        return top_candidates(softmax(self.next_logits()), self.chars)
