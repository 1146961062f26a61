"""`chargen train`'s live progress display on a terminal, drawn with rich.

Two lines at the bottom of the terminal, redrawn a few times a second by rich's refresh thread:

    epoch 3/10  step  45/120  loss 1.2345  12,345 targets/s
    ━━━━━━━━━━━━━━━━━━━━╸━━━━━━━━━━━━━━━━━  37%  1m 23s elapsed  2m 21s left  ETA 14:32

The time left, the ETA and the bar's fill come from chargen_core.train.estimate, like the app's pane. The clock
runs on between batches (a slow step, a validation) from the last batch's elapsed time. Permanent lines, and
whatever else the process prints to stderr (or stdout, when it is the terminal too), go above the display.
"""
from __future__ import annotations

import dataclasses
import sys
import threading
import time

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..train import BatchEnded, TrainingStarted, estimate, format_clock, format_duration

REFRESHES_PER_SECOND = 4
MIN_BAR_WIDTH = 10
# Columns the last line leaves free: the cursor waits after it, and the terminal echoes ^C there. On a full line the
# echo would wrap onto a new line, and the redraw (cursor up one line per line drawn) would leave a stale copy.
CURSOR_ROOM = 3


class GuardedTerminal:
    """The terminal as the display writes to it. Once a write fails (the terminal is gone: EIO) or the session
    has hung up, nothing more is written; the display must never raise into training."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self.stream.write(text)
            except (OSError, ValueError):
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self.gone = True

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.stream.fileno()


class LiveProgress:
    """The live display. `line()` prints a permanent line above it; `close()` leaves its last frame on screen."""

    tty = True

    def __init__(self, stream=None, width: int | None = None, clock=time.monotonic, wall_clock=time.time) -> None:
        stream = stream or sys.stderr
        self.terminal = GuardedTerminal(stream)
        self.console = Console(file=self.terminal, force_terminal=True, width=width, highlight=False, emoji=False,
                               markup=False)
        self.clock, self.wall_clock = clock, wall_clock
        self._lock = threading.Lock()  # the trainer's thread updates what rich's refresh thread draws
        self.started: TrainingStarted | None = None
        self.last: BatchEnded | None = None
        self.last_at = 0.0  # clock() when `last` (or the start) arrived
        self.paused_at: float | None = None
        self.closed = False
        # Prints elsewhere in the process would land inside the display: rich sends them above it, but only when
        # the display is on the process's own stderr (stdout too, when it is the same kind of terminal).
        on_stderr = stream is sys.stderr
        self.live = Live(console=self.console, get_renderable=self.frame, refresh_per_second=REFRESHES_PER_SECOND,
                         redirect_stderr=on_stderr, redirect_stdout=on_stderr and _isatty(sys.stdout))

    @property
    def open(self) -> bool:
        """True while the display is on screen (a notice printed now goes above it)."""
        return self.live.is_started

    def start(self, event: TrainingStarted) -> None:
        with self._lock:
            self.started, self.last, self.last_at, self.paused_at = event, None, self.clock(), None
        if not self.closed and not self.terminal.gone:
            self.live.start(refresh=True)

    def batch(self, event: BatchEnded) -> None:
        with self._lock:
            self.last, self.last_at = event, self.clock()

    def pause(self, paused: bool) -> None:
        with self._lock:
            if paused and self.paused_at is None:
                self.paused_at = self.clock()
            elif not paused and self.paused_at is not None:
                self.last_at += self.clock() - self.paused_at  # the clock stood still while paused
                self.paused_at = None

    def line(self, text: str) -> None:
        """A permanent line above the display (or a plain line when it is not up)."""
        self.console.print(Text(text), soft_wrap=True)

    def close(self) -> None:
        """Stop redrawing; the last frame stays and the cursor goes below it."""
        self.closed = True
        self.live.stop()

    def hang_up(self) -> None:
        """The terminal is gone (SIGHUP): stop without writing another byte to it."""
        self.terminal.gone = True
        self.close()

    def refresh(self) -> None:
        self.live.refresh()

    # ---- what is drawn

    def current(self) -> tuple[BatchEnded | None, float]:
        """The last batch with its elapsed time moved on to now (before the first batch: a step 0 at 0 s, the
        trainer's clock starts with the first step), and the seconds since it (or the start) arrived."""
        with self._lock:
            now = self.clock() if self.paused_at is None else self.paused_at  # the clock stands still while paused
            started, last, since = self.started, self.last, now - self.last_at
        since = max(0.0, since)
        if started is None:
            return None, since
        if last is None:
            return BatchEnded(started.initial_epoch, 0, started.initial_epoch * started.steps_per_epoch,
                              started.steps_per_epoch, float("nan"), 0.0, 0.0), since
        return dataclasses.replace(last, elapsed=last.elapsed + since), since

    def frame(self):
        batch, since = self.current()
        if batch is None:
            return Text("")
        started = self.started
        est = estimate(started, batch)
        epoch = f"epoch {batch.epoch + 1}" if est.budget_ends_first else f"epoch {batch.epoch + 1}/{started.epochs}"
        total = str(batch.steps_per_epoch)
        head = Text(overflow="ellipsis", no_wrap=True)
        if self.paused_at is not None:
            head.append("paused  ", "yellow bold")
        head.append(f"{epoch}  step {batch.step:>{len(total)}}/{total}  ")
        if batch.step == 0:
            head.append(f"waiting for the first step  {format_duration(since)}", "dim")
        else:
            head.append(f"loss {batch.loss:.4f}  ")
            head.append(f"{batch.chars_per_second:,.0f}", "bold")
            head.append(" targets/s", "dim")
        width = max(MIN_BAR_WIDTH, self.console.width - CURSOR_ROOM)
        times = self._times(est, width - MIN_BAR_WIDTH - 1)
        row = Table.grid(padding=(0, 1), expand=True)
        row.width = width
        row.add_column(ratio=1, min_width=MIN_BAR_WIDTH)
        row.add_column(no_wrap=True, overflow="ellipsis")
        row.add_row(ProgressBar(total=1.0, completed=est.fraction), times)
        return Group(head, row)

    def _times(self, est, room: int) -> Text:
        """The numbers beside the bar, the most that fit in `room` columns: on a narrow terminal the budget mark
        goes first, then the elapsed time, then the ETA."""
        now = self.wall_clock()
        percent = (f"{est.fraction:4.0%}", "")
        elapsed = [(format_duration(est.elapsed), ""), (" elapsed", "dim")]
        left = [(format_duration(est.seconds_left), "bold"), (" left", "dim")]
        budget = [(" (budget)", "dim")] if est.budget_ends_first else []
        eta = [("ETA ", "dim"), (format_clock(est.eta(now), now), "")]
        text = Text()
        for groups in ([elapsed, left + budget, eta], [elapsed, left, eta], [left, eta], [left]):
            text = Text.assemble(percent, *(part for group in groups for part in [("  ", ""), *group]),
                                 no_wrap=True, overflow="ellipsis")
            if text.cell_len <= room:
                break
        return text


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
