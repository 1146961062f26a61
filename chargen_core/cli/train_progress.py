"""`chargen train`'s progress on stderr: the trainer's events as lines, under a live display on a terminal.

On a terminal (not a dumb one) the progress is a live display (live_progress.py); anywhere else (a pipe, a log
file, a detached trainer's train.log) it is plain lines, one every few seconds. Both show the same permanent lines:
the start line, notices, epoch ends and previews.
"""
from __future__ import annotations

import os
import sys

from ..train import BatchEnded, EpochEnded, PreviewGenerated, TrainingFinished, TrainingPaused, TrainingStarted
from .common import Progress


class PlainProgress(Progress):
    """Progress as text lines: in place on a dumb terminal, one every few seconds in a pipe or a log."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self.epochs = 0

    def start(self, event: TrainingStarted) -> None:
        self.epochs = event.epochs

    def batch(self, event: BatchEnded) -> None:
        self.update(f"epoch {event.epoch + 1}/{self.epochs} step {event.step}/{event.steps_per_epoch} "
                    f"loss {event.loss:.4f} {event.chars_per_second:,.0f} chars/s")

    def pause(self, paused: bool) -> None:
        pass  # the permanent line says it

    def close(self) -> None:
        self.end()

    def hang_up(self) -> None:
        self.stream = open(os.devnull, "w")  # noqa: SIM115 (the process ends soon; a write must not fail)


def uses_live_display(stream) -> bool:
    """A live display needs a terminal that moves its cursor: not a pipe, not TERM=dumb."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") not in ("dumb", "unknown")


class Reporter:
    """Turns trainer events into stderr output. `progress` is the display: a LiveProgress or a PlainProgress.

    The command calls `hang_up()` when the terminal is gone (SIGHUP: nothing is written to it after that) and
    `close()` when training ends, whatever way (the display's last frame stays on screen, the cursor below it).
    """

    def __init__(self, stream=None, progress=None):
        stream = stream or sys.stderr
        if progress is None and uses_live_display(stream):
            from .live_progress import LiveProgress

            progress = LiveProgress(stream)
        self.progress = progress or PlainProgress(stream)
        self.epochs = 0

    def __call__(self, event) -> None:
        progress = self.progress
        if isinstance(event, TrainingStarted):
            self.epochs = event.epochs
            resumed = f", resuming at epoch {event.initial_epoch + 1}" if event.initial_epoch else ""
            progress.line(f"training {event.params:,} parameters on {event.device} ({event.strategy}, "
                          f"{event.replicas} replica{'s' if event.replicas != 1 else ''}, {event.precision})"
                          f"{resumed} -> {event.run_dir}")
            if event.fresh_optimizer:
                progress.line("the checkpoint holds weights only (no optimizer state): training continues "
                              "with a fresh optimizer")
            if event.continued_note:
                progress.line(event.continued_note)
            progress.start(event)
        elif isinstance(event, BatchEnded):
            progress.batch(event)
        elif isinstance(event, EpochEnded):
            progress.line(f"epoch {event.epoch + 1}/{self.epochs}  loss {event.loss:.4f}  val {event.val_loss:.4f} "
                          f"nats/char ({event.val_bpc:.3f} bpc)  acc {event.val_accuracy:.3f}  {event.seconds:.1f} s")
        elif isinstance(event, PreviewGenerated):
            progress.line(f"  preview: {event.prompt!r} -> {event.text!r}")
        elif isinstance(event, TrainingPaused):
            progress.pause(event.paused)
            progress.line(f"paused at step {event.global_step}" if event.paused
                          else f"training again from step {event.global_step}")
        elif isinstance(event, TrainingFinished):
            progress.close()  # its last frame says where training ended; the summary follows

    def close(self) -> None:
        self.progress.close()

    def hang_up(self) -> None:
        self.progress.hang_up()
