"""The Wire (tui/wire.py): what it writes leaves a terminal showing exactly what Textual's own output would, in
fewer bytes; and the byte budget the output view paces itself by."""
from __future__ import annotations

import random
import re

from rich.cells import get_character_cell_size
from rich.color import Color, ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from tui.wire import ByteBudget, Wire

W, H = 24, 6
CUTS = (0, 7, 16, W)  # three "widgets" side by side on every line
BG = "#1e1e1e"
STYLES = [Style(color="#e0e0e0", bgcolor=BG), Style(color="red", bgcolor=BG), Style(color="green", bgcolor=BG),
          Style(color="yellow", bgcolor=BG, bold=True), Style(color="cyan", bgcolor=BG, underline=True),
          Style(color="#ffffff", bgcolor="#5f005f"), Style(bgcolor=BG), Style(color="red"), None]
CHARS = "ab c  d│─中文é"


class Terminal:
    """Just enough of a terminal to replay what the app writes: cursor moves, SGR, text (wide characters too)."""

    def __init__(self, width: int = W, height: int = H) -> None:
        self.width, self.height = width, height
        self.cells = [[(" ", ())] * width for _ in range(height)]
        self.x = self.y = 0
        self.pen: dict[str, str] = {}

    def feed(self, data: str) -> None:
        for token in re.findall(r"\x1b\[[\d;]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\|\r|\n|.", data, re.S):
            if token.startswith("\x1b]"):
                continue
            if token.startswith("\x1b["):
                params, final = token[2:-1], token[-1]
                if final == "H":
                    row, col = (int(p) for p in params.split(";"))
                    self.y, self.x = row - 1, col - 1
                elif final == "m":
                    self.sgr([p for p in params.split(";") if p] or ["0"])
                continue
            if token == "\r":
                self.x = 0
            elif token == "\n":
                self.y += 1
            else:
                self.put(token)

    def sgr(self, params: list[str]) -> None:
        i = 0
        while i < len(params):
            p = params[i]
            if p == "0":
                self.pen = {}
            elif p in ("38", "48"):
                n = 3 if params[i + 1] == "5" else 5
                self.pen["fg" if p == "38" else "bg"] = ";".join(params[i:i + n])
                i += n - 1
            elif p == "39":
                self.pen.pop("fg", None)
            elif p == "49":
                self.pen.pop("bg", None)
            elif 30 <= int(p) <= 37 or 90 <= int(p) <= 97:
                self.pen["fg"] = p
            elif 40 <= int(p) <= 47 or 100 <= int(p) <= 107:
                self.pen["bg"] = p
            elif p == "22":
                self.pen.pop("1", None), self.pen.pop("2", None)
            elif p in ("23", "24", "25", "27", "28", "29", "55"):
                off = {"23": ("3",), "24": ("4", "21"), "25": ("5", "6"), "27": ("7",), "28": ("8",), "29": ("9",),
                       "55": ("53",)}[p]
                for a in off:
                    self.pen.pop(a, None)
            else:
                self.pen[p] = p
            i += 1

    def put(self, char: str) -> None:
        look = tuple(sorted(self.pen.items()))
        if char == " ":  # a blank shows its background (and lines, reverse); not its text colour or weight
            look = tuple((k, v) for k, v in look if k in ("bg", "4", "7", "9", "21", "53")
                         or (k == "fg" and any(a in self.pen for a in ("4", "7", "9", "21", "53"))))
        size = get_character_cell_size(char)
        self.cells[self.y][self.x] = (char, look)
        if size == 2:
            self.cells[self.y][self.x + 1] = ("", look)
        self.x += size

    def rows(self) -> list[str]:
        return ["".join(c for c, _ in row) for row in self.cells]


def random_cells(rng: random.Random, width: int) -> list[tuple[str, Style | None]]:
    """`width` cells of random characters (a wide one takes two: itself, then "") in random styles."""
    cells: list[tuple[str, Style | None]] = []
    while len(cells) < width:
        char, style = rng.choice(CHARS), rng.choice(STYLES)
        if get_character_cell_size(char) == 2:
            if len(cells) + 2 > width:
                char = "x"
            else:
                cells.append((char, style))
                char = ""
        cells.append((char, style))
    return cells


def segments(cells: list[tuple[str, Style | None]]) -> list[Segment]:
    return [Segment(char, style) for char, style in cells if char]


def chops_of(cells) -> dict[int, Strip]:
    return dict(zip(CUTS[:-1], Strip(segments(cells), W).divide(CUTS[1:])))


def layout(lines) -> LayoutUpdate:
    return LayoutUpdate([list(chops_of(line).values()) for line in lines], Region(0, 0, W, H))


def partial(lines, spans: list[tuple[int, int, int]]) -> ChopsUpdate:
    dirty = {y for y, _, _ in spans}
    chops = [chops_of(line) if y in dirty else dict.fromkeys(CUTS[:-1]) for y, line in enumerate(lines)]
    return ChopsUpdate(chops, sorted(spans), [list(CUTS[1:]) for _ in range(H)])


def line_of(text: str, style: Style | None) -> list[tuple[str, Style | None]]:
    return [(char, style) for char in text]


def console() -> Console:
    return Console(width=W, height=H, color_system="256", force_terminal=True, legacy_windows=False)


def test_the_wire_leaves_the_terminal_as_textual_would_in_fewer_bytes():
    rng, con = random.Random(7), console()
    wire, by_wire, by_textual = Wire(), Terminal(), Terminal()
    lines = [random_cells(rng, W) for _ in range(H)]
    first = layout(lines)
    by_wire.feed(wire.wrap(first).render_segments(con))
    by_textual.feed(first.render_segments(con))
    assert by_wire.cells == by_textual.cells
    sent = textual_sent = 0
    for _ in range(300):
        # A widget changes cells in [x1, x2) of a line and refreshes that region, as Textual's widgets do.
        y, x1 = rng.randrange(H), rng.randrange(W)
        x2 = rng.randrange(x1 + 1, W + 1)
        line = lines[y]
        while x1 > 0 and line[x1][0] == "":  # never half a wide character
            x1 -= 1
        while x2 < W and line[x2][0] == "":
            x2 += 1
        lines[y] = line[:x1] + random_cells(rng, x2 - x1) + line[x2:]
        update = partial(lines, [(y, x1, x2)])
        out, theirs = wire.wrap(update).render_segments(con), update.render_segments(con)
        by_wire.feed(out)
        by_textual.feed(theirs)
        sent, textual_sent = sent + len(out), textual_sent + len(theirs)
        assert by_wire.cells == by_textual.cells
    assert sent < textual_sent * 0.6


def test_an_unchanged_refresh_sends_nothing_and_a_changed_cell_only_itself():
    con, wire = console(), Wire()
    grey = Style(color="#e0e0e0", bgcolor=BG)
    lines = [line_of("│ hello world".ljust(W), grey) for _ in range(H)]
    wire.wrap(layout(lines)).render_segments(con)
    assert wire.wrap(partial(lines, [(2, 0, W)])).render_segments(con) == ""
    lines[2] = line_of("│ hello world!".ljust(W), grey)
    out = wire.wrap(partial(lines, [(2, 0, W)])).render_segments(con)
    assert out == "\x1b[3;14H\x1b[38;5;253;48;5;234m!\x1b[0m"  # one move, one pen, one cell, a reset


def test_colour_changes_send_only_the_colour_and_spaces_keep_a_run():
    con, wire = console(), Wire()
    grey, red = Style(color="#e0e0e0", bgcolor=BG), Style(color="red", bgcolor=BG)
    line = line_of("ab", grey) + line_of(" ", red) + line_of("cd", grey) + line_of("ef", red)
    out = wire.wrap(layout([line + line_of(" " * (W - 7), grey)] * H)).render_segments(con)
    first_row = out.split("\x1b[2;1H")[0]
    assert first_row.count("48;5") == 1  # the background is set once, not per run
    assert "ab cd\x1b[31mef" in first_row  # the red space does not break the grey run; red is sent as "31" alone


def test_wide_characters_are_rewritten_whole():
    con, wire, term = console(), Wire(), Terminal()
    grey = Style(color="#e0e0e0", bgcolor=BG)
    lines = [[("a", grey), ("中", grey), ("", grey), *line_of("b".ljust(W - 3), grey)] for _ in range(H)]
    term.feed(wire.wrap(layout(lines)).render_segments(con))
    lines[0] = [("a", grey), ("b", grey), ("文", grey), ("", grey), *line_of("b".ljust(W - 4), grey)]
    term.feed(wire.wrap(partial(lines, [(0, 0, W)])).render_segments(con))
    assert term.rows()[0].startswith("ab文b ")


def test_a_new_size_or_a_whole_screen_is_sent_whole():
    con, wire = console(), Wire()
    grey = Style(color="#e0e0e0", bgcolor=BG)
    lines = [line_of("x" * W, grey) for _ in range(H)]
    wire.wrap(layout(lines)).render_segments(con)
    again = wire.wrap(layout(lines)).render_segments(con)
    assert again.count("x") == W * H  # the terminal may have been cleared: nothing is assumed
    wire.wrap(object())  # an update the wire does not know: it forgets what the screen shows
    assert wire.wrap(partial(lines, [(1, 0, W)])).render_segments(con).count("x") == W


def test_the_byte_budget_owes_what_went_past_it_and_time_pays_it_off():
    now = [0.0]
    budget = ByteBudget(1000, burst=200, clock=lambda: now[0])
    assert budget.delay() == 0
    budget.spend(150)
    assert budget.delay() == 0  # within the burst
    budget.spend(250)
    assert budget.delay() == 0.2  # 200 bytes owed at 1,000 bytes/s
    now[0] = 0.1
    assert budget.delay() == 0.1
    now[0] = 10.0
    assert budget.delay() == 0 and budget.tokens == 200  # never saves more than the burst
    assert budget.written == 400


def test_the_wire_meters_what_it_writes():
    con, budget = console(), ByteBudget(10, burst=0)
    wire = Wire(budget)
    out = wire.wrap(layout([line_of("é" * W, Style(color=Color.parse("red")))] * H)).render_segments(con)
    assert budget.written == len(out.encode()) and budget.delay() > 0
    assert ColorSystem.EIGHT_BIT == con._color_system
