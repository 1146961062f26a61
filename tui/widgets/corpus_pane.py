"""The corpus pane: source, size, vocabulary, train/validation split and a sample line."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def _size(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)


class CorpusPane(Static):
    """Shows whatever corpus the app has (or the run's corpus before it is loaded)."""

    DEFAULT_CSS = "CorpusPane { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self, **kwargs) -> None:
        super().__init__("no corpus yet", **kwargs)
        self.border_title = "Corpus"

    def show_source(self, source: str, note: str) -> None:
        self.update(Text.assemble(("source ", "bright_black"), source, "\n", (note, "bright_black")))

    def show_corpus(self, corpus: Any, val_fraction: float = 0.1) -> None:
        chars = corpus.chars
        vocab = len(set(corpus.text)) + 1  # + [UNK]
        val = int(chars * val_fraction)
        rows = [("source", corpus.name), ("size", f"{_size(chars)} chars, {_size(corpus.lines)} lines"),
                ("vocab", f"{vocab} symbols"), ("split", f"{_size(chars - val)} train / {_size(val)} val")]
        text = Text(no_wrap=True, overflow="ellipsis")
        for label, value in rows:
            text.append(f"{label:<7}", style="bright_black").append(f"{value}\n")
        text.append("sample ", style="bright_black").append(repr(corpus.sample_line(60))[1:-1], style="italic")
        self.update(text)
