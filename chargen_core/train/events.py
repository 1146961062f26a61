"""Plain dataclass events: the only way the trainer reports to a CLI, the TUI or a test."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class TrainingStarted:
    run_dir: str
    epochs: int  # planned epochs (upper bound)
    initial_epoch: int  # > 0 when resuming
    steps_per_epoch: int
    params: int  # trainable parameters
    device: str  # "CPU" or the GPU name(s)
    strategy: str  # name of the tf.distribute strategy in use
    replicas: int  # replicas in sync
    precision: str  # "float32" or "mixed_float16"
    fresh_optimizer: bool = False  # resumed from weights saved without optimizer state: Adam starts anew
    time_budget: float | None = None  # seconds of training this session may take (None: the epochs decide)
    continued_rate: float | None = None  # a finished run trained further: the rate it ended at, held from here

    @property
    def continued_note(self) -> str | None:
        if self.continued_rate is None:
            return None
        return (f"the run had finished its decay: it trains on at the rate it ended at ({self.continued_rate:.2g}), "
                "not its peak, so the decay's gain is kept")


@dataclass(frozen=True)
class BatchEnded:
    epoch: int  # 0-based
    step: int  # step within the epoch, 1-based
    global_step: int  # optimizer steps since the run began (resume included)
    steps_per_epoch: int
    loss: float  # running mean training loss of the epoch, nats/char
    chars_per_second: float  # training targets per second over the last few batches
    elapsed: float  # seconds of training in this session


@dataclass(frozen=True)
class EpochEnded:
    epoch: int  # 0-based
    loss: float  # training loss, nats/char
    val_loss: float  # validation loss, nats/char
    val_bpc: float  # validation loss, bits/char
    accuracy: float
    val_accuracy: float
    seconds: float  # wall time of this epoch
    global_step: int


@dataclass(frozen=True)
class CheckpointSaved:
    path: str
    epoch: int
    global_step: int
    kind: str  # "epoch" | "step" | "best" | "stop"


@dataclass(frozen=True)
class PreviewGenerated:
    epoch: int
    prompt: str
    text: str


@dataclass(frozen=True)
class TrainingFinished:
    run_dir: str
    reason: str  # "completed" | "stopped" | "time_budget" | "nan" | "early_stop" | "plateau"
    epochs: int  # epochs completed in total (resume included)
    steps: int  # optimizer steps in total
    val_loss: float | None  # last validation loss, nats/char
    val_bpc: float | None
    best_val_loss: float | None
    train_seconds: float  # wall time spent training in this session
    targets_per_second: float  # training targets (predicted characters) per second, this session

    @property
    def outcome(self) -> str:
        """The reason in words, for people."""
        return FINISH_WORDS.get(self.reason, self.reason)


FINISH_WORDS = {
    "completed": "finished its epochs",
    "stopped": "stopped",
    "time_budget": "used its time budget",
    "nan": "stopped: the loss became NaN",
    "early_stop": "stopped early: validation stopped improving",
    "plateau": "finished: validation stalled, so the rate decayed early",
}


@dataclass(frozen=True)
class TrainingPaused:
    paused: bool  # True: paused (F3, SIGUSR1); False: training again (F3, SIGUSR2)
    global_step: int


@dataclass(frozen=True)
class TrainingFailed:
    reason: str  # one line, fit for a notification
    run_dir: str | None = None


Event = Union[
    TrainingStarted, BatchEnded, EpochEnded, CheckpointSaved, PreviewGenerated, TrainingPaused, TrainingFinished,
    TrainingFailed,
]
