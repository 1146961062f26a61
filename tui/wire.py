"""What the app writes to its terminal: only the cells an update changes, in the shortest colour codes, metered.

Textual sends each refreshed line from the refreshing widget's left edge on, and each run of text as its full colour
codes (background included) followed by a reset. Over SSH those bytes are what the app costs, so `Wire` keeps a copy
of what the terminal shows and turns each partial update into the cells that differ from it: the cursor goes to those
cells only, and an escape code changes only the attributes that differ from the cell written before. An update of
the whole screen (another screen, a resize) is sent whole. `ByteBudget` counts what is written; the output view
paces its frames by it.

It reads Textual's compositor updates (textual._compositor, not public API: pyproject pins textual below 9);
tests/tui/test_tui_wire.py replays its output against Textual's own on a model terminal.
"""
from __future__ import annotations

import time
from typing import Callable

from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate

# A pen is how a cell is drawn: (SGR attribute codes, foreground codes, background codes, (link, id)); None parts
# are the terminal's defaults. Comparing pens, not Styles, ignores what Textual keeps in a Style besides its look.
Pen = tuple
PLAIN: Pen = ((), None, None, None)
ATTRIBUTES = (("bold", "1"), ("dim", "2"), ("italic", "3"), ("underline", "4"), ("blink", "5"), ("blink2", "6"),
              ("reverse", "7"), ("conceal", "8"), ("strike", "9"), ("underline2", "21"), ("frame", "51"),
              ("encircle", "52"), ("overline", "53"))
OFF = {"1": "22", "2": "22", "3": "23", "4": "24", "21": "24", "5": "25", "6": "25", "7": "27", "8": "28",
       "9": "29", "51": "54", "52": "54", "53": "55"}
SHOWN_ON_SPACE = frozenset({"4", "7", "9", "21", "51", "52", "53"})  # underline, reverse, strike...: visible on a blank
MERGE_GAP = 4  # unchanged cells between two changes are resent rather than moving the cursor (a move is ~8 bytes)
CONTINUATION = ""  # the right half of a wide character


def pen_of(style: Style | None, system: ColorSystem) -> Pen:
    if style is None:
        return PLAIN
    attrs = tuple(code for name, code in ATTRIBUTES if getattr(style, name))
    fg = style.color.downgrade(system).get_ansi_codes(True) if style.color is not None else None
    bg = style.bgcolor.downgrade(system).get_ansi_codes(False) if style.bgcolor is not None else None
    link = (style.link, style.link_id) if style.link else None
    return attrs, fg, bg, link


def space_look(pen: Pen) -> Pen:
    """What a pen shows on a space: its background, and its foreground only where a line or reverse shows it."""
    shown = tuple(a for a in pen[0] if a in SHOWN_ON_SPACE)
    return shown, pen[1] if shown else None, pen[2], pen[3]


def change_pen(old: Pen, new: Pen) -> str:
    """The escape codes that turn the terminal's pen from `old` into `new`: the shorter of a reset plus `new`,
    and switching off, on and over only what differs."""
    if old == new:
        return ""
    out = ""
    if old[3] != new[3]:  # hyperlinks (OSC 8), as Textual writes them
        out += "\x1b]8;;\x1b\\" if old[3] else ""
        out += f"\x1b]8;id={new[3][1]};{new[3][0]}\x1b\\" if new[3] else ""
        if old[:3] == new[:3]:
            return out
    attrs, fg, bg = new[0], new[1], new[2]
    reset = ["0", *attrs, *(fg or ()), *(bg or ())] if attrs or fg or bg else ["0"]
    removed = [a for a in old[0] if a not in attrs]
    offs = sorted({OFF[a] for a in removed})
    params = offs + [a for a in attrs if a not in old[0] or OFF[a] in offs]
    if fg != old[1]:
        params += fg or ("39",)
    if bg != old[2]:
        params += bg or ("49",)
    best = params if params and len(";".join(params)) < len(";".join(reset)) else reset
    return out + f"\x1b[{';'.join(best)}m"


def move_to(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


class ByteBudget:
    """A token bucket of bytes per second: writing past it runs up a debt that time pays off at the rate."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()
        self.written = 0

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def spend(self, count: int) -> None:
        self._refill()
        self.tokens -= count
        self.written += count

    def delay(self) -> float:
        """Seconds until the debt is paid (0: nothing owed, write now)."""
        self._refill()
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class Wire:
    """The screen as the terminal shows it, and the bytes that bring it up to date with each of Textual's updates.

    Rows hold one entry per cell: its character (CONTINUATION right of a wide one; None where unknown, which
    never equals anything, so it is always sent) and its pen."""

    def __init__(self, budget: ByteBudget | None = None) -> None:
        self.budget = budget
        self.chars: list[list[str | None]] = []
        self.pens: list[list[Pen | None]] = []
        self.width = 0
        self._system: ColorSystem | None = None
        # Caches: a Style's pen (one object per look, so pens compare with `is`), the codes from one pen to another,
        # and what a pen looks like on a space. Cleared together when they grow past a few thousand entries.
        self._pens: dict[Style, Pen] = {}
        self._looks: dict[Pen, Pen] = {PLAIN: PLAIN}
        self._changes: dict[tuple[int, int], str] = {}
        self._spaces: dict[int, Pen] = {}
        self._out: list[str] = []
        self._pen: Pen = PLAIN
        self._cursor: tuple[int, int] | None = None

    def wrap(self, update):
        """What App._display should render instead of `update` (anything unknown passes through, and then the copy
        of the screen is forgotten: whatever it drew is sent whole next time)."""
        if isinstance(update, (ChopsUpdate, LayoutUpdate)):
            return _WireUpdate(self, update)
        if update is not None:
            self.forget()
        return update

    def forget(self) -> None:
        self.chars, self.pens = [], []

    # --- rendering ----------------------------------------------------------------------------------------------
    def render(self, update: CompositorUpdate, console: Console) -> str:
        system = console._color_system or ColorSystem.TRUECOLOR  # as Textual's Strip.render picks it
        if isinstance(update, LayoutUpdate):
            width, height = update.region.right, update.region.bottom
        else:  # a line of chops per screen row, each row's last chop ending at the screen's width
            width, height = max((ends[-1] for ends in update.chop_ends if ends), default=0), len(update.chops)
        if system != self._system:
            self._system = system
            self._clear_caches()
            self.forget()
        if width != self.width or len(self.chars) != height or isinstance(update, LayoutUpdate):
            self.width = width  # a new size, or a whole screen: the terminal may hold anything
            self.chars = [[None] * width for _ in range(height)]
            self.pens = [[None] * width for _ in range(height)]
        self._out, self._pen, self._cursor = [], PLAIN, None
        if isinstance(update, LayoutUpdate):
            x0 = update.region.x
            for y, line in enumerate(update.strips, update.region.y):
                x = x0
                for strip in line:
                    x = self._chop(y, x, None, strip)
        else:
            for y, x1, x2 in update.spans:
                for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items()):
                    if strip is not None and x < x2 and end > x1:
                        self._chop(y, x, end, strip)
        if self._pen is not PLAIN:
            self._out.append(change_pen(self._pen, PLAIN))
        text = "".join(self._out)
        self._out = []
        if self.budget is not None and text:
            self.budget.spend(len(text.encode("utf-8", "replace")))
        return text

    def _chop(self, y: int, x: int, end: int | None, strip) -> int:
        """Bring the cells of one chop (a widget's piece of a line) up to date; returns where it ends."""
        chars, pens = self._cells(strip)
        if end is not None:
            del chars[end - x:], pens[end - x:]
        if not 0 <= y < len(self.chars):
            return x + len(chars)
        old_chars, old_pens = self.chars[y], self.pens[y]
        n = min(len(chars), self.width - x)
        if n <= 0:
            return x + len(chars)
        if old_chars[x:x + n] == chars[:n] and old_pens[x:x + n] == pens[:n]:
            return x + len(chars)
        runs: list[list[int]] = []
        for i in range(n):
            if chars[i] != old_chars[x + i] or pens[i] is not old_pens[x + i]:
                if runs and i - runs[-1][1] <= MERGE_GAP:
                    runs[-1][1] = i + 1
                else:
                    runs.append([i, i + 1])
        for start, stop in runs:
            while start > 0 and chars[start] == CONTINUATION:  # a wide character is written from its left half
                start -= 1
            while stop < n and chars[stop] == CONTINUATION:
                stop += 1
            self._put(y, x + start, chars[start:stop], pens[start:stop])
        old_chars[x:x + n], old_pens[x:x + n] = chars[:n], pens[:n]
        return x + len(chars)

    def _put(self, y: int, x: int, chars: list[str], pens: list[Pen]) -> None:
        out = self._out
        if self._cursor != (x, y):
            out.append(move_to(x, y))
        current, run = self._pen, []
        for char, pen in zip(chars, pens):
            if pen is not current:
                if char == " " and self._space_look(pen) is self._space_look(current):
                    pen = current  # a space looks the same in either colour: the run of colour goes on
                else:
                    if run:
                        out.append("".join(run))
                        run = []
                    out.append(self._change(current, pen))
                    current = pen
            run.append(char)  # the right half of a wide character adds nothing: the terminal fills it
        if run:
            out.append("".join(run))
        self._pen = current
        x += len(chars)
        self._cursor = (x, y) if x < self.width else None  # past the last column the terminal waits to wrap

    def _change(self, old: Pen, new: Pen) -> str:
        key = (id(old), id(new))
        codes = self._changes.get(key)
        if codes is None:
            codes = self._changes[key] = change_pen(old, new)
        return codes

    def _space_look(self, pen: Pen) -> Pen:
        look = self._spaces.get(id(pen))
        if look is None:
            look = self._spaces[id(pen)] = self._intern(space_look(pen))
        return look

    def _intern(self, pen: Pen) -> Pen:
        return self._looks.setdefault(pen, pen)

    def _clear_caches(self) -> None:
        # Pens made before stay in the screen's copy; new ones are other objects, so those cells are sent again.
        self._pens, self._looks, self._changes, self._spaces = {}, {PLAIN: PLAIN}, {}, {}

    def _cells(self, strip) -> tuple[list[str], list[Pen]]:
        chars: list[str] = []
        pens: list[Pen] = []
        for text, style, control in strip:
            if control or not text:
                continue
            pen = self._pens.get(style) if style is not None else PLAIN
            if pen is None:
                if len(self._pens) > 4096 or len(self._changes) > 16384:
                    self._clear_caches()
                pen = self._pens[style] = self._intern(pen_of(style, self._system))
            if text.isascii():
                chars.extend(text)
                pens.extend([pen] * len(text))
                continue
            for char in text:
                size = get_character_cell_size(char)
                if size == 0:  # a combining mark rides on the cell before it
                    if chars:
                        chars[-1] += char
                    continue
                chars.append(char)
                pens.append(pen)
                if size == 2:
                    chars.append(CONTINUATION)
                    pens.append(pen)
        return chars, pens


class _WireUpdate(CompositorUpdate):
    """A compositor update that renders through the Wire (App._display calls render_segments to write it)."""

    def __init__(self, wire: Wire, update: CompositorUpdate) -> None:
        self.wire, self.update = wire, update

    def __rich_console__(self, console, options):
        return self.update.__rich_console__(console, options)

    def render_segments(self, console: Console) -> str:
        return self.wire.render(self.update, console)
