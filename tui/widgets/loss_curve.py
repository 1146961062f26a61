"""A loss curve drawn with braille dots (2×4 per cell), training loss and validation loss in two colours."""
from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

# Bit of each dot in a braille cell, indexed [column][row from the top].
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
LABEL = 5  # columns for the axis labels


def resample(values: list[float], n: int) -> list[float]:
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


def plot(values: list[float], width: int, height: int, lo: float, hi: float) -> list[list[int]]:
    """Braille bit masks [row][col] for a line through values, stretched across width cells."""
    grid = [[0] * width for _ in range(height)]
    xs, ys = width * 2, height * 4
    points = resample(values, xs)
    span = (hi - lo) or 1.0
    prev = None
    for i, v in enumerate(points):
        x = i
        y = ys - 1 - round((min(max(v, lo), hi) - lo) / span * (ys - 1))
        lo_y, hi_y = (y, y) if prev is None else (min(prev, y), max(prev, y))
        for yy in range(lo_y, hi_y + 1):  # vertical run joins steep steps into a line
            grid[yy // 4][x // 2] |= _DOTS[x % 2][yy % 4]
        prev = y
    return grid


def render_curve(train: list[float], val: list[float], width: int, height: int) -> Text:
    """Two series on shared axes; val drawn over train where both fall in one cell."""
    text = Text(no_wrap=True, overflow="crop")
    values = [v for v in (*train, *val) if v == v]  # NaN never reaches the axes
    cols = max(1, width - LABEL)
    if not values or height < 1:
        return text.append("no loss yet".ljust(width)[:width], style="bright_black")
    lo, hi = min(values), max(values)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    grids = [plot(series, cols, height, lo, hi) if series else None for series in (train, val)]
    for r in range(height):
        label = f"{hi:4.2f}" if r == 0 else f"{lo:4.2f}" if r == height - 1 else ""
        text.append(label.rjust(LABEL - 1)[: LABEL - 1] + ("┤" if label else "│"), style="bright_black")
        for c in range(cols):
            t = grids[0][r][c] if grids[0] else 0
            v = grids[1][r][c] if grids[1] else 0
            bits, style = (v, "yellow") if v else (t, "cyan")
            text.append(chr(0x2800 + bits) if bits else " ", style=style if bits else "")
        if r < height - 1:
            text.append("\n")
    return text


class LossCurve(Widget):
    """Training loss per progress update (cyan) and validation loss per epoch (yellow), in nats/char."""

    DEFAULT_CSS = "LossCurve { height: 4; min-height: 2; }"
    MAX_POINTS = 2000  # older points are thinned out; a curve never needs more

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.train: list[float] = []
        self.val: list[float] = []

    def add_train(self, loss: float) -> None:
        self.train.append(loss)
        if len(self.train) > self.MAX_POINTS:
            self.train = self.train[::2]
        self.refresh()

    def add_val(self, loss: float) -> None:
        self.val.append(loss)
        self.refresh()

    def set_history(self, train: list[float], val: list[float]) -> None:
        self.train, self.val = list(train)[-self.MAX_POINTS:], list(val)
        self.refresh()

    def render(self) -> Text:
        return render_curve(self.train, self.val, self.size.width, self.size.height)
