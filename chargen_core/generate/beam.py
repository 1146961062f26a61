"""Streaming beam search: keeps B hypotheses, emits the prefix all live beams share as soon as they agree."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .probability import RepetitionPenalty, log_softmax, softmax
from .samplers import Sampler


def length_normaliser(length: int, alpha: float) -> float:
    """GNMT length penalty ((5 + len) / 6) ** alpha; alpha 0 turns normalisation off."""
    return ((5.0 + length) / 6.0) ** alpha if alpha else 1.0


@dataclass(frozen=True)
class BeamToken:
    """One emitted position: its step, the row whose distribution produced it at that step, and the id."""

    step: int
    row: int
    id: int


class BeamSearch:
    """Beam search bookkeeping over `width` rows of a batched model; the caller owns the model state.

    Each advance() takes log-probabilities (width, V) for every row, keeps the `width` best continuations
    and returns parents (width,) and ids (width,): row r continues from row parents[r] with ids[r], so the
    caller reorders its state rows by parents, then feeds ids. Only the positions not yet emitted are kept
    per row, so agreement is checked on new columns only. Every hypothesis has the same length (one id per
    step), so `length_penalty` rescales the reported score without changing the ranking.
    """

    def __init__(self, width: int, length_penalty: float = 0.0):
        self.width = width
        self.length_penalty = length_penalty
        # Only row 0 is live at the start: the rows are copies of one primed state.
        self.scores = np.full(width, -np.inf)
        self.scores[0] = 0.0
        self.steps = 0
        self.emitted = 0
        self._ids = np.zeros((width, 16), np.int64)  # pending (not yet emitted) ids per row
        self._src = np.zeros((width, 16), np.int64)  # the row whose distribution produced each of them

    def advance(self, logp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vocab = logp.shape[1]
        total = (self.scores[:, None] + logp).ravel()
        if len(total) > self.width:
            best = np.argpartition(-total, self.width - 1)[: self.width]
        else:
            best = np.arange(len(total))
        best = best[np.argsort(-total[best], kind="stable")]
        parents, ids = best // vocab, best % vocab
        self.scores = total[best]
        pending = self.steps - self.emitted
        if pending == self._ids.shape[1]:
            self._ids = np.concatenate([self._ids, np.zeros_like(self._ids)], axis=1)
            self._src = np.concatenate([self._src, np.zeros_like(self._src)], axis=1)
        self._ids[:, :pending] = self._ids[parents, :pending]
        self._src[:, :pending] = self._src[parents, :pending]
        self._ids[:, pending] = ids
        self._src[:, pending] = parents
        self.steps += 1
        return parents, ids

    def live(self) -> np.ndarray:
        return np.flatnonzero(np.isfinite(self.scores))

    def best_row(self) -> int:
        return int(np.argmax(self.scores))

    def score(self, row: int | None = None) -> float:
        """Normalised log-probability of a hypothesis (the best one by default)."""
        row = self.best_row() if row is None else row
        return float(self.scores[row]) / length_normaliser(self.steps, self.length_penalty)

    def _take(self, row: int, count: int) -> list[BeamToken]:
        tokens = [BeamToken(self.emitted + j, int(self._src[row, j]), int(self._ids[row, j])) for j in range(count)]
        pending = self.steps - self.emitted
        self._ids[:, : pending - count] = self._ids[:, count:pending].copy()
        self._src[:, : pending - count] = self._src[:, count:pending].copy()
        self.emitted += count
        return tokens

    def agreed(self) -> list[BeamToken]:
        """Newly agreed tokens (possibly none): positions every live beam now shares.

        Live hypotheses that agree on every earlier position and on this id share the whole prefix,
        hence the same model state and distribution, so any of them can report it.
        """
        live = self.live()
        block = self._ids[live, : self.steps - self.emitted]
        count = 0
        while count < block.shape[1] and (block[:, count] == block[0, count]).all():
            count += 1
        return self._take(int(live[0]), count) if count else []

    def commit_oldest(self) -> None:
        """Drop the hypotheses that disagree with the best one on the oldest undecided id, so agreed() emits
        it: bounds how far the search runs ahead of the text (and its memory) when beams keep disagreeing."""
        best = self.best_row()
        self.scores = np.where(self._ids[:, 0] == self._ids[best, 0], self.scores, -np.inf)

    def finish(self) -> list[BeamToken]:
        """The rest of the best hypothesis, after the last step."""
        return self._take(self.best_row(), self.steps - self.emitted)


# A streaming beam never holds more than this many undecided chars: the text keeps coming, a key pressed
# mid-stream takes effect within this many chars, and a stream "until Esc" stays bounded in memory.
MAX_DELAY = 16


class BeamSampler(Sampler):
    """Beam search as a sampler: it overrides the loop, stepping `beams` rows of the stream's state at once.

    Agreed characters stream as soon as every live beam shares them; beams that disagree for more than
    MAX_DELAY chars give way to the best one's oldest choice. In and out of a running stream: it
    starts from the stream's current state (all rows copies of it); when the live settings change (or the
    length is reached) it commits the best hypothesis so far — its undecided characters are emitted — and
    hands that row's state back, so the next strategy continues from the text the user sees.
    """

    def run(self, cursor, live, version):
        width, penalty = self.settings.beams, self.settings.repetition_penalty
        search = BeamSearch(width, self.settings.length_penalty)
        cursor.next_logits()  # feed any pending char before branching
        state = cursor.state.tile(width)
        logits = np.repeat(cursor.logits[None], width, axis=0)
        history = RepetitionPenalty(width, logits.shape[1], cursor.recent) if penalty != 1.0 else None
        probs_at: dict[int, np.ndarray] = {}  # step -> (width, V) model probabilities, until emitted
        # Where the emitted text ends, as a state: if the caller stops mid-beam (Esc, a stop string), the
        # stream must continue from what it showed, not from a hypothesis that ran ahead.
        mark, since = (cursor.state, cursor.logits.copy()), []
        budget = cursor.remaining
        try:
            while (budget is None or search.steps < budget) and live.version == version:
                probs = softmax(logits)
                scores = history.apply(logits, penalty) if history else logits
                parents, ids = search.advance(log_softmax(scores))
                probs_at[search.steps - 1] = probs
                state.reorder(slice(None), parents)
                if history:
                    history.reorder(parents)
                    history.push(ids)
                logits = state.step(ids).copy()
                if search.steps - search.emitted > MAX_DELAY:
                    search.commit_oldest()
                for token in search.agreed():
                    since.append(token.id)
                    yield cursor.record(token.id, probs_at.pop(token.step)[token.row], self.settings)
                if search.emitted == search.steps:  # every row sits exactly at the emitted text
                    mark, since = (state.row(0), logits[0].copy()), []
            best = search.best_row()
            for token in search.finish():
                since.append(token.id)
                yield cursor.record(token.id, probs_at.pop(token.step)[token.row], self.settings)
            cursor.adopt(state.row(best), logits[best])
        except GeneratorExit:
            cursor.adopt(*mark)
            cursor.replay(since)
            raise
