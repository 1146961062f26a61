"""Samplers: one base owning the per-character loop and the temperature; each strategy overrides choose().

Beam search overrides the loop itself (beam.py); strategies.py gives the sampler for a strategy's name.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from .probability import draw, softmax
from .settings import LiveSettings, SamplerSettings

if TYPE_CHECKING:
    from .cursor import Cursor, GeneratedChar


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
