"""Learning-rate schedules: warm-up, then "wsd" (hold the peak, decay over the last quarter), cosine, or constant.

"wsd" (warm-up, stable, decay) is the default because measurement showed it: under a short time budget a
cosine curve spends most steps at a rate well below the peak, while the model is still far from converged
(Nietzsche, 128 units, 60 s: cosine 2.08 nats/char vs a held peak 1.85 at the same step).

The rate is set on the optimizer before every batch from the global step, so nothing custom is saved in the
.keras file (safe-mode loading stays simple) and a resumed run continues the same curve. With a time budget the
planned steps are re-estimated from the measured speed, so the decay ends when the budget does.

A run that finished its decay and is trained further starts a new curve at the step it ended (`start_step`),
from the rate it ended at (see `continuation`): warming back up to the first peak would undo the decay's gain.
"""
from __future__ import annotations

import dataclasses
import math

import keras

from ..config import DECAY_FRACTION

FLOOR = 0.05  # the decay ends at this fraction of the peak rate
REPLAN_EVERY = 25  # steps between re-estimates of the planned steps under a time budget


class Schedule:
    def __init__(self, peak: float, *, kind: str = "cosine", warmup_steps: int = 0, planned_steps: int = 1,
                 decay_fraction: float = DECAY_FRACTION, start_step: int = 0):
        # A continued run's curve starts where the run ended, with no warm-up: its rate is where the last one ended.
        self.start = int(start_step)
        self.peak, self.kind, self.warmup = float(peak), kind, 0 if self.start else int(warmup_steps)
        self.decay_fraction = float(decay_fraction)
        self.planned_steps = max(1, int(planned_steps))
        self.rewarm_from: int | None = None  # a resume with a fresh optimizer warms up again from this step
        self.decay_start: int | None = None  # set when validation stalled: the decay began here (start_decay)

    def start_decay(self, step: int) -> None:
        """Begin the final decay now instead of at the planned point (wsd only: validation has stopped
        improving at the peak). It lasts decay_fraction of the run, as planned, so the run ends at planned_steps."""
        f, done, planned = self.decay_fraction, step - self.start, self.planned_steps - self.start
        if self.kind != "wsd" or self.decay_start is not None or done >= int(planned * (1 - f)):
            return  # not wsd, or already decaying
        length = round(done * f / (1 - f))  # f < 1 here: a decay over the whole run has always begun
        self.decay_start, self.planned_steps = step, min(self.planned_steps, step + max(1, length))

    @property
    def decaying_early(self) -> bool:
        return self.decay_start is not None

    def rate(self, step: int) -> float:
        rate = self._curve(step)
        if self.rewarm_from is not None and self.warmup and 0 <= step - self.rewarm_from < self.warmup:
            # Adam's first steps from empty moments move every weight by about the rate: on a trained model that
            # undoes training (measured: the earlier bundled model's validation 1.343 -> 1.37 at the held peak).
            rate *= (step - self.rewarm_from + 1) / self.warmup
        return rate

    def _curve(self, step: int) -> float:
        if self.kind == "constant":
            return self.peak
        step, planned = step - self.start, self.planned_steps - self.start  # steps into this curve
        warmup = min(self.warmup, planned // 2)  # a short run still gets to decay
        if step < warmup:
            return self.peak * (step + 1) / warmup
        decay_from = warmup
        if self.kind == "wsd":
            decay_from = max(warmup, int(planned * (1 - self.decay_fraction)))
            if self.decay_start is not None:
                decay_from = self.decay_start - self.start
            if step < decay_from:
                return self.peak
        progress = min(1.0, (step - decay_from) / max(1, planned - decay_from))
        return self.peak * (FLOOR + (1 - FLOOR) * 0.5 * (1 + math.cos(math.pi * progress)))


FINISHED = ("completed", "time_budget", "plateau")  # a run's status when its schedule had run its course


def continuation(train_config, status: str | None, global_step: int):
    """The settings to train a run further: unchanged, or, when the run finished its decay (a budget, the epochs
    or the plateau ended it), a new curve from its end step at the rate it ended at (FLOOR of its peak)."""
    if status not in FINISHED or train_config.schedule == "constant" or global_step <= train_config.schedule_start:
        return train_config
    return dataclasses.replace(train_config, learning_rate=train_config.learning_rate * FLOOR,
                               schedule_start=global_step)


class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's rate before each batch; with a budget, shrinks the plan to what fits in it."""

    def __init__(self, schedule: Schedule, state, *, max_steps: int, time_budget: float | None):
        super().__init__()
        self.schedule, self.state = schedule, state
        self.max_steps, self.time_budget = max_steps, time_budget
        self._first_step = self._first_time = None

    def on_train_batch_begin(self, batch, logs=None):
        step = self.state.global_step
        if self.time_budget is not None:
            self._replan(step)
        self.model.optimizer.learning_rate = self.schedule.rate(step)

    def _replan(self, step: int) -> None:
        now = self.state.elapsed()
        if self._first_step is None:
            if step > self.state.session_start_step:  # skip the first batch: it includes tracing
                self._first_step, self._first_time = step, now
            return
        done = step - self._first_step
        if done == 0 or done % REPLAN_EVERY:
            return
        speed = done / max(1e-6, now - self._first_time)  # steps/s, validation and checkpoints included
        remaining = max(0.0, self.time_budget - now) * speed
        planned = max(step + 1, min(self.max_steps, int(step + remaining)))
        if self.schedule.decaying_early:  # the plateau set the end: the budget may only bring it closer
            planned = min(planned, self.schedule.planned_steps)
        self.schedule.planned_steps = planned


