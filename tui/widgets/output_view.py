"""Chat-style output: prompts and their streamed continuations, word-wrapped, bounded, optionally coloured."""
from __future__ import annotations

from bisect import bisect_right

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

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


def _clean(text: str) -> str:
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


class OutputView(ScrollView, can_focus=True):
    """Appends characters to the last paragraph; keeps at most `max_chars`; follows the end unless scrolled up."""

    DEFAULT_CSS = "OutputView { overflow-x: hidden; }"

    def __init__(self, max_chars: int = 200_000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_chars = max_chars
        self.colour = True
        self.frames = 0  # appends drawn; the stream flushes once per frame
        self._paras: list[Paragraph] = [Paragraph()]
        self._prefix = [0]
        self._rows = 1
        self._chars = 0
        self._width = 80
        self._follow = True  # stick to the end until the user scrolls up; scroll_end lands a frame later
        self._notes_from: int | None = None  # index of the first paragraph of trailing notes, if the last thing added
        self.marks = 0  # change markers drawn

    @property
    def total_chars(self) -> int:
        return self._chars

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self._paras)

    def begin_prompt(self, prompt: str, settings: str) -> None:
        if len(self._paras) == 1 and not self._paras[0].text:
            self._paras, self._prefix, self._rows = [], [], 0  # the first prompt goes on the first row
        elif self._paras[-1].text:
            self._new_paragraph(Paragraph())
        self._notes_from = None
        lines = _clean(prompt).split("\n")  # a multi-line prompt: one paragraph per line
        for i, line in enumerate(lines):
            header = Paragraph(f"{'›' if i == 0 else ' '} {line}", PROMPT)
            if i == len(lines) - 1:
                header.extend(f"  ({settings})", bytes([INFO]) * (len(settings) + 4))
            self._new_paragraph(header)
        self._new_paragraph(Paragraph())
        self._changed(True)

    def note(self, text: str) -> None:
        """A line of information (compare labels, stop notices) after the current output."""
        at_end = self._at_end()
        notes_from = len(self._paras) if self._notes_from is None else self._notes_from
        if self._paras[-1].text:
            self._new_paragraph(Paragraph())
        for line in _clean(text).split("\n"):
            self._new_paragraph(Paragraph(line, INFO))
        self._new_paragraph(Paragraph())
        self._notes_from = notes_from
        self._changed(at_end)

    def drop_trailing_notes(self) -> None:
        """Remove the notes added after the last output (a continued stream picks up right after its text)."""
        if self._notes_from is None or self._notes_from <= 0 or self._notes_from > len(self._paras):
            return
        removed = sum(len(p.text) for p in self._paras[self._notes_from:])
        del self._paras[self._notes_from:]
        self._chars -= removed
        self._notes_from = None
        self._reindex()
        self._changed(self._at_end())

    def append_user(self, text: str) -> None:
        """Text the user chose (a picked candidate): shown in its own style."""
        self.append(text, style=USER)

    def append(self, text: str, probs: list[float] | None = None, marks: list[int] | None = None,
               style: int | None = None) -> None:
        """Streamed text; probs colour it, marks (offsets in text) get the settings-changed marker."""
        if not text:
            return
        self._notes_from = None
        at_end = self._at_end()
        text = _clean(text) if not text.isprintable() else text
        if style is not None:
            styles = bytes([style]) * len(text)
        elif self.colour and probs is not None and len(probs) == len(text):
            styles = prob_styles(probs)
        else:
            styles = bytes([TEXT]) * len(text)
        if marks:
            styles = bytearray(styles)
            for at in marks:
                if 0 <= at < len(styles):
                    styles[at] = MARK
                    self.marks += 1
        open_row = self._rows - 1  # the last row, still open: it and every row after it change
        pos = 0
        for piece in text.split("\n"):
            if pos:
                self._new_paragraph(Paragraph())
            self._extend_last(piece, styles[pos:pos + len(piece)])
            pos += len(piece) + 1
        self._chars += len(text)
        if self._chars > self.max_chars:
            self._evict()
        self.frames += 1
        self._changed(at_end, open_row)

    def clear(self) -> None:
        self._paras, self._prefix, self._rows, self._chars = [Paragraph()], [0], 1, 0
        self._notes_from = None
        self._changed(True)

    def _extend_last(self, text: str, styles: bytes) -> None:
        while text:
            last = self._paras[-1]
            room = MAX_PARAGRAPH - len(last.text)
            if room <= 0:
                self._new_paragraph(Paragraph())
                continue
            before = last.rows
            last.extend(text[:room], styles[:room])
            last.wrap(self._width, before - 1)
            self._rows += last.rows - before
            text, styles = text[room:], styles[room:]

    def _new_paragraph(self, para: Paragraph) -> None:
        para.wrap(self._width)
        self._paras.append(para)
        self._prefix.append(self._rows)
        self._rows += para.rows
        self._chars += len(para.text)

    def _evict(self) -> None:
        """Drop the oldest paragraphs down to 3/4 of the limit; done in bulk so its cost is amortised."""
        target, drop, removed = self.max_chars * 3 // 4, 0, 0
        while drop < len(self._paras) - 1 and self._chars - removed > target:
            removed += len(self._paras[drop].text)
            drop += 1
        if drop:
            lost_rows = self._prefix[drop]
            del self._paras[:drop]
            self._notes_from = None
            self._chars -= removed
            self._reindex()
            if not self._at_end():
                self.scroll_to(y=max(0, self.scroll_offset.y - lost_rows), animate=False, immediate=True)

    def _reindex(self) -> None:
        self._prefix, rows = [], 0
        for para in self._paras:
            self._prefix.append(rows)
            rows += para.rows
        self._rows = rows

    def _at_end(self) -> bool:
        return self._follow

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value:
            self._follow = new_value >= self.max_scroll_y  # scrolled up: stop following
        elif new_value >= self.max_scroll_y:
            self._follow = True  # back at the end: follow again

    def _changed(self, follow: bool, from_row: int | None = None) -> None:
        """Resize, follow the end and repaint: the rows from `from_row` on (an append), or all of them."""
        size = Size(self._width, self._rows)
        if size != self.virtual_size:
            # Setting virtual_size normally reflows the whole screen; a growing stream only needs this widget
            # and its scrollbar redrawn, so skip the layout unless the scrollbar appears or goes.
            had_bar = self.show_vertical_scrollbar
            self.set_reactive(OutputView.virtual_size, size)
            self._scroll_update(size)
            if self.show_vertical_scrollbar != had_bar:
                self.refresh(layout=True)
        scrolled_from = self.scroll_offset.y
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        dirty = None if from_row is None else from_row - scrolled_from
        if dirty is not None and self.scroll_offset.y == scrolled_from and 0 <= dirty < self.size.height:
            # Text appended without scrolling: only the rows from the open one down changed. Repainting those
            # (not the whole view, ~6 ms at every frame of a stream) keeps the UI thread free for keys.
            self.refresh_lines(from_row, self.size.height - dirty)
        else:
            self.refresh()

    def on_resize(self) -> None:
        width = max(1, self.scrollable_content_region.width)
        if width != self._width:
            self._width = width
            for para in self._paras:
                para.wrap(width)
            self._reindex()
            self._changed(self._at_end())

    def render_line(self, y: int) -> Strip:
        y += self.scroll_offset.y
        base = self.rich_style
        width = self.scrollable_content_region.width
        if y >= self._rows:
            return Strip.blank(width, base)
        i = bisect_right(self._prefix, y) - 1
        return Strip(self._paras[i].segments(y - self._prefix[i], base)).crop_extend(0, width, base)
