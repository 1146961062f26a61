"""The bounded transcript of prompts and outputs, with the settings of each stretch; ctrl+s exports it."""
from __future__ import annotations

import dataclasses
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path


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
