"""`--size auto`: the model shape and training recipe for a time budget, a corpus and this machine's speed.

The rule (measurements behind it: README, "Models, and why these defaults", and bench/README.md):

1. A probe (chargen_core/probe.py) trains the reference shape for a few seconds and measures targets/s.
2. Each candidate shape's speed is predicted from the probe by its cost per target (multiply-adds of the LSTM
   layers and the logits). On a CPU time grows with that cost; on a GPU a step costs about the same until the
   model is big enough to fill the device (GPU_FLOOR_MACS), so width is nearly free there.
3. The biggest candidate that can still see MIN_TARGETS_PER_PARAM training targets per parameter in the budget
   (as predicted) is chosen, capped at MAX_PARAMS_PER_CHAR parameters per training character. Measured on a
   2-core CPU for ~190 s: 1 x 384 (predicted 6.7 per parameter from a probe at 256 rows, ~5.5 at 128) beat
   1 x 256 on raw and seed-standardized Nietzsche, while 1 x 512 (2.2, ~1.8 at 128 rows) was far worse on raw
   text (under-trained at 6 epochs). The bar of 4 sits between them with room for a slower minute.
4. Batch rows and sequence length: 128 x 25 on a CPU, 1024 x 100 on a GPU (cuDNN runs the long loop fast and a
   big batch fills the device); fewer rows when the corpus is too short to give every stream
   MIN_STEPS_PER_EPOCH batches. On a CPU twice the optimizer steps beat the ~18% more targets/s of 256 rows
   (1 x 384, 165 s raw Nietzsche: 1.323 against 1.338; 64 rows 1.328, 128 x 50 1.381), and long runs too once
   their weight decay is halved with the rows (item 6; 1 x 512, 702 s: 1.2725 against 1.283).
5. Learning rate: 1e-2 (measured best for 256 units). A CPU's 128-row batches keep it for wider layers too
   (1 x 512 for 627 s of raw Nietzsche: 1.2745 against 1.2817 at 0.0071; 1 x 384, 165 s: 0.0082 beat 0.0058);
   a GPU's big batches scale it by sqrt(256 / units) for wider layers (not measured).
6. Dropout (between layers and before the logits) and weight decay grow with the risk of overfitting, the
   epochs the budget buys times sqrt(parameters per training character). Measured at risk ~10 (1 x 384 for
   ~180 s on Nietzsche, 9 epochs x 1.1): dropout 0 / 0.1 / 0.2 scored 1.314 / 1.304 / 1.296 on
   seed-standardized text and 1.352 / 1.334 / 1.327 on raw text; at risk 18 (1 x 256, 23 epochs) 0.1 and 0.2
   scored the same. Every run above 20 with dropout 0.2-0.3 overfit (1 x 384 at risk 34: 1.345 and 1.335 on
   raw text), while 1 x 512 at risk ~29 with 0.5 reached 1.311, 1.299 with AdamW's weight decay 0.1 added and
   1.295 with 0.3 (at 256 rows). So: 0.2 up to risk 20, then 0.5 and weight decay 0.3 per 256 rows (a CPU's
   128 rows take 0.15, Device.long_run_weight_decay). Below 5 (a few passes over the text,
   where a model cannot memorize much) the rule keeps 0: not measured. Plain Dropout layers keep cuDNN
   eligible on a GPU.
7. Long runs (risk above LONG_RUN_RISK, 15) on a CPU also get recurrent dropout 0.1
   (LONG_RUN_RECURRENT_DROPOUT), with which output dropout 0.3 does better than 0.5, and 0.4 better than 0.3
   for the longest (LONG_RUN_DROPOUT_BY_RISK). All long runs begin the schedule's final decay once validation
   has not improved for 3 epochs, and end when the decay does (--plateau-decay): an hour of 1 x 512 on
   Nietzsche at the held rate overfit from epoch ~21 (validation 1.3165 -> 1.323 by epoch 33 while the training
   loss fell to 1.20), so more time would otherwise buy a worse model than 14 minutes did.

Explicit flags win: any of units, layers, batch size, sequence length, learning rate, dropout, recurrent
dropout, weight decay or plateau decay given by the user is kept and the rule picks the rest around it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .config import DECAY_FRACTION
from .errors import SettingsError

SIZES = ("auto", "default")
EMBEDDING = 32  # the embedding width every candidate keeps (ModelConfig's default)
# Candidate (layers, units), smallest first.
LADDER = ((1, 64), (1, 128), (1, 256), (1, 384), (1, 512), (2, 512), (2, 768), (2, 1024), (3, 1024))
MIN_TARGETS_PER_PARAM = 4.0  # between 1 x 384 (won at ~5.5) and 1 x 512 (lost at ~1.8) in ~190 s on 2 cores
MAX_PARAMS_PER_CHAR = 8.0  # a corpus of N training characters gets at most 8N parameters (dropout does the rest)
GPU_FLOOR_MACS = 2_500_000  # a GPU step costs at least as much as a model of about this size per target
MIN_STEPS_PER_EPOCH = 20  # each carried stream is at least this many batches long
PROBE_SECONDS = 4.0  # timed seconds of the probe (plus building and tracing the probe model)
MIN_AUTO_BUDGET = 30.0  # --size auto needs at least this budget: the probe must be a small share of it
# (overfitting risk: epochs x sqrt(params / training chars), dropout): the first row whose bound holds wins.
DROPOUT_BY_RISK = ((5.0, 0.0), (20.0, 0.2), (math.inf, 0.5))
# Above this risk a run also gets weight decay (and on a CPU recurrent dropout), and its decay starts when validation
# stalls. 15, not the 20 where the dropout ladder steps: the risk comes from a predicted speed, and at predicted risk
# 18 1 x 512 trained 43% faster than predicted and overfit on the short recipe (600 s case scaled to 590 s: 1.321),
# where the long recipe at risk 22 scored 1.2725 (702 s).
LONG_RUN_RISK = 15.0
LONG_RUN_WEIGHT_DECAY = 0.3  # AdamW's decoupled weight decay (0.3 beat 0.1 on 1 x 512, 814 s raw: 1.295 vs 1.299)
LONG_RUN_PLATEAU = 3  # epoch-end evaluations without a better validation loss before the decay begins
# On a CPU a long run also drops 10% of the fed-back state (1 x 384, 814 s raw: 1.284 against 1.297 without,
# 0.25 under-trained: 1.312). Not on a GPU: recurrent dropout rules out cuDNN's fused kernel there.
LONG_RUN_RECURRENT_DROPOUT = 0.1
# With recurrent dropout the model does not overfit during the final decay, so a longer one pays: half the run
# (1 x 384, 1,800 s raw Nietzsche, decay begun by the plateau: 1.267 against 1.272 with the usual quarter).
# Without it (a GPU) the longer decay overfit (1 x 384, 814 s: 1.309 against 1.297), so it keeps the quarter.
LONG_RUN_DECAY_FRACTION = 0.5
# Output dropout of a long run with recurrent dropout, by risk. With recurrent dropout and weight decay doing part
# of the work, 0.3 beat 0.5 (1 x 384, 3,600 s raw Nietzsche at 256 rows: 1.261 against 1.267; 1 x 512, 702 s,
# risk ~24: 1.283 against 1.291). At 128 rows the hour (1 x 384, risk 178) overfit the end of its decay with 0.3,
# and 0.4 made the better model (1.239 against 1.253). The step at 60 lies between those measured risks.
LONG_RUN_DROPOUT_BY_RISK = ((60.0, 0.3), (math.inf, 0.4))


@dataclass(frozen=True)
class Device:
    kind: str  # "CPU" or "GPU"
    batch_size: int
    seq_len: int
    probe_units: int  # the shape the probe trains (1 layer) to measure this machine
    long_run_weight_decay: float  # AdamW's weight decay for long runs (risk above LONG_RUN_RISK)


# AdamW decays the weights at every step, so at 128 rows a CPU takes twice the steps per epoch of the 256 rows
# LONG_RUN_WEIGHT_DECAY was measured at, and half the weight decay keeps the decay per epoch the same. (With the
# full 0.3 at 128 rows, 1 x 384 held validation at 1.372 at epoch 23 against 1.340 at 256 rows.)
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
    """Trainable parameters of the default architecture (as model.count_params)."""
    total, width = vocab_size * embedding, embedding
    for _ in range(layers):
        total += 4 * units * (width + units + 1)
        width = units
    return total + width * vocab_size + vocab_size


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
    if size is None:
        auto = time_budget is not None and arch == "lstm" and distribute != "multiworker"
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
        if arch != "lstm":
            raise SettingsError("--size auto sizes the lstm arch; --arch seed has the tutorial's fixed shape")
        if distribute == "multiworker":
            raise SettingsError("--size auto is not available with --distribute multiworker (every worker must "
                                "build the same model); set --units/--layers")
    return size


def fit_to_budget(corpus, model_cfg, train_cfg, *, fixed: dict | None = None, report=None):
    """--size auto: probe this machine's speed, choose the size for the rest of the budget.

    Returns (model_cfg, train_cfg, chosen Size); settings in `fixed` (the user's own) are kept. TensorFlow is
    imported here: callers check their flags first.
    """
    import dataclasses

    import tensorflow as tf

    from .probe import run_probe
    from .vocab import Vocab

    report = report or (lambda line: None)
    vocab_size = Vocab.from_text(corpus.text).size
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    report(f"--size auto: measuring this machine's training speed ({device}) ...")
    probe = run_probe(vocab_size, device, seed=train_cfg.seed)
    budget = train_cfg.time_budget
    if probe.seconds > budget / 2:
        raise SettingsError(f"the --size auto speed probe took {probe.seconds:.1f} s of the {budget:g} s budget; "
                            "give a longer --time-budget, or set --units/--layers and --size default")
    chosen = choose(budget=budget, probe_tps=probe.targets_per_second, probe_seconds=probe.seconds,
                    train_chars=int(corpus.chars * (1 - train_cfg.val_fraction)), vocab_size=vocab_size,
                    device=device, fixed=fixed or {})
    report(chosen.describe())
    model_cfg = dataclasses.replace(model_cfg, units=chosen.units, layers=chosen.layers, seq_len=chosen.seq_len,
                                    dropout=chosen.dropout,
                                    recurrent_dropout=chosen.recurrent_dropout).validate()
    train_cfg = dataclasses.replace(train_cfg, batch_size=chosen.batch_size, learning_rate=chosen.learning_rate,
                                    weight_decay=chosen.weight_decay, plateau_decay=chosen.plateau_decay,
                                    decay_fraction=chosen.decay_fraction,
                                    time_budget=budget - probe.seconds).validate()
    return model_cfg, train_cfg, chosen
