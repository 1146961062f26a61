"""Samplers: one base owning the per-character loop and the temperature; each strategy overrides choose().

Beam search overrides the loop itself (chargen_core.beam). The settings types live in chargen_core.settings
and are re-exported here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from .settings import COMPARE_SET, STRATEGIES, LiveSettings, SamplerSettings  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from .cursor import Cursor, GeneratedChar

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


class Sampler:
    """Owns the loop: before each character it checks the live handle and hands back when the settings
    changed (the driver then builds the sampler for the new settings, from the same cursor). It also owns the
    temperature: choose() gets probabilities already tempered, computed from the logits."""

    def __init__(self, settings: SamplerSettings):
        self.settings = settings
        self.temperature = settings.temperature or 1.0  # greedy ignores it; T = 0 is made greedy

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits, self.temperature)

    def choose(self, probs: np.ndarray, rng: np.random.Generator) -> int:
        """The strategy: one id from a 1-D row of tempered probabilities."""
        raise NotImplementedError

    def next_id(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        return self.choose(self.probabilities(logits), rng)

    def run(self, cursor: "Cursor", live: LiveSettings, version: int) -> Iterator["GeneratedChar"]:
        """Sample until the cursor's length is reached or the handle moves past `version`."""
        penalty = self.settings.repetition_penalty
        while not cursor.finished and live.version == version:
            logits = cursor.next_logits()
            model = softmax(logits)  # the model's own probabilities: reported with each char
            scores = cursor.penalised(logits, penalty) if penalty != 1.0 else logits
            tempered = model if scores is logits and self.temperature == 1.0 else self.probabilities(scores)
            yield cursor.advance(self.choose(tempered, cursor.rng), model, self.settings)


class GreedySampler(Sampler):
    def choose(self, probs, rng):
        return int(probs.argmax())


class TemperatureSampler(Sampler):
    def choose(self, probs, rng):
        return draw(probs, rng)


class TopKSampler(Sampler):
    def choose(self, probs, rng):
        k = self.settings.k
        if k >= len(probs):
            return draw(probs, rng)
        top = probs.argpartition(-k)[-k:]
        return int(top[draw(probs[top], rng)])


class TopPSampler(Sampler):
    def choose(self, probs, rng):
        order = (-probs).argsort()
        cdf = np.add.accumulate(probs[order])
        # Rank r is kept when the mass before it is < p·total: a count of cdf entries below p·total, plus one.
        keep = min(int(cdf.searchsorted(self.settings.p * cdf[-1])) + 1, len(cdf))
        pick = int(cdf[:keep].searchsorted(rng.random() * cdf[keep - 1], "right"))
        return int(order[min(pick, keep - 1)])


class MinPSampler(Sampler):
    def choose(self, probs, rng):
        floor = self.settings.min_p * probs.max()
        return draw(np.where(probs >= floor, probs, 0.0), rng)


_SAMPLERS = {
    "greedy": GreedySampler,
    "temperature": TemperatureSampler,
    "top-k": TopKSampler,
    "top-p": TopPSampler,
    "min-p": MinPSampler,
}


def make_sampler(settings: SamplerSettings) -> Sampler:
    """The sampler for (validated) settings; temperature 0 is greedy for every sampling strategy."""
    if settings.strategy == "beam":
        from .beam import BeamSampler

        return BeamSampler(settings)
    if settings.temperature == 0:
        return GreedySampler(settings)
    return _SAMPLERS[settings.strategy](settings)


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
