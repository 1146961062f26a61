"""`chargen train`'s progress, driven with synthetic events (no TensorFlow): the live display on a terminal (a rich
console forced to be one, writing into a buffer), plain lines anywhere else, and a hang-up that writes nothing."""
from __future__ import annotations

import errno
import io
import sys

from chargen_core.cli import common
from chargen_core.cli.live_progress import CURSOR_ROOM, LiveProgress
from chargen_core.cli.train_progress import PlainProgress, Reporter, uses_live_display
from chargen_core.train import (BatchEnded, EpochEnded, PreviewGenerated, TrainingFinished, TrainingPaused,
                                TrainingStarted, format_clock)
from terminal_screen import screen

NOW = 1_900_000_000.0  # the wall clock the display reads (for the ETA)
START_LINE = "training 12,345 parameters on CPU (default, 1 replica, float32) -> /runs/tiny"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def started(epochs=2, steps=5, initial_epoch=0, budget=None) -> TrainingStarted:
    return TrainingStarted("/runs/tiny", epochs, initial_epoch, steps, 12345, "CPU", "default", 1, "float32",
                           time_budget=budget)


def batch(global_step, elapsed, steps=5, loss=2.0) -> BatchEnded:
    return BatchEnded((global_step - 1) // steps, (global_step - 1) % steps + 1, global_step, steps, loss, 12345.0,
                      elapsed)


def live_reporter(width=80):
    buffer, clock = io.StringIO(), Clock()
    display = LiveProgress(buffer, width=width, clock=clock, wall_clock=lambda: NOW)
    return Reporter(buffer, progress=display), buffer, clock


def test_the_live_display_shows_step_loss_speed_elapsed_time_left_and_eta():
    reporter, buffer, clock = live_reporter()
    reporter(started())
    for step in (1, 2, 3):  # 3 of 10 steps in 3 s: 7 s left
        clock.now += 1
        reporter(batch(step, float(step), loss=2.5 - step * 0.1))
    reporter.progress.refresh()
    shown = screen(buffer.getvalue())
    assert shown[0] == START_LINE
    head, bar = shown[-2], shown[-1]
    assert head == "epoch 1/2  step 3/5  loss 2.2000  12,345 targets/s"
    assert bar.startswith("━") and bar.endswith(f"30%  3s elapsed  7s left  ETA {format_clock(NOW + 7, NOW)}")
    assert len(bar) == 80 - CURSOR_ROOM  # the bar fills the width the numbers leave, but for room for an echoed ^C
    reporter.close()


def test_the_clock_runs_between_batches_and_stands_still_while_paused():
    reporter, buffer, clock = live_reporter()
    reporter(started(budget=60))
    clock.now += 1
    reporter(batch(1, 1.0))
    clock.now += 9  # a slow step: 10 s of the budget are spent, not 1
    reporter.progress.refresh()
    assert screen(buffer.getvalue())[-1].endswith("10s elapsed  50s left (budget)  ETA " + format_clock(NOW + 50, NOW))
    assert screen(buffer.getvalue())[-2].startswith("epoch 1  step 1/5")  # the budget ends it: no "/2"
    reporter(TrainingPaused(True, 1))
    clock.now += 300
    reporter.progress.refresh()
    shown = screen(buffer.getvalue())
    assert shown[-2].startswith("paused  epoch 1") and "10s elapsed  50s left" in shown[-1]
    assert "paused at step 1" in shown
    reporter(TrainingPaused(False, 1))
    clock.now += 5
    reporter.progress.refresh()
    assert "15s elapsed  45s left" in screen(buffer.getvalue())[-1]
    reporter.close()


def test_permanent_lines_come_out_whole_above_the_display():
    reporter, buffer, clock = live_reporter(width=60)
    reporter(started(initial_epoch=1, epochs=3))
    reporter(batch(6, 1.0))
    reporter.progress.refresh()
    reporter(EpochEnded(1, 2.1, 2.2, 3.174, 0.3, 0.31, 5.0, 10))
    long_preview = "the quick brown fox jumps over the lazy dog " * 3  # wider than the terminal
    reporter(PreviewGenerated(1, "the", long_preview))
    reporter(batch(11, 2.0))
    reporter.progress.refresh()
    reporter(TrainingFinished("/runs/tiny", "completed", 3, 15, 2.2, 3.174, 2.2, 3.0, 1.0))
    shown = screen(buffer.getvalue())
    assert shown[0] == START_LINE.replace(" -> ", ", resuming at epoch 2 -> ")
    epoch_line = "epoch 2/3  loss 2.1000  val 2.2000 nats/char (3.174 bpc)  acc 0.310  5.0 s"
    preview_line = f"  preview: 'the' -> {long_preview!r}"
    assert shown[1:3] == [epoch_line, preview_line]  # each on its own line, in one piece, in order
    assert shown[-3].startswith("epoch 3/3  step 1/5") and "60%" in shown[-2]  # the last frame stays
    assert shown[-1] == "" and buffer.getvalue().endswith("\n\x1b[?25h")  # the cursor below it, shown again
    assert not reporter.progress.open
    reporter.progress.line("after")  # a line after the end is a plain line
    assert buffer.getvalue().endswith("after\n")


def test_notices_printed_to_stderr_during_training_go_above_the_display(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    reporter = Reporter()  # on the process's own stderr, a terminal: the live display
    assert isinstance(reporter.progress, LiveProgress)
    reporter(started())
    reporter(batch(1, 1.0))
    assert reporter.progress.open and sys.stderr is not terminal  # rich's proxy, while the display is up
    common.say("chargen: SIGINT: stopping after this batch and saving (Ctrl-C again to abort)")
    reporter.close()
    assert sys.stderr is terminal  # put back
    shown = screen(terminal.getvalue())
    assert "chargen: SIGINT: stopping after this batch and saving (Ctrl-C again to abort)" in shown
    assert shown[-3].startswith("epoch 1/2  step 1/5")


class DeadTerminal(FakeTerminal):
    """A terminal that hung up: every write fails as a real one does (EIO)."""

    def __init__(self) -> None:
        super().__init__()
        self.dead = False
        self.attempts = 0

    def write(self, text: str) -> int:
        if self.dead:
            self.attempts += 1
            raise OSError(errno.EIO, "Input/output error")
        return super().write(text)


def test_a_hang_up_stops_the_display_without_writing_to_the_terminal():
    terminal = DeadTerminal()
    display = LiveProgress(terminal, width=80)
    reporter = Reporter(terminal, progress=display)
    reporter(started())
    reporter(batch(1, 1.0))
    display.refresh()
    written = terminal.getvalue()
    terminal.dead = True
    reporter.hang_up()
    reporter(EpochEnded(0, 2.1, 2.2, 3.174, 0.3, 0.31, 5.0, 5))
    reporter(TrainingFinished("/runs/tiny", "stopped", 0, 1, None, None, None, 1.0, 1.0))
    reporter.close()
    assert terminal.attempts == 0 and terminal.getvalue() == written and not display.open


def test_a_terminal_that_fails_mid_training_does_not_stop_it():
    terminal = DeadTerminal()
    display = LiveProgress(terminal, width=80)
    reporter = Reporter(terminal, progress=display)
    reporter(started())
    terminal.dead = True  # gone without a SIGHUP (yet): the first failed write silences the display
    reporter(batch(1, 1.0))
    display.refresh()
    reporter(EpochEnded(0, 2.1, 2.2, 3.174, 0.3, 0.31, 5.0, 5))
    reporter.close()
    assert terminal.attempts == 1 and display.terminal.gone


def test_a_pipe_gets_todays_plain_lines():
    pipe = io.StringIO()
    reporter = Reporter(pipe)
    assert isinstance(reporter.progress, PlainProgress) and not uses_live_display(pipe)
    reporter(started())
    reporter(batch(1, 1.0, loss=2.4))
    reporter(batch(2, 2.0))  # within the 10 s cadence: not printed
    reporter(EpochEnded(0, 2.1, 2.2, 3.174, 0.3, 0.31, 5.0, 5))
    reporter(PreviewGenerated(0, "the", " fox"))
    reporter(TrainingFinished("/runs/tiny", "completed", 1, 5, 2.2, 3.174, 2.2, 3.0, 1.0))
    assert pipe.getvalue() == (
        f"{START_LINE}\n"
        "epoch 1/2 step 1/5 loss 2.4000 12,345 chars/s\n"
        "epoch 1/2  loss 2.1000  val 2.2000 nats/char (3.174 bpc)  acc 0.310  5.0 s\n"
        "  preview: 'the' -> ' fox'\n")


def test_a_dumb_terminal_keeps_the_line_redrawn_in_place(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    terminal = FakeTerminal()
    reporter = Reporter(terminal)
    assert isinstance(reporter.progress, PlainProgress)
    reporter(started())
    reporter(batch(1, 1.0, loss=2.4))
    assert terminal.getvalue().endswith("\r\033[Kepoch 1/2 step 1/5 loss 2.4000 12,345 chars/s")
    reporter.close()
    assert terminal.getvalue().endswith("chars/s\n")


def test_a_narrow_terminal_keeps_the_bar_and_the_time_left():
    reporter, buffer, clock = live_reporter(width=40)
    reporter(started(epochs=100, steps=1200, budget=7200))
    clock.now += 4000
    reporter(batch(2850, 4000.0, steps=1200))
    reporter.progress.refresh()
    bar = screen(buffer.getvalue())[-1]
    assert bar.startswith("━━━") and bar.endswith("  56%  53m 20s left") and len(bar) <= 40 - CURSOR_ROOM
    reporter.close()
