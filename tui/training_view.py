"""What the followed trainer's events show on the main screen: the training pane, the state in the header,
notifications, and a trainer that ended without saying how (a crash, or a start that failed)."""
from __future__ import annotations

from typing import Any

from chargen_core.train import (BatchEnded, CheckpointSaved, EpochEnded, PreviewGenerated, TrainingFailed,
                                TrainingFinished, TrainingPaused, TrainingStarted)

from .generation import one_line
from .training import Followed, ended_reason, finished_text


class TrainingView:
    """Routes each event of the followed run to the pane, the header and the notifications."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen

    def event(self, event: Any) -> None:
        screen, train = self.screen, self.screen.train
        match event:
            case TrainingStarted():
                checkpoint_every = self._checkpoint_every(event.run_dir)
                train.started(event.steps_per_epoch, checkpoint_every)
                screen.pane.started(event)
                if event.fresh_optimizer:
                    screen.notify("this model was saved as weights only: training continues with a fresh "
                                  "optimizer", severity="warning", timeout=8)
                if event.continued_note:
                    screen.notify(event.continued_note, timeout=8)
                screen.device = event.device or screen.device
                screen.set_state("paused" if train.paused else "training")
            case BatchEnded():
                screen.pane.batch(event)
            case EpochEnded():
                screen.pane.epoch(event)
            case PreviewGenerated():
                screen.pane.preview(event.epoch, event.text)
            case CheckpointSaved():
                screen.run.untrained = False
                if event.kind != "best":  # "best" is a copy of a checkpoint just loaded
                    train.checkpoint_saved(event.path)
                if event.kind == "stop":
                    screen.notify(f"checkpoint saved: {event.path}")
            case TrainingPaused():
                train.paused = event.paused
                if screen.state in ("training", "paused"):
                    screen.set_state("paused" if event.paused else "training")
            case TrainingFinished():
                train.ended()
                screen.set_state("stopped" if event.reason == "stopped" else "done")
                screen.notify(finished_text(event))
            case TrainingFailed():
                train.ended()
                screen.set_state("failed")
                screen.notify(f"training failed: {event.reason}", severity="error", timeout=10)

    def _checkpoint_every(self, run_dir: str) -> int:
        try:
            return self.screen.app.services.checkpoint_every(run_dir)
        except Exception:  # only the note on when weights come depends on it
            return 0

    def ended(self, followed: Followed) -> None:
        """The followed process is gone: said how it ended already, or crashed / never started."""
        screen = self.screen
        if not followed.ended:
            try:
                reason = ended_reason(screen.app.services.log_tail(followed.run_path))
            except Exception as exc:
                reason = f"its log cannot be read: {one_line(exc)}"
            what = "crashed" if followed.started else "could not start"
            screen.set_state("failed")
            screen.notify(f"training {what}: {reason}", title=followed.run_path.name, severity="error", timeout=15)
        elif screen.state not in ("done", "stopped", "failed"):
            screen.set_state("done")

    @staticmethod
    def left_training(paths: list, stopped: bool) -> str:
        """The line printed when the app has quit: what trains on, and how to come back to it."""
        names = ", ".join(path.name for path in paths)
        if stopped:
            return f"chargen: stopping {names} (a checkpoint is saved); `chargen runs` shows when it has"
        return (f"chargen: {names} keeps training in its own process; `chargen runs` shows its progress, "
                f"`chargen --run {paths[0].name}` follows it again")
