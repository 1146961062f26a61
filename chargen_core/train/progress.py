"""How far a training session has come and how long it has left: one computation for the command line's progress
display, the app's training pane and `chargen runs`. Pure arithmetic on the trainer's events (no TensorFlow).

A session ends at its planned epochs or at its time budget, whichever comes first. The time left by the epochs is
the steps left at the session's measured speed; by the budget, the budget minus the time spent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .events import BatchEnded, TrainingStarted

MIN_STEPS_FOR_RATE = 2  # the first step includes tracing the model: too early to call a speed


@dataclass(frozen=True)
class Estimate:
    steps_done: float  # this session's steps, or their equivalent in time when the budget ends the run first
    total_steps: int  # steps this session plans: (epochs - initial epoch) x steps per epoch
    elapsed: float  # seconds of training this session
    seconds_left: float | None  # None: not measurable yet (no speed, no budget)
    budget_ends_first: bool  # the time budget, not the epochs, is what ends this session

    @property
    def fraction(self) -> float:
        return min(1.0, self.steps_done / self.total_steps) if self.total_steps else 0.0

    def eta(self, now: float | None = None) -> float | None:
        """The wall-clock time (epoch seconds) the session should end, or None."""
        if self.seconds_left is None:
            return None
        return (time.time() if now is None else now) + self.seconds_left


def estimate(started: TrainingStarted, batch: BatchEnded | None) -> Estimate:
    """Where the session stands after `batch` (None: started, no step yet)."""
    total = max(1, (started.epochs - started.initial_epoch) * started.steps_per_epoch)
    budget = started.time_budget
    if batch is None:
        return Estimate(0, total, 0.0, budget, bool(budget))
    done = max(0, batch.global_step - started.initial_epoch * started.steps_per_epoch)
    elapsed = max(0.0, batch.elapsed)
    by_steps = None
    if done >= MIN_STEPS_FOR_RATE and elapsed > 0:
        by_steps = (total - min(done, total)) * elapsed / done
    by_budget = max(0.0, budget - elapsed) if budget else None
    budget_first = by_budget is not None and (by_steps is None or by_budget < by_steps)
    left = by_budget if budget_first else by_steps
    steps_done = float(done)
    if budget:  # progress by time, when the budget is the nearer end
        steps_done = max(steps_done, total * min(1.0, elapsed / budget)) if budget_first else steps_done
    return Estimate(steps_done, total, elapsed, left, budget_first)


def format_clock(when: float | None, now: float | None = None) -> str:
    """A wall-clock time (epoch seconds) as people read an end time: "14:32" today, "Tue 09:05" within the
    week, "2031-06-02 14:32" further off; "–" when unknown. Local time."""
    if when is None:
        return "–"
    now = time.time() if now is None else now
    moment, today = time.localtime(when), time.localtime(now)
    if (moment.tm_year, moment.tm_yday) == (today.tm_year, today.tm_yday):
        return time.strftime("%H:%M", moment)
    if 0 < when - now < 6 * 86400:
        return time.strftime("%a %H:%M", moment)
    return time.strftime("%Y-%m-%d %H:%M", moment)


def format_duration(seconds: float | None) -> str:
    """"2h 05m", "4m 09s", "37s"; "–" when unknown."""
    if seconds is None:
        return "–"
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
