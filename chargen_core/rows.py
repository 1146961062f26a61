"""Several strategies in one batch: one sampled row per sampler and B rows per beam, one forward pass per step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .beam import BeamSearch
from .sampling import RepetitionPenalty, Sampler, SamplerSettings, log_softmax, make_sampler, softmax

CANDIDATES = 5


@dataclass(frozen=True)
class GeneratedChar:
    char: str
    prob: float  # the model's probability of this char at this step
    candidates: tuple[tuple[str, float], ...]  # the 5 most likely chars with their probabilities


def top_candidates(weights: np.ndarray, chars: Sequence[str], total: float = 1.0,
                   n: int = CANDIDATES) -> tuple[tuple[str, float], ...]:
    """The n most likely chars of a row of weights (probabilities × total), most likely first; no [UNK]."""
    top = weights.argsort()[-1: -n - 2: -1].tolist()  # one extra, in case [UNK] (id 0) is among them
    values, scale = weights.tolist(), 1.0 / total
    return tuple((chars[i], values[i] * scale) for i in top if i)[:n]


def _char(probs: np.ndarray, idx: int, chars: Sequence[str]) -> GeneratedChar:
    return GeneratedChar(chars[idx], float(probs[idx]), top_candidates(probs, chars))


class _Beam:
    """A beam entry's rows [start, start+width) and the per-step probabilities its tokens need later."""

    def __init__(self, entry: int, start: int, settings: SamplerSettings):
        self.entry, self.rows = entry, slice(start, start + settings.beams)
        self.search = BeamSearch(settings.beams, settings.length_penalty)
        self.probs: dict[int, np.ndarray] = {}  # step -> (width, V) distributions, until emitted


class RowEngine:
    """Primes once, tiles the state to one row per sampler plus `beams` rows per beam entry, then steps."""

    def __init__(self, net, prompt_ids: np.ndarray, settings: Sequence[SamplerSettings], chars: Sequence[str],
                 rng: np.random.Generator):
        self.chars, self.rng = chars, rng
        self.samplers: list[tuple[int, int, Sampler]] = []  # (entry, row, sampler)
        self.beams: list[_Beam] = []
        row = 0
        for entry, s in enumerate(settings):
            if s.strategy == "beam":
                self.beams.append(_Beam(entry, row, s))
                row += s.beams
            else:
                self.samplers.append((entry, row, make_sampler(s)))
                row += 1
        self.batch = row
        self.penalties = np.array([s.repetition_penalty for s in settings for _ in range(
            s.beams if s.strategy == "beam" else 1)], np.float32)
        primed = net.new_state(1)
        self.first_logits = primed.prime(prompt_ids).copy()
        self.state = primed.tile(self.batch)
        self.penalty = None
        if np.any(self.penalties != 1.0):
            self.penalty = RepetitionPenalty(self.penalties, self.batch, net.vocab_size, prompt_ids)

    def run(self, length: int) -> Iterator[tuple[int, GeneratedChar]]:
        """Yield (entry index, GeneratedChar) as chars become final; beams yield when their rows agree."""
        logits = np.repeat(self.first_logits, self.batch, axis=0)
        ids = np.zeros(self.batch, np.int64)
        for n in range(length):
            probs = softmax(logits)
            scores = self.penalty.apply(logits) if self.penalty else logits
            if self.samplers:
                yield from self._sample_step(scores, probs, ids)
            for beam in self.beams:
                yield from self._beam_step(beam, scores, probs, ids)
            if n + 1 < length:
                if self.penalty:
                    self.penalty.push(ids)
                logits = self.state.step(ids)
        for beam in self.beams:
            yield from self._emit(beam, beam.search.finish())

    def _sample_step(self, scores: np.ndarray, probs: np.ndarray, ids: np.ndarray):
        # Each sampled row has its own strategy: the batch-1 path per row, on weights with max 1.
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        top = np.argsort(probs, axis=1)[:, : -CANDIDATES - 2: -1]  # one sort for every row's candidates
        top_p = np.take_along_axis(probs, top, axis=1).tolist()
        for entry, row, sampler in self.samplers:
            idx = ids[row] = sampler.pick_one(scores[row], weights[row], self.rng)
            candidates = tuple((self.chars[i], p) for i, p in zip(top[row].tolist(), top_p[row]) if i)
            yield entry, GeneratedChar(self.chars[idx], float(probs[row, idx]), candidates[:CANDIDATES])

    def _beam_step(self, beam: _Beam, scores: np.ndarray, probs: np.ndarray, ids: np.ndarray):
        logp = log_softmax(scores[beam.rows])  # -inf where [UNK] is
        parents, chosen = beam.search.advance(logp)
        beam.probs[beam.search.steps - 1] = probs[beam.rows].copy()
        self.state.reorder(beam.rows, parents)
        if self.penalty:
            self.penalty.reorder(beam.rows, parents)
        ids[beam.rows] = chosen
        yield from self._emit(beam, beam.search.agreed())

    def _emit(self, beam: _Beam, tokens):
        for token in tokens:
            yield beam.entry, _char(beam.probs.pop(token.step)[token.row], token.id, self.chars)
