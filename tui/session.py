"""Generation settings the keys turn, and the bounded transcript of prompts and outputs (no textual here)."""
from __future__ import annotations

import dataclasses
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

STRATEGIES = ("greedy", "temperature", "top-k", "top-p", "min-p", "beam")
LENGTHS = (50, 100, 200, 400, 800, 1600, 3200)
SPEEDS = (0, 400, 120, 30)  # typing speed in chars/s; 0 means as fast as the model writes


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass(frozen=True)
class GenSettings:
    strategy: str = "temperature"
    temperature: float = 0.8
    k: int = 5
    p: float = 0.9
    min_p: float = 0.05
    beams: int = 4
    length: int = 400
    seed: int | None = None  # None: a fresh random seed per generation

    def next_strategy(self) -> "GenSettings":
        i = STRATEGIES.index(self.strategy) if self.strategy in STRATEGIES else -1
        return dataclasses.replace(self, strategy=STRATEGIES[(i + 1) % len(STRATEGIES)])

    def bump_temperature(self, sign: int) -> "GenSettings":
        return dataclasses.replace(self, temperature=round(_clamp(self.temperature + 0.1 * sign, 0.1, 3.0), 2))

    def bump_k(self, sign: int) -> "GenSettings":
        # In beam mode the k keys set the beam width, the knob that plays the same role there.
        if self.strategy == "beam":
            return dataclasses.replace(self, beams=int(_clamp(self.beams + sign, 1, 16)))
        return dataclasses.replace(self, k=int(_clamp(self.k + sign, 1, 100)))

    def bump_p(self, sign: int) -> "GenSettings":
        # The p keys move whichever threshold the current strategy uses.
        if self.strategy == "min-p":
            return dataclasses.replace(self, min_p=round(_clamp(self.min_p + 0.01 * sign, 0.01, 0.5), 2))
        return dataclasses.replace(self, p=round(_clamp(self.p + 0.05 * sign, 0.05, 1.0), 2))

    def bump_length(self, sign: int) -> "GenSettings":
        i = min(range(len(LENGTHS)), key=lambda j: abs(LENGTHS[j] - self.length))
        return dataclasses.replace(self, length=LENGTHS[int(_clamp(i + sign, 0, len(LENGTHS) - 1))])

    def toggle_seed(self, seed: int) -> "GenSettings":
        return dataclasses.replace(self, seed=None if self.seed is not None else seed)

    def describe(self) -> str:
        parts = [self.strategy, f"T={self.temperature:.2f}", f"k={self.k}", f"p={self.p:.2f}"]
        if self.strategy == "min-p":
            parts.append(f"min-p={self.min_p:.2f}")
        if self.strategy == "beam":
            parts.append(f"beams={self.beams}")
        parts += [f"len={self.length}", f"seed={'random' if self.seed is None else self.seed}"]
        return "  ".join(parts)


@dataclass
class Exchange:
    prompt: str
    settings: str  # GenSettings.describe() at the time, with the seed actually used
    output: list[str] = dataclasses.field(default_factory=list)
    chars: int = 0
    note: str = ""


class Transcript:
    """What was asked and answered this session, bounded so a long stream cannot grow memory without end."""

    def __init__(self, max_exchanges: int = 200, max_chars_each: int = 100_000) -> None:
        self.exchanges: deque[Exchange] = deque(maxlen=max_exchanges)
        self.max_chars_each = max_chars_each

    def begin(self, prompt: str, settings: str) -> Exchange:
        exchange = Exchange(prompt, settings)
        self.exchanges.append(exchange)
        return exchange

    def add(self, exchange: Exchange, text: str) -> None:
        room = self.max_chars_each - exchange.chars
        if room > 0:
            exchange.output.append(text[:room])
        exchange.chars += len(text)

    @property
    def last_output(self) -> str:
        return "".join(self.exchanges[-1].output) if self.exchanges else ""

    def export(self, folder: Path, header: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / time.strftime("chargen-session-%Y%m%d-%H%M%S.txt")
        lines = [header, ""]
        for i, ex in enumerate(self.exchanges, 1):
            lines += [f"### {i}. prompt: {ex.prompt!r}", f"settings: {ex.settings}", ""]
            body = "".join(ex.output)
            if ex.chars > len(body):
                body += f"\n[... {ex.chars - len(body)} more characters not kept]"
            lines += [body, ex.note, ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path
