"""Chat-style output: prompts and their streamed continuations, word-wrapped, bounded, optionally coloured.

Made to be cheap on a thin link: an append repaints only the cells it changed, following the end scrolls half a page
at a time, and frames wait while the app's byte budget is spent (the text is kept and shown when it is paid off).
"""
from __future__ import annotations

from bisect import bisect_right

from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

# The view's names for its styles and paragraphs live in paragraph.py; imported here so callers keep one module.
from .paragraph import (INFO, MARK, MAX_PARAGRAPH, PROB_EDGES, PROB_STYLES, PROMPT, STYLES, TEXT,  # noqa: F401
                        USER, Paragraph, clean_text, prob_style, prob_styles)


class OutputView(ScrollView, can_focus=True):
    """Appends characters to the last paragraph; keeps at most `max_chars`; follows the end unless scrolled up.

    `budget` (the app's ByteBudget, when it has one) paces appends: while it is overspent they wait in `_pending`,
    and one frame shows them all once it is paid off (and always before anything else is added)."""

    DEFAULT_CSS = "OutputView { overflow-x: hidden; }"

    def __init__(self, max_chars: int = 200_000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_chars = max_chars
        self.colour = True
        self.frames = 0  # appends drawn: at most one per stream frame, fewer while the byte budget is spent
        self.budget = None  # ByteBudget | None; the app's, from on_mount
        self._pending: list[tuple[str, bytes]] = []  # appended text waiting for the budget, with its styles
        self._pending_chars = 0
        self._flush_timer = None
        self._floor = 0  # the virtual height keeps the blank rows a jump scroll added below the text
        self._paras: list[Paragraph] = [Paragraph()]
        self._prefix = [0]
        self._rows = 1
        self._chars = 0
        self._width = 80
        self._follow = True  # stick to the end until the user scrolls up; scroll_end lands a frame later
        self._notes_from: int | None = None  # index of the first paragraph of trailing notes, if the last thing added
        self.marks = 0  # change markers drawn

    def on_mount(self) -> None:
        self.budget = getattr(self.app, "byte_budget", None)

    @property
    def waiting(self) -> bool:
        """Appended text is waiting for the byte budget (it is shown as soon as the budget allows)."""
        return bool(self._pending)

    @property
    def total_chars(self) -> int:
        return self._chars + self._pending_chars

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self._paras) + "".join(text for text, _ in self._pending)

    def begin_prompt(self, prompt: str, settings: str) -> None:
        self._flush()
        if len(self._paras) == 1 and not self._paras[0].text:
            self._paras, self._prefix, self._rows = [], [], 0  # the first prompt goes on the first row
        elif self._paras[-1].text:
            self._new_paragraph(Paragraph())
        self._notes_from = None
        lines = clean_text(prompt).split("\n")  # a multi-line prompt: one paragraph per line
        for i, line in enumerate(lines):
            header = Paragraph(f"{'›' if i == 0 else ' '} {line}", PROMPT)
            if i == len(lines) - 1:
                header.extend(f"  ({settings})", bytes([INFO]) * (len(settings) + 4))
            self._new_paragraph(header)
        self._new_paragraph(Paragraph())
        self._changed(True)

    def note(self, text: str) -> None:
        """A line of information (compare labels, stop notices) after the current output."""
        self._flush()
        at_end = self._at_end()
        notes_from = len(self._paras) if self._notes_from is None else self._notes_from
        if self._paras[-1].text:
            self._new_paragraph(Paragraph())
        for line in clean_text(text).split("\n"):
            self._new_paragraph(Paragraph(line, INFO))
        self._new_paragraph(Paragraph())
        self._notes_from = notes_from
        self._changed(at_end)

    def drop_trailing_notes(self) -> None:
        """Remove the notes added after the last output (a continued stream picks up right after its text)."""
        self._flush()
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
        text = clean_text(text) if not text.isprintable() else text
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
        self._pending.append((text, bytes(styles)))
        self._pending_chars += len(text)
        wait = self.budget.delay() if self.budget is not None else 0.0
        if wait <= 0:
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(wait, self._flush_when_paid)

    def _flush_when_paid(self) -> None:
        self._flush_timer = None
        wait = self.budget.delay() if self.budget is not None else 0.0
        if wait > 0:
            self._flush_timer = self.set_timer(wait, self._flush_when_paid)
        else:
            self._flush()

    def _flush(self) -> None:
        """Show the pending text: one frame, repainting the cells it changed."""
        if not self._pending:
            return
        text = "".join(t for t, _ in self._pending)
        styles = b"".join(s for _, s in self._pending)
        self._pending, self._pending_chars = [], 0
        at_end = self._at_end()
        open_row = self._rows - 1  # the last row, still open: it and the rows after it change
        open_cells = self._row_cells(open_row)
        pos = 0
        for piece in text.split("\n"):
            if pos:
                self._new_paragraph(Paragraph())
            self._extend_last(piece, styles[pos:pos + len(piece)])
            pos += len(piece) + 1
        self._chars += len(text)
        self.frames += 1
        if self._chars > self.max_chars and self._evict():
            self._changed(at_end)
        else:
            self._changed(at_end, open_row, open_cells)

    def clear(self) -> None:
        self._pending, self._pending_chars = [], 0
        self._paras, self._prefix, self._rows, self._chars = [Paragraph()], [0], 1, 0
        self._notes_from = None
        self._floor = 0
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

    def _evict(self) -> bool:
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
            self._floor = max(0, self._floor - lost_rows)
            if not self._at_end():
                self.scroll_to(y=max(0, self.scroll_offset.y - lost_rows), animate=False, immediate=True)
        return drop > 0

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

    def _row_cells(self, row: int) -> int:
        if not 0 <= row < self._rows:
            return 0
        i = bisect_right(self._prefix, row) - 1
        return self._paras[i].row_cells(row - self._prefix[i])

    def _follow_target(self, height: int) -> int:
        """Where following the end scrolls to: nowhere while the last row is in view; past the bottom, half a page
        at once (each scroll repaints the whole view, so it happens once per half page, not at every row)."""
        last, top = self._rows - 1, self.scroll_offset.y
        if top <= last < top + height or height <= 0:
            return top
        if self._rows <= height:
            return 0
        return last - (height - 1 - height // 2)

    def _changed(self, follow: bool, from_row: int | None = None, from_cells: int = 0) -> None:
        """Resize, follow the end and repaint: after an append the cells it changed (the open row from
        `from_cells` on, when it grew or a word wrapped off it, and the rows after it), otherwise everything."""
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        target = self._follow_target(height) if follow else top
        if follow:
            self._floor = target + height if target > 0 else 0
        size = Size(self._width, max(self._rows, self._floor))
        if size != self.virtual_size:
            # Setting virtual_size normally reflows the whole screen; a growing stream only needs this widget
            # and its scrollbar redrawn, so skip the layout unless the scrollbar appears or goes.
            had_bar = self.show_vertical_scrollbar
            self.set_reactive(OutputView.virtual_size, size)
            self._scroll_update(size)
            if self.show_vertical_scrollbar != had_bar:
                self.refresh(layout=True)
        if follow and target != top:
            self.scroll_to(y=target, animate=False, immediate=True, force=True)
        if from_row is None or self.scroll_offset.y != top:
            self.refresh()  # a scroll repaints everything anyway (the terminal gets only the cells that differ)
            return
        for row in range(max(from_row, top), min(self._rows, top + height)):
            a, b = (0, self._row_cells(row)) if row != from_row else sorted((from_cells, self._row_cells(row)))
            if b > a:
                self.refresh(Region(a, row - top, b - a, 1))

    def on_resize(self) -> None:
        width = max(1, self.scrollable_content_region.width)
        if width != self._width:
            self._flush()  # at the old width, then everything is wrapped again
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
