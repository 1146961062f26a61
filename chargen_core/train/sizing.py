"""`--size auto`: the model shape and training recipe for a time budget, a corpus and this machine's speed.

A probe (probe.py) measures the reference shape's training speed; each candidate's speed is predicted from
its multiply-adds per character; the biggest candidate that still sees MIN_TARGETS_PER_PARAM training targets
per parameter in the budget is chosen, and its batch, rate, dropout, weight decay and schedule follow from the
device and the overfitting risk. Explicit flags win: a value the user gave is kept and the rule picks the rest.
The measurements behind every number here: docs/sizing.md, "The measurements behind the rule".
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ..config import DECAY_FRACTION
from ..errors import SettingsError
from ..model import architecture, lstm_param_count

SIZES = ("auto", "default")
EMBEDDING = 32  # the embedding width every candidate keeps (ModelConfig's default)
# Candidate (layers, units), smallest first.
LADDER = ((1, 64), (1, 128), (1, 256), (1, 384), (1, 512), (2, 512), (2, 768), (2, 1024), (3, 1024))
MIN_TARGETS_PER_PARAM = 4.0  # training targets per parameter the budget must buy (between two measured shapes)
MAX_PARAMS_PER_CHAR = 8.0  # a corpus of N training characters gets at most 8N parameters (dropout does the rest)
GPU_FLOOR_MACS = 2_500_000  # a GPU step costs at least as much as a model of about this size per target
MIN_STEPS_PER_EPOCH = 20  # each carried stream is at least this many batches long
PROBE_SECONDS = 4.0  # timed seconds of the probe (plus building and tracing the probe model)
MIN_AUTO_BUDGET = 30.0  # --size auto needs at least this budget: the probe must be a small share of it
# (overfitting risk: epochs x sqrt(params / training chars), dropout): the first row whose bound holds wins.
DROPOUT_BY_RISK = ((5.0, 0.0), (20.0, 0.2), (math.inf, 0.5))
# Above this risk a run is long: weight decay, on a CPU recurrent dropout, and the decay begins when
# validation stalls. Below the dropout ladder's 20 because the risk comes from a predicted speed.
LONG_RUN_RISK = 15.0
LONG_RUN_WEIGHT_DECAY = 0.3  # AdamW's decoupled weight decay of a long run, at 256 rows
LONG_RUN_PLATEAU = 3  # epoch-end evaluations without a better validation loss before the decay begins
# A long run on a CPU drops this share of the fed-back state. Not on a GPU: it would rule out cuDNN's kernel.
LONG_RUN_RECURRENT_DROPOUT = 0.1
# With recurrent dropout the final decay does not overfit, so it takes half the run (without it: a quarter).
LONG_RUN_DECAY_FRACTION = 0.5
# Output dropout of a long run with recurrent dropout, by risk (it does part of the work of the 0.5 above).
LONG_RUN_DROPOUT_BY_RISK = ((60.0, 0.3), (math.inf, 0.4))


@dataclass(frozen=True)
class Device:
    kind: str  # "CPU" or "GPU"
    batch_size: int
    seq_len: int
    probe_units: int  # the shape the probe trains (1 layer) to measure this machine
    long_run_weight_decay: float  # AdamW's weight decay for long runs (risk above LONG_RUN_RISK)


# AdamW decays the weights at every step: a CPU's 128-row batches take twice the steps of the 256 rows
# LONG_RUN_WEIGHT_DECAY was measured at, so half of it decays as much per epoch.
CPU = Device("CPU", batch_size=128, seq_len=25, probe_units=256, long_run_weight_decay=LONG_RUN_WEIGHT_DECAY / 2)
GPU = Device("GPU", batch_size=1024, seq_len=100, probe_units=512, long_run_weight_decay=LONG_RUN_WEIGHT_DECAY)


@dataclass(frozen=True)
class Size:
    """What --size auto chose, and the figures it chose from (reported in --json as `size`)."""

    units: int
    layers: int
    batch_size: int
    seq_len: int
    learning_rate: float
    dropout: float
    recurrent_dropout: float
    weight_decay: float
    plateau_decay: int  # begin the decay after this many epochs without a better validation loss (0: off)
    decay_fraction: float  # the wsd schedule's share of the run spent in its final decay
    probe_seconds: float  # wall time of the probe, taken from the budget
    probe_targets_per_second: float  # measured on the probe's shape
    predicted_targets_per_second: float  # for the chosen shape
    planned_epochs: float  # passes over the training text the rest of the budget should buy
    device: str

    def as_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def describe(self) -> str:
        return (f"--size auto: {self.layers} x {self.units} units, batch {self.batch_size} x {self.seq_len}, "
                f"lr {self.learning_rate:g}, dropout {self.dropout:g}{self._decay_text} (probe {self.probe_seconds:.1f} s: "
                f"{self.probe_targets_per_second:,.0f} targets/s on 1 x {self.probe_units_hint}; predicted "
                f"{self.predicted_targets_per_second:,.0f} targets/s, {self.planned_epochs:.1f} epochs)")

    @property
    def _decay_text(self) -> str:
        text = f", recurrent dropout {self.recurrent_dropout:g}" if self.recurrent_dropout else ""
        text += f", weight decay {self.weight_decay:g}" if self.weight_decay else ""
        text += f", decay after {self.plateau_decay} epochs without progress" if self.plateau_decay else ""
        return text + (f", final decay {self.decay_fraction:.0%} of the run" if self.decay_fraction != DECAY_FRACTION
                       else "")

    @property
    def probe_units_hint(self) -> int:
        return device_profile(self.device).probe_units


def device_profile(kind: str) -> Device:
    return GPU if kind == "GPU" else CPU


def params(layers: int, units: int, vocab_size: int, embedding: int = EMBEDDING) -> int:
    """Trainable parameters of a candidate (the default architecture)."""
    return lstm_param_count(layers, units, vocab_size, embedding)


def macs_per_target(layers: int, units: int, vocab_size: int, embedding: int = EMBEDDING) -> int:
    """Multiply-adds per character in the forward pass: the LSTM gates and the logits."""
    total, width = 0, embedding
    for _ in range(layers):
        total += 4 * units * (width + units)
        width = units
    return total + width * vocab_size


def predicted_speed(probe_tps: float, device: Device, layers: int, units: int, vocab_size: int,
                    batch_size: int | None = None) -> float:
    """Targets/s of a shape, from the probe's measured targets/s on 1 x device.probe_units.

    On a GPU a step takes about as long whatever the batch until the device is full, so a batch cut below the
    probe's (a short corpus) also cuts the speed in proportion; a CPU is busy at any batch size."""
    probe_cost = macs_per_target(1, device.probe_units, vocab_size)
    cost = macs_per_target(layers, units, vocab_size)
    if device.kind != "GPU":
        return probe_tps * probe_cost / cost
    fill = min(1.0, (batch_size or device.batch_size) / device.batch_size)
    return probe_tps * fill * max(probe_cost, GPU_FLOOR_MACS) / max(cost, GPU_FLOOR_MACS)


def overfit_risk(epochs: float, params_per_char: float) -> float:
    return epochs * math.sqrt(params_per_char)


def dropout_for(epochs: float, params_per_char: float, ladder=DROPOUT_BY_RISK) -> float:
    """Output dropout from a (risk bound, rate) ladder: DROPOUT_BY_RISK, or LONG_RUN_DROPOUT_BY_RISK for a long
    run that has recurrent dropout."""
    risk = overfit_risk(epochs, params_per_char)
    return next(rate for bound, rate in ladder if risk <= bound)


def long_run(epochs: float, params_per_char: float) -> bool:
    return overfit_risk(epochs, params_per_char) > LONG_RUN_RISK


def learning_rate_for(units: int, device: Device = CPU) -> float:
    if device.kind != "GPU":
        return 1e-2
    return round(min(1e-2, 1e-2 * math.sqrt(256 / units)), 6)


def fit_batch(train_chars: int, batch_size: int, seq_len: int) -> int:
    """Rows per batch such that every carried stream gives at least MIN_STEPS_PER_EPOCH batches."""
    return max(1, min(batch_size, train_chars // (MIN_STEPS_PER_EPOCH * (seq_len + 1))))


def choose(*, budget: float, probe_tps: float, probe_seconds: float, train_chars: int, vocab_size: int,
           device: str = "CPU", fixed: dict | None = None) -> Size:
    """The decision function. fixed: user-given values (units, layers, batch_size, seq_len, learning_rate,
    dropout, recurrent_dropout, weight_decay, plateau_decay, decay_fraction) that are kept as they are."""
    fixed = {k: v for k, v in (fixed or {}).items() if v is not None}
    profile = device_profile(device)
    if not probe_tps > 0:
        raise SettingsError("the size probe measured no training speed; set --units and --layers yourself")
    seconds = max(0.0, budget - probe_seconds)
    seq_len = fixed.get("seq_len", profile.seq_len)
    batch_size = fixed.get("batch_size", fit_batch(train_chars, profile.batch_size, seq_len))
    cap = MAX_PARAMS_PER_CHAR * train_chars
    candidates = [(layers, units) for layers, units in LADDER
                  if fixed.get("layers", layers) == layers and fixed.get("units", units) == units]
    if not candidates:  # a user-given shape off the ladder: that shape only
        candidates = [(fixed.get("layers", 1), fixed.get("units", 256))]
    layers, units = candidates[0]
    for cand_layers, cand_units in candidates:  # smallest first: keep the biggest that still qualifies
        n = params(cand_layers, cand_units, vocab_size)
        targets = seconds * predicted_speed(probe_tps, profile, cand_layers, cand_units, vocab_size, batch_size)
        if targets >= MIN_TARGETS_PER_PARAM * n and n <= cap:
            layers, units = cand_layers, cand_units
    speed = predicted_speed(probe_tps, profile, layers, units, vocab_size, batch_size)
    epochs = seconds * speed / max(1, train_chars)
    per_char = params(layers, units, vocab_size) / max(1, train_chars)
    long = long_run(epochs, per_char)
    recurrent_dropout = fixed.get("recurrent_dropout",
                                  LONG_RUN_RECURRENT_DROPOUT if long and profile.kind == "CPU" else 0.0)
    # Recurrent dropout keeps a long run from overfitting: lighter output dropout and a longer final decay pay then.
    held_back = long and recurrent_dropout > 0
    dropout = dropout_for(epochs, per_char, LONG_RUN_DROPOUT_BY_RISK if held_back else DROPOUT_BY_RISK)
    return Size(
        units=units, layers=layers,
        batch_size=batch_size, seq_len=seq_len,
        learning_rate=fixed.get("learning_rate", learning_rate_for(units, profile)),
        dropout=fixed.get("dropout", dropout),
        recurrent_dropout=recurrent_dropout,
        weight_decay=fixed.get("weight_decay", profile.long_run_weight_decay if long else 0.0),
        plateau_decay=fixed.get("plateau_decay", LONG_RUN_PLATEAU if long else 0),
        decay_fraction=fixed.get("decay_fraction", LONG_RUN_DECAY_FRACTION if held_back else DECAY_FRACTION),
        probe_seconds=probe_seconds, probe_targets_per_second=probe_tps,
        predicted_targets_per_second=speed, planned_epochs=epochs, device=profile.kind,
    )


def resolve_size(size: str | None, *, time_budget: float | None, arch: str, distribute: str) -> str:
    """'auto' or 'default' from --size and the other flags; bad combinations raise SettingsError (exit 2).

    The rule: --size defaults to auto when --time-budget is given (and the arch is lstm on one machine), to
    default otherwise; auto needs a budget of at least MIN_AUTO_BUDGET seconds.
    """
    if size is not None and size not in SIZES:
        raise SettingsError(f"unknown --size {size!r}; choose one of {', '.join(SIZES)}")
    sizable = architecture(arch).auto_sized
    if size is None:
        auto = time_budget is not None and sizable and distribute != "multiworker"
        size = "auto" if auto and time_budget >= MIN_AUTO_BUDGET else "default"
        return size
    if size == "auto":
        if time_budget is None:
            raise SettingsError("--size auto sizes the model for a time budget: give --time-budget S "
                                f"(at least {MIN_AUTO_BUDGET:g} s), or set --units/--layers yourself")
        if time_budget < MIN_AUTO_BUDGET:
            raise SettingsError(f"--time-budget {time_budget:g} is too short for --size auto: its speed probe "
                                f"takes a few seconds of the budget; give at least {MIN_AUTO_BUDGET:g} s or "
                                "--size default")
        if not sizable:
            raise SettingsError(f"--size auto sizes the lstm arch; --arch {arch} has the tutorial's fixed shape")
        if distribute == "multiworker":
            raise SettingsError("--size auto is not available with --distribute multiworker (every worker must "
                                "build the same model); set --units/--layers")
    return size
