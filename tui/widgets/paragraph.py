"""One logical line of the output view: its text, a style per character, and where its rows start when wrapped.

Also the styles the view colours characters with (by the probability the model gave each one) and the helpers that
pick them; the view itself is tui/widgets/output_view.py.
"""
from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

TEXT, PROMPT, INFO = 0, 1, 2
MARK, USER = 7, 8  # a char where the sampling settings changed; a char the user picked
# Probability buckets (high → low). Named 256-colour styles: no truecolor needed over SSH.
PROB_STYLES = (3, 4, 5, 6)
PROB_EDGES = (0.6, 0.3, 0.1)
STYLES = {
    TEXT: Style(), PROMPT: Style(color="cyan", bold=True), INFO: Style(color="bright_black", italic=True),
    3: Style(), 4: Style(color="green"), 5: Style(color="yellow"), 6: Style(color="red"),
    # A style, not a glyph: the marker never gets into copied or exported text. White on a dark magenta cell
    # (256-colour indices) reads on dark and light themes, whatever the probability colour around it.
    MARK: Style(color="color(231)", bgcolor="color(90)", bold=True),
    USER: Style(color="cyan", bold=True, underline=True),
}
MAX_PARAGRAPH = 4096  # longer runs without a newline are split so appending stays cheap


def prob_style(prob: float) -> int:
    for style, edge in zip(PROB_STYLES, PROB_EDGES):
        if prob >= edge:
            return style
    return PROB_STYLES[-1]


def prob_styles(probs: list[float]) -> bytes:
    """prob_style for a whole frame of characters at once (numpy: a frame may carry thousands)."""
    below = np.searchsorted(-np.asarray(PROB_EDGES), -np.asarray(probs, dtype=np.float64), side="left")
    return (below + PROB_STYLES[0]).astype(np.uint8).tobytes()


def clean_text(text: str) -> str:
    return "".join(c if c.isprintable() or c == "\n" else ("    " if c == "\t" else "·") for c in text)


class Paragraph:
    """One logical line: text, a style id per char, and where its rows start at the current width."""

    __slots__ = ("text", "styles", "starts", "strips")

    def __init__(self, text: str = "", style: int = TEXT) -> None:
        self.text = text
        self.styles = bytearray([style]) * len(text)
        self.starts = [0]
        self.strips: dict[tuple[int, int, bool], list] = {}  # finished rows' segments: scrolling redraws them

    @property
    def rows(self) -> int:
        return len(self.starts)

    def row_cells(self, i: int) -> int:
        """How many cells row i covers."""
        b = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        return cell_len(self.text[self.starts[i]:b])

    def extend(self, text: str, styles: bytes) -> None:
        self.text += text
        self.styles += styles

    def wrap(self, width: int, from_row: int = 0) -> None:
        """Greedy word wrap from a row on; rows before it are final, so appending costs O(width)."""
        starts = self.starts[: max(1, from_row + 1)]
        pos, text, width = starts[-1], self.text, max(1, width)
        while len(text) - pos > width:
            end = pos + width
            cut = text.rfind(" ", pos, end + 1)
            pos = cut + 1 if cut > pos else end
            starts.append(pos)
        if len(starts) < len(self.starts) or from_row == 0:
            self.strips.clear()
        self.starts = starts

    def segments(self, i: int, base: Style) -> list[Segment]:
        """Segments of row i; cached per (start, end), which identifies a row's content since text only grows."""
        a = self.starts[i]
        b = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        key = (a, b, id(base))
        cached = self.strips.get(key)
        if cached is None:
            text, styles = self.text[a:b], self.styles[a:b]
            cached, start = [], 0
            for j in range(1, len(text) + 1):
                if j == len(text) or styles[j] != styles[start]:
                    cached.append(Segment(text[start:j], base + STYLES[styles[start]]))
                    start = j
            if i + 1 < len(self.starts):
                if len(self.strips) > 512:
                    self.strips.clear()
                self.strips[key] = cached  # the open last row changes every frame: not worth keeping
        return cached
