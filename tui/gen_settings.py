"""The generation settings the keys turn (sampling, length, seed, stop) and their choices (no textual here)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chargen_core.generate import STRATEGIES, SamplerSettings

LENGTHS = (50, 100, 200, 400, 800, 1600, 3200, None)  # None: until Esc (memory stays bounded)
SPEEDS = (200, 400, 0, 60)  # typing speed in chars/s; 0 means as fast as the model writes
# Stop strings the app offers (the CLI takes any): the stream ends when its output ends with one.
STOPS = ((), ("\n\n",), ("\n",), (".", "!", "?"))
STOP_NAMES = {(): "off", ("\n\n",): "blank line", ("\n",): "end of line", (".", "!", "?"): "sentence end"}


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass(frozen=True)
class GenSettings:
    """What the keys turn: the core's SamplerSettings (one type, status line included) plus length, seed, stop."""

    sampling: SamplerSettings = SamplerSettings()
    length: int | None = 400  # None: until Esc
    seed: int | None = None  # None: a fresh random seed per generation
    stop: tuple[str, ...] = ()

    def __getattr__(self, name: str):
        # settings.temperature etc. read through to the sampling settings
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.sampling, name)

    def _sample(self, **changes) -> "GenSettings":
        return dataclasses.replace(self, sampling=dataclasses.replace(self.sampling, **changes))

    def next_strategy(self) -> "GenSettings":
        i = STRATEGIES.index(self.strategy) if self.strategy in STRATEGIES else -1
        return self._sample(strategy=STRATEGIES[(i + 1) % len(STRATEGIES)])

    def bump_temperature(self, sign: int) -> "GenSettings":
        return self._sample(temperature=round(_clamp(self.temperature + 0.1 * sign, 0.1, 3.0), 2))

    def bump_k(self, sign: int) -> "GenSettings":
        # In beam mode the k keys set the beam width, the knob that plays the same role there.
        if self.strategy == "beam":
            return self._sample(beams=int(_clamp(self.beams + sign, 1, 16)))
        return self._sample(k=int(_clamp(self.k + sign, 1, 200)))

    def bump_p(self, sign: int) -> "GenSettings":
        # The p keys move whichever threshold the current strategy uses.
        if self.strategy == "min-p":
            return self._sample(min_p=round(_clamp(self.min_p + 0.01 * sign, 0.01, 0.5), 2))
        return self._sample(p=round(_clamp(self.p + 0.05 * sign, 0.05, 1.0), 2))

    def bump_repetition(self, sign: int) -> "GenSettings":
        return self._sample(repetition_penalty=round(_clamp(self.repetition_penalty + 0.1 * sign, 1.0, 3.0), 2))

    def bump_length(self, sign: int) -> "GenSettings":
        i = LENGTHS.index(self.length) if self.length in LENGTHS else LENGTHS.index(400)
        return dataclasses.replace(self, length=LENGTHS[int(_clamp(i + sign, 0, len(LENGTHS) - 1))])

    def next_stop(self) -> "GenSettings":
        i = STOPS.index(self.stop) if self.stop in STOPS else -1
        return dataclasses.replace(self, stop=STOPS[(i + 1) % len(STOPS)])

    def toggle_seed(self, seed: int) -> "GenSettings":
        return dataclasses.replace(self, seed=None if self.seed is not None else seed)

    def describe(self) -> str:
        """For the status line (80 columns): the seed and stop strings only when set."""
        parts = [self.sampling.describe(), f"len={'until Esc' if self.length is None else self.length}"]
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        if self.stop:
            parts.append(f"stop={STOP_NAMES.get(self.stop) or ' '.join(repr(s) for s in self.stop)}")
        return "  ".join(parts)
