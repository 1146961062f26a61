"""A loss curve drawn with braille dots (2×4 per cell), training loss and validation loss in two colours."""
from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from .throttle import Throttle

# Bit of each dot in a braille cell, indexed [column][row from the top].
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
LABEL = 5  # columns for the axis labels


def resample(values: list, n: int) -> list:
    """Exactly n points along the series: picked when there are more, linearly interpolated when fewer."""
    if not values or n < 1:
        return []
    if len(values) == 1 or n == 1:
        return [values[-1]] * n
    step = (len(values) - 1) / (n - 1)
    out = []
    for i in range(n):
        x = i * step
        j = min(int(x), len(values) - 2)
        out.append(values[j] + (values[j + 1] - values[j]) * (x - j))
    return out


def plot(points: list[tuple[float, float]], width: int, height: int, x_range: tuple[float, float],
         lo: float, hi: float) -> list[list[int]]:
    """Braille bit masks [row][col] for a line through (x, y) points on shared axes."""
    grid = [[0] * width for _ in range(height)]
    xs, ys = width * 2, height * 4
    x0, x1 = x_range
    xspan, span = (x1 - x0) or 1.0, (hi - lo) or 1.0
    prev = None
    for x, v in points:
        col = min(xs - 1, max(0, round((x - x0) / xspan * (xs - 1))))
        row = ys - 1 - round((min(max(v, lo), hi) - lo) / span * (ys - 1))
        if prev is not None and col > prev[0] + 1:  # bridge a gap between sparse points
            for c in range(prev[0] + 1, col):
                r = round(prev[1] + (row - prev[1]) * (c - prev[0]) / (col - prev[0]))
                grid[r // 4][c // 2] |= _DOTS[c % 2][r % 4]
        lo_r, hi_r = (row, row) if prev is None else (min(prev[1], row), max(prev[1], row))
        for r in range(lo_r, hi_r + 1):  # vertical run joins steep steps into a line
            grid[r // 4][col // 2] |= _DOTS[col % 2][r % 4]
        prev = (col, row)
    return grid


def render_curve(train: list[tuple[float, float]], val: list[tuple[float, float]], width: int,
                 height: int) -> Text:
    """Two series of (step, loss) on shared axes; val drawn over train where both fall in one cell."""
    text = Text(no_wrap=True, overflow="crop")
    points = [p for p in (*train, *val) if p[1] == p[1]]  # NaN never reaches the axes
    cols = max(1, width - LABEL)
    if not points or height < 1:
        return text.append("no loss yet".ljust(width)[:width], style="bright_black")
    lo, hi = min(p[1] for p in points), max(p[1] for p in points)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    x_range = (min(p[0] for p in points), max(p[0] for p in points))
    grids = [plot([p for p in series if p[1] == p[1]], cols, height, x_range, lo, hi) for series in (train, val)]
    for r in range(height):
        label = f"{hi:4.2f}" if r == 0 else f"{lo:4.2f}" if r == height - 1 else ""
        text.append(label.rjust(LABEL - 1)[: LABEL - 1] + ("┤" if label else "│"), style="bright_black")
        run, run_style = [], ""
        for t, v in zip(grids[0][r], grids[1][r]):  # one span per run of a colour: redrawn at every batch
            bits, style = (v, "yellow") if v else (t, "cyan") if t else (0, "")
            if style != run_style and run:
                text.append("".join(run), style=run_style)
                run = []
            run.append(chr(0x2800 + bits) if bits else " ")
            run_style = style
        text.append("".join(run), style=run_style)
        if r < height - 1:
            text.append("\n")
    return text


class LossCurve(Widget):
    """Training loss per progress update (cyan) and validation loss per epoch (yellow), in nats/char, against
    optimizer steps (or epochs, for a run's history)."""

    DEFAULT_CSS = "LossCurve { height: 4; min-height: 2; }"
    MAX_POINTS = 2000  # older points are thinned out; a curve never needs more
    REDRAW_INTERVAL = 2.0  # seconds: a point a batch moves a few dots now and then; the trend is what matters

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.train: list[tuple[float, float]] = []
        self.val: list[tuple[float, float]] = []
        self.redraws = 0  # repaints asked for: only when a dot moved
        self._drawn: tuple | None = None  # the plot last rendered, to tell whether new points moved a dot
        self._throttle = Throttle(self, self.REDRAW_INTERVAL, self._redraw_if_moved)

    def add_train(self, step: float, loss: float) -> None:
        self.train.append((step, loss))
        if len(self.train) > self.MAX_POINTS:
            self.train = self.train[::2]
        self._throttle.request()

    def add_val(self, step: float, loss: float) -> None:
        self.val.append((step, loss))
        self._throttle.request()

    def set_history(self, train: list[tuple[float, float]], val: list[tuple[float, float]]) -> None:
        self.train, self.val = list(train)[-self.MAX_POINTS:], list(val)
        self._throttle.now()

    def _redraw_if_moved(self) -> None:
        if _shape(self._plot()) != self._drawn:
            self.redraws += 1
            self.refresh()

    def _plot(self) -> Text:
        return render_curve(self.train, self.val, self.size.width, self.size.height)

    def render(self) -> Text:
        text = self._plot()
        self._drawn = _shape(text)
        return text


def _shape(text: Text) -> tuple:
    return text.plain, tuple(text.spans)
