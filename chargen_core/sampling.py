"""Sampling settings and numpy samplers (greedy, temperature, top-k, top-p, min-p) over rows of logits."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .errors import SettingsError

STRATEGIES = ("greedy", "temperature", "top-k", "top-p", "min-p", "beam")
# The repetition penalty looks at this many most recent characters (prompt included).
REPETITION_WINDOW = 32


@dataclass(frozen=True)
class SamplerSettings:
    strategy: str = "temperature"  # one of STRATEGIES
    temperature: float = 0.8  # divides the logits of every sampling strategy; 0 behaves as greedy
    k: int = 5  # top-k: sample among the k most likely characters
    p: float = 0.9  # top-p: sample among the smallest set whose probability reaches p
    min_p: float = 0.05  # min-p: drop characters below min_p × the top probability
    beams: int = 4  # beam: width B
    length_penalty: float = 0.0  # beam: alpha of the GNMT length normalisation ((5+len)/6)^alpha
    repetition_penalty: float = 1.0  # > 1 discourages characters seen in the last REPETITION_WINDOW chars

    def validate(self, vocab_size: int) -> tuple["SamplerSettings", list[str]]:
        """Check every field; returns the settings to use (k clamped to the vocabulary) and notices."""
        if self.strategy not in STRATEGIES:
            raise SettingsError(f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        if not self.temperature >= 0:
            raise SettingsError(f"--temperature must be >= 0, got {self.temperature}")
        if not isinstance(self.k, (int, np.integer)) or self.k <= 0:
            raise SettingsError(f"--k must be a positive integer, got {self.k}")
        for name, flag in (("p", "--p"), ("min_p", "--min-p")):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise SettingsError(f"{flag} must be in (0, 1], got {getattr(self, name)}")
        if not isinstance(self.beams, (int, np.integer)) or self.beams < 1:
            raise SettingsError(f"--beams must be an integer >= 1, got {self.beams}")
        if not self.length_penalty >= 0:
            raise SettingsError(f"--length-penalty must be >= 0, got {self.length_penalty}")
        if not self.repetition_penalty > 0:
            raise SettingsError(f"--repetition-penalty must be > 0, got {self.repetition_penalty}")
        notices = []
        usable = vocab_size - 1  # [UNK] is never sampled
        if self.k > usable:
            notices.append(f"k={self.k} is larger than the vocabulary; using k={usable}")
            return dataclasses.replace(self, k=usable), notices
        return self, notices

    def label(self) -> str:
        """A short human name, e.g. 'top-k 3' or 'temperature 0.5'."""
        detail = {
            "greedy": "",
            "temperature": f" {self.temperature:g}",
            "top-k": f" {self.k}",
            "top-p": f" {self.p:g}",
            "min-p": f" {self.min_p:g}",
            "beam": f" {self.beams}",
        }[self.strategy]
        return self.strategy + detail


def _compare_set() -> tuple[tuple[str, SamplerSettings], ...]:
    s = SamplerSettings
    items = [s("greedy")] + [s("temperature", temperature=t) for t in (0.2, 0.5, 1.0, 1.2)]
    items += [s("top-k", temperature=1.0, k=k) for k in (2, 3, 4, 5)]
    items += [s("top-p", temperature=1.0, p=0.9), s("min-p", temperature=1.0, min_p=0.05), s("beam", beams=4)]
    return tuple((x.label(), x) for x in items)


# The tutorial's table (greedy, temperature 0.2/0.5/1.0/1.2, top-k 2..5) plus top-p 0.9, min-p and beam 4.
COMPARE_SET = _compare_set()


def draw(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One index per row of non-negative weights (B, V), by inverting the CDF at uniforms u (B,)."""
    cdf = np.add.accumulate(weights, axis=1)  # np.cumsum's Python wrapper costs more than the sum
    target = u * cdf[:, -1]
    if len(cdf) == 1:  # the batch-1 hot path: a binary search
        idx = np.searchsorted(cdf[0], target, side="right")
    else:
        idx = np.count_nonzero(cdf <= target[:, None], axis=1)
    return np.minimum(idx, weights.shape[1] - 1)


def softmax(logits: np.ndarray, out: np.ndarray | None = None, temperature: float = 1.0) -> np.ndarray:
    """Row softmax of logits / temperature (written to out when given)."""
    out = np.subtract(logits, logits.max(axis=1, keepdims=True), out=out)
    if temperature != 1.0:
        out *= 1.0 / temperature
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row log-probabilities; -inf logits stay -inf."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def draw_one(weights: np.ndarray, rng: np.random.Generator) -> int:
    """One index from a 1-D row of non-negative weights (the batch-1 hot path)."""
    cdf = np.add.accumulate(weights)
    return min(int(cdf.searchsorted(rng.random() * cdf[-1], "right")), len(cdf) - 1)


class Sampler:
    """Picks ids from logits. pick: rows (B, V) with probs = softmax(logits); pick_one: the batch-1 hot
    path, one 1-D row with weights = exp(logits - max) (unnormalised, so the top weight is exactly 1)."""

    def __init__(self, settings: SamplerSettings):
        self.settings = settings
        self.temperature = settings.temperature
        self.inverse_t = 1.0 / settings.temperature if settings.temperature else np.inf

    def pick(self, logits: np.ndarray, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def pick_one(self, logits: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> int:
        raise NotImplementedError

    def _tempered(self, logits: np.ndarray, probs: np.ndarray) -> np.ndarray:
        # Row weights proportional to exp(l / T); T = 1 reuses the model's probabilities.
        if self.temperature == 1.0:
            return probs
        return softmax(logits, temperature=self.temperature)

    def _tempered_one(self, weights: np.ndarray) -> np.ndarray:
        # exp((l - max) / T) == exp(l - max) ** (1 / T): one pass instead of three.
        return weights if self.temperature == 1.0 else weights ** self.inverse_t


class GreedySampler(Sampler):
    def pick(self, logits, probs, rng):
        return logits.argmax(axis=1)

    def pick_one(self, logits, weights, rng):
        return int(logits.argmax())


class TemperatureSampler(Sampler):
    def pick(self, logits, probs, rng):
        return draw(self._tempered(logits, probs), rng.random(len(logits)))

    def pick_one(self, logits, weights, rng):
        return draw_one(self._tempered_one(weights), rng)


class TopKSampler(Sampler):
    def pick(self, logits, probs, rng):
        k = self.settings.k
        if k >= logits.shape[1]:
            return draw(self._tempered(logits, probs), rng.random(len(logits)))
        top = np.argpartition(logits, -k, axis=1)[:, -k:]
        sub = np.take_along_axis(logits, top, axis=1)
        choice = draw(softmax(sub, temperature=self.temperature), rng.random(len(logits)))
        return top[np.arange(len(top)), choice]

    def pick_one(self, logits, weights, rng):
        k = self.settings.k
        if k >= len(logits):
            return draw_one(self._tempered_one(weights), rng)
        top = logits.argpartition(-k)[-k:]
        return int(top[draw_one(self._tempered_one(weights[top]), rng)])


class TopPSampler(Sampler):
    def pick(self, logits, probs, rng):
        weights = self._tempered(logits, probs)
        order = (-weights).argsort(axis=1)
        ranked = np.take_along_axis(weights, order, axis=1)
        before = np.add.accumulate(ranked, axis=1) - ranked  # mass of the strictly more likely characters
        total = ranked.sum(axis=1, keepdims=True)
        ranked = np.where(before < self.settings.p * total, ranked, 0.0)  # the top one is always kept
        return order[np.arange(len(order)), draw(ranked, rng.random(len(logits)))]

    def pick_one(self, logits, weights, rng):
        weights = self._tempered_one(weights)
        order = (-weights).argsort()
        cdf = np.add.accumulate(weights[order])
        # Rank r is kept when the mass before it is < p·total: a count of cdf entries below p·total, plus one.
        keep = min(int(cdf.searchsorted(self.settings.p * cdf[-1])) + 1, len(cdf))
        pick = int(cdf[:keep].searchsorted(rng.random() * cdf[keep - 1], "right"))
        return int(order[min(pick, keep - 1)])


class MinPSampler(Sampler):
    def pick(self, logits, probs, rng):
        weights = self._tempered(logits, probs)
        floor = self.settings.min_p * weights.max(axis=1, keepdims=True)
        return draw(np.where(weights >= floor, weights, 0.0), rng.random(len(logits)))

    def pick_one(self, logits, weights, rng):
        weights = self._tempered_one(weights)  # its maximum is 1
        return draw_one(np.where(weights >= self.settings.min_p, weights, 0.0), rng)


_SAMPLERS = {
    "greedy": GreedySampler,
    "temperature": TemperatureSampler,
    "top-k": TopKSampler,
    "top-p": TopPSampler,
    "min-p": MinPSampler,
}


def make_sampler(settings: SamplerSettings) -> Sampler:
    """The sampler for a (validated) sampling strategy; temperature 0 is greedy for every strategy."""
    if settings.strategy == "beam":
        raise ValueError("beam search is not a per-character sampler; use chargen_core.beam")
    if settings.temperature == 0:
        return GreedySampler(settings)
    return _SAMPLERS[settings.strategy](settings)


class RepetitionPenalty:
    """CTRL-style penalty on characters seen in the last REPETITION_WINDOW chars of each row.

    Positive logits are divided by the penalty and negative ones multiplied, so seen characters get less
    likely whatever their sign. It composes with every strategy: it rewrites the logits they sample from.
    """

    def __init__(self, penalty: float | np.ndarray, batch: int, vocab_size: int, history: np.ndarray):
        self.penalty = np.asarray(penalty, np.float32).reshape(-1, 1)  # one per row, or one for all
        self.counts = np.zeros((batch, vocab_size), np.int32)
        self.ring = np.full((batch, REPETITION_WINDOW), -1, np.int64)
        self.pos = 0
        for idx in history[-REPETITION_WINDOW:]:
            self.push(np.full(batch, idx))

    def push(self, ids: np.ndarray) -> None:
        rows = np.arange(len(ids))
        old = self.ring[:, self.pos]
        seen = old >= 0
        self.counts[rows[seen], old[seen]] -= 1
        self.counts[rows, ids] += 1
        self.ring[:, self.pos] = ids
        self.pos = (self.pos + 1) % REPETITION_WINDOW

    def reorder(self, rows: slice, parents: np.ndarray) -> None:
        """Rows take the history of rows[parents] (beam search)."""
        self.counts[rows] = self.counts[rows][parents]
        self.ring[rows] = self.ring[rows][parents]

    def apply(self, logits: np.ndarray) -> np.ndarray:
        """New logits with the penalty applied (the input is left untouched)."""
        scaled = np.where(logits > 0, logits / self.penalty, logits * self.penalty)
        return np.where(self.counts > 0, scaled, logits)
