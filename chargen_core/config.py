"""Frozen, JSON-serialisable settings of a run: its corpus, model and training (stored in its config.json).

Every stage reads them, so they sit below all of them, with the error types (errors.py)."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from .errors import SettingsError

ARCHS = ("lstm", "seed")  # what each one means: chargen_core.model.ARCHITECTURES
STANDARDIZE_MODES = ("none", "lower", "seed")
DISTRIBUTIONS = ("auto", "default", "mirrored", "multiworker")  # --distribute: tf.distribute strategies
MAX_SEED = 2**32 - 1  # NumPy's and TensorFlow's seeds are 32-bit
PRECISIONS = ("auto", "float32", "mixed")
SCHEDULES = ("wsd", "cosine", "constant")
DECAY_FRACTION = 0.25  # "wsd": the share of the planned steps spent decaying from the peak
# The share of a carried batch's rows that read every batch from a zero state, so generation's zero start is a
# state the model trained from (bench/README.md, "Starting from nothing").
FRESH_ROWS = 1 / 32
MAX_LEARNING_RATE = 1.0  # Adam moves each weight by about the rate per step: above 1 nothing is learned


def flag(name: str) -> str:
    """How a setting is spelled on the command line (the few without a flag keep their field name)."""
    return name if name in ("schedule_start", "warmup_steps") else f"--{name.replace('_', '-')}"


def check_types(cfg) -> None:
    """Every field of a settings dataclass holds a value of its declared type (a run's config.json may not):
    whole numbers for int (not True/False), any finite real for float, and so on."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        kinds = [k.strip() for k in str(f.type).split("|")]
        if value is None and "None" in kinds:
            continue
        kind = next(k for k in kinds if k != "None")
        if kind == "bool":
            ok, what = isinstance(value, bool), "true or false"
        elif kind == "str":
            ok, what = isinstance(value, str), "a string"
        elif kind == "int":
            ok, what = isinstance(value, numbers.Integral) and not isinstance(value, bool), "a whole number"
        else:
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            what = "a finite number"
        if not ok:
            raise SettingsError(f"{flag(f.name)} must be {what}, got {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    arch: str = "lstm"  # "lstm": sequence model, logits at every step; "seed": the tutorial's window model
    embedding_dim: int = 32  # width of the character embedding
    units: int = 256  # LSTM units per layer (chosen by bench/quality.py under a 150 s CPU budget; see bench/README.md)
    layers: int = 1  # stacked LSTM layers
    dropout: float = 0.0  # dropout between layers and before the output (keeps cuDNN eligible on GPU)
    recurrent_dropout: float = 0.0  # dropout on the state fed back at each step (above 0 a GPU loses cuDNN)
    seq_len: int = 25  # characters per training batch row: the BPTT length (seed arch: fixed 20-char windows)

    def validate(self) -> "ModelConfig":
        check_types(self)
        if self.arch not in ARCHS:
            raise SettingsError(f"unknown --arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        for name in ("embedding_dim", "units", "layers", "seq_len"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise SettingsError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
        for name in ("dropout", "recurrent_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise SettingsError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
        return self


@dataclass(frozen=True)
class CorpusConfig:
    source: str = "builtin"  # builtin | nietzsche | a path | a URL
    standardize: str = "none"  # none | lower | seed, applied to the whole text before windowing
    encoding: str = "utf-8"  # how local files and downloads are decoded
    allow_html: bool = False  # train on a URL that serves an HTML page (refused by default: usually a mistake)

    def validate(self) -> "CorpusConfig":
        check_types(self)
        if self.standardize not in STANDARDIZE_MODES:
            raise SettingsError(
                f"unknown --standardize {self.standardize!r}; choose one of {', '.join(STANDARDIZE_MODES)}"
            )
        return self


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 20  # upper bound on epochs; --time-budget may end training sooner
    batch_size: int = 256  # global batch size (split across replicas); with carry_state, parallel text streams
    learning_rate: float = 1e-2  # peak learning rate (measured with bench/quality.py; see bench/README.md)
    schedule: str = "wsd"  # "wsd": warm-up, hold the peak, decay at the end; "cosine"; "constant"
    warmup_steps: int = 50  # linear warm-up steps before the peak rate
    decay_fraction: float = DECAY_FRACTION
    schedule_start: int = 0  # the step the schedule's curve starts at: > 0 once a finished run is trained further
    clipnorm: float = 1.0  # global gradient-norm clipping
    weight_decay: float = 0.0  # decoupled weight decay (AdamW) per unit of learning rate; 0: plain Adam
    val_fraction: float = 0.1  # contiguous tail of the text held out for validation
    seed: int | None = None  # seeds Python, NumPy and TF for reproducible runs
    time_budget: float | None = None  # seconds of training before a clean stop
    checkpoint_every: int = 200  # also checkpoint every N optimizer steps (0: only at epoch ends)
    steps_per_epoch: int | None = None  # cap on steps per epoch (None: one pass over the training split)
    preview_length: int = 120  # characters in the preview sample generated at each epoch end
    distribute: str = "auto"  # tf.distribute strategy: auto | default | mirrored | multiworker
    precision: str = "auto"  # auto | float32 | mixed
    carry_state: bool = True  # lstm: carry the LSTM state from batch to batch (truncated BPTT; one replica only)
    fresh_rows: float = FRESH_ROWS  # with carry_state: the share of rows that start every batch from a zero state
    early_stop: int = 0  # stop after this many epoch-end evaluations without a better val loss (0: never)
    plateau_decay: int = 0  # wsd: begin the final decay after this many evaluations without a better val loss (0: off)
    tensorboard: bool = False  # write Keras TensorBoard logs under RUN/logs (the chief only)

    def validate(self) -> "TrainConfig":
        check_types(self)  # also: every float is finite (inf and nan are refused here, before anything is made)
        if self.epochs <= 0:
            raise SettingsError(f"--epochs must be a positive integer, got {self.epochs}")
        if self.batch_size <= 0:
            raise SettingsError(f"--batch-size must be a positive integer, got {self.batch_size}")
        if not 0 < self.learning_rate <= MAX_LEARNING_RATE:
            raise SettingsError(f"--learning-rate must be in (0, {MAX_LEARNING_RATE:g}], got {self.learning_rate}")
        if self.schedule not in SCHEDULES:
            raise SettingsError(f"unknown --schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if self.warmup_steps < 0:
            raise SettingsError(f"warmup_steps must be a step count >= 0, got {self.warmup_steps}")
        if self.clipnorm < 0:
            raise SettingsError(f"--clipnorm must be >= 0 (0: off), got {self.clipnorm}")
        if not 0.0 < self.val_fraction < 0.5:
            raise SettingsError(f"--val-fraction must be in (0, 0.5), got {self.val_fraction}")
        if not 0.0 <= self.weight_decay < 1.0:
            raise SettingsError(f"--weight-decay must be in [0, 1), got {self.weight_decay}")
        if self.schedule_start < 0:
            raise SettingsError(f"schedule_start must be a step >= 0, got {self.schedule_start}")
        if not 0.0 <= self.fresh_rows < 1.0:
            raise SettingsError(f"--fresh-rows must be in [0, 1), got {self.fresh_rows}")
        if not 0.0 < self.decay_fraction <= 1.0:
            raise SettingsError(f"--decay-fraction must be in (0, 1], got {self.decay_fraction}")
        if self.time_budget is not None and not self.time_budget > 0:
            raise SettingsError(f"--time-budget must be positive seconds, got {self.time_budget}")
        if self.seed is not None and not 0 <= self.seed <= MAX_SEED:
            raise SettingsError(f"--seed must be an integer from 0 to {MAX_SEED}, got {self.seed}")
        if self.checkpoint_every < 0:
            raise SettingsError(f"--checkpoint-every must be >= 0, got {self.checkpoint_every}")
        if self.steps_per_epoch is not None and self.steps_per_epoch <= 0:
            raise SettingsError(f"--steps-per-epoch must be a positive integer, got {self.steps_per_epoch}")
        if self.preview_length < 0:
            raise SettingsError(f"--preview-length must be >= 0 (0: off), got {self.preview_length}")
        if self.early_stop < 0:
            raise SettingsError(f"--early-stop must be a whole number of evaluations >= 0, got {self.early_stop}")
        if self.plateau_decay < 0:
            raise SettingsError(f"--plateau-decay must be a whole number of evaluations >= 0, got {self.plateau_decay}")
        if self.distribute not in DISTRIBUTIONS:
            raise SettingsError(f"unknown --distribute {self.distribute!r}; choose one of {', '.join(DISTRIBUTIONS)}")
        if self.precision not in PRECISIONS:
            raise SettingsError(f"unknown --precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}")
        return self


def to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(cls, data: dict):
    """Build a config from JSON, ignoring unknown keys so older/newer run dirs still load."""
    names = {f.name for f in dataclasses.fields(cls)}
    if cls is TrainConfig and "strategy" in data and "distribute" not in data:
        data = {**data, "distribute": data["strategy"]}  # runs saved before the option was renamed
    return cls(**{k: v for k, v in data.items() if k in names})


def non_defaults(cfg: Any) -> dict:
    """The fields of a config that differ from its class's defaults: what someone set on purpose (None: none)."""
    if cfg is None:
        return {}
    default = type(cfg)()
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)
            if getattr(cfg, f.name) != getattr(default, f.name)}
