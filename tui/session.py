"""Generation settings the keys turn, and the bounded transcript of prompts and outputs (no textual here)."""
from __future__ import annotations

import dataclasses
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

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


@dataclass
class Exchange:
    prompt: str
    settings: str  # GenSettings.describe() at the time, with the seed actually used
    output: list[str] = dataclasses.field(default_factory=list)
    chars: int = 0
    note: str = ""
    # (offset in the output, settings from there on): a new entry wherever a key changed them mid-stream
    segments: list[tuple[int, dict]] = dataclasses.field(default_factory=list)


MAX_SEGMENTS = 10_000  # a key held down for an hour still leaves memory bounded


class Transcript:
    """What was asked and answered this session, bounded so a long stream cannot grow memory without end."""

    def __init__(self, max_exchanges: int = 200, max_chars_each: int = 100_000) -> None:
        self.exchanges: deque[Exchange] = deque(maxlen=max_exchanges)
        self.max_chars_each = max_chars_each

    def begin(self, prompt: str, settings: str) -> Exchange:
        exchange = Exchange(prompt, settings)
        self.exchanges.append(exchange)
        return exchange

    def add(self, exchange: Exchange, text: str, marks=()) -> None:
        """Append output; marks are (offset in text, settings) where the settings changed."""
        for offset, settings in marks:
            entry = _as_dict(settings)
            if exchange.segments and exchange.segments[-1][1] == entry:
                continue  # a continue with unchanged settings is still the same segment
            if len(exchange.segments) < MAX_SEGMENTS:
                exchange.segments.append((exchange.chars + offset, entry))
        room = self.max_chars_each - exchange.chars
        if room > 0:
            exchange.output.append(text[:room])
        exchange.chars += len(text)

    @property
    def last_output(self) -> str:
        return "".join(self.exchanges[-1].output) if self.exchanges else ""

    def export(self, folder: Path, header: str) -> Path:
        """The session as text, and as JSON (with where each setting applied) next to it."""
        from chargen_core.runs import atomic_write_json, atomic_write_text

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / time.strftime("chargen-session-%Y%m%d-%H%M%S.txt")
        lines, generations = [header, ""], []
        for i, ex in enumerate(self.exchanges, 1):
            lines += [f"### {i}. prompt: {ex.prompt!r}", f"settings: {ex.settings}", ""]
            body = "".join(ex.output)
            generations.append({"prompt": ex.prompt, "text": body, "chars": ex.chars, "settings": ex.settings,
                                "segments": [{"start": start, "settings": settings} for start, settings in ex.segments]})
            if ex.chars > len(body):
                body += f"\n[... {ex.chars - len(body)} more characters not kept]"
            lines += [body, ex.note, ""]
        atomic_write_text(path, "\n".join(lines))
        atomic_write_json(path.with_suffix(".json"), {"header": header, "generations": generations})
        return path


def _as_dict(settings) -> dict:
    return dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else dict(settings)
