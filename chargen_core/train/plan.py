"""Planning a new run, in one place for the CLI and the app: its settings (the user's, over the architecture's
recipe and the defaults), its size (--size auto probes this machine and fits the budget), a fine-tune source
(--init-from: its shape, vocabulary and standardization), its corpus and its folder in the runs home.

check_request does the cheap checks (no TensorFlow), so bad input answers at once; plan_run does the rest.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..config import CorpusConfig, ModelConfig, TrainConfig
from ..data import Corpus, load_corpus
from ..errors import SettingsError
from ..model import architecture
from ..runs import new_run_path, resolve_run, runs_home
from .finetune import InitFrom, load_init_from, model_config_for
from .sizing import Size, choose, resolve_size


@dataclass(frozen=True)
class RunRequest:
    """What the user asked for a new run: only the settings they gave; everything else is decided here."""

    model: dict[str, Any] = field(default_factory=dict)  # ModelConfig fields given (arch, units, ...)
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields given (epochs, time_budget, ...)
    corpus: dict[str, Any] = field(default_factory=dict)  # CorpusConfig fields given (source, standardize, ...)
    size: str | None = None  # "auto" | "default" | None: auto when a long enough --time-budget is given
    init_from: str | Path | None = None  # fine-tune from this RUN (a folder, a name in the runs home, a bundled one)
    run_dir: Path | None = None  # where to write the run; None: a new folder in the runs home
    runs_dir: Path | None = None  # the runs home; None: the default one


@dataclass(frozen=True)
class RunPlan:
    """Everything a Trainer needs to start a new run."""

    corpus: Corpus
    run_dir: Path
    model_config: ModelConfig
    train_config: TrainConfig
    init_from: InitFrom | None = None  # the fine-tune source, ready for the corpus's text
    size: Size | None = None  # what --size auto chose (None: the size was not chosen by the rule)
    notices: tuple[str, ...] = ()  # for the user before training starts


def _train_config(request: RunRequest, model_config: ModelConfig) -> TrainConfig:
    """The training settings: the user's, over the architecture's own recipe, over the defaults."""
    train = TrainConfig(**{**architecture(model_config).train_defaults, **request.train}).validate()
    if train.steps_per_epoch is not None and train.steps_per_epoch <= 0:
        raise SettingsError(f"--steps-per-epoch must be a positive integer, got {train.steps_per_epoch}")
    return train


def check_request(request: RunRequest) -> RunRequest:
    """Check what can be checked without TensorFlow (settings, size, runs home, fine-tune source); returns the
    request with its size decided and its fine-tune source found. Bad input raises a ChargenError."""
    model_config = ModelConfig(**request.model).validate()
    train = _train_config(request, model_config)
    CorpusConfig(**request.corpus).validate()
    if request.init_from and request.size == "auto":
        raise SettingsError("--init-from keeps the model shape of the run it starts from; --size auto cannot apply")
    size = "default" if request.init_from else resolve_size(request.size, time_budget=train.time_budget,
                                                            arch=model_config.arch, distribute=train.distribute)
    if request.run_dir is None:
        runs_home(request.runs_dir)  # a runs home that is a file fails here, before TensorFlow starts
    source = resolve_run(request.init_from, request.runs_dir) if request.init_from else None
    return dataclasses.replace(request, size=size, init_from=source)


def plan_run(request: RunRequest, *, corpus: Corpus | None = None,
             report: Callable[[str], None] | None = None) -> RunPlan:
    """The settings, corpus, folder and size of a new run. corpus: already loaded (the app's); otherwise it is
    loaded from request.corpus. report: progress lines (the probe). Imports TensorFlow for --init-from and
    --size auto: check_request first."""
    request = check_request(request)
    model_config = ModelConfig(**request.model).validate()
    train_config = _train_config(request, model_config)
    corpus_settings = {"source": "builtin", **request.corpus}
    init, notices = None, []
    if request.init_from is not None:
        init = load_init_from(request.init_from)
        model_config = model_config_for(init.model_config, request.model)
        train_config = _train_config(request, model_config)
        corpus_settings.setdefault("standardize", init.standardize)  # the new text is read as the source read its own
    if corpus is None:
        corpus = load_corpus(**dataclasses.asdict(CorpusConfig(**corpus_settings).validate()))
    if init is not None:
        added = init.for_text(corpus.text).new_chars
        notices += [*init.notices, f"fine-tuning from {request.init_from} ({len(init.old_vocab.chars)} characters"
                                   f"{f'; {len(added)} new: {added!r}' if added else '; no new ones'})"]
    run_dir = request.run_dir or new_run_path(runs_home(request.runs_dir), corpus.name, model_config.arch)
    size = None
    if request.size == "auto":
        model_config, train_config, size = fit_to_budget(corpus, model_config, train_config,
                                                         fixed={**request.model, **request.train}, report=report)
    return RunPlan(corpus, Path(run_dir), model_config, train_config, init, size, tuple(notices))


def fit_to_budget(corpus: Corpus, model_cfg: ModelConfig, train_cfg: TrainConfig, *, fixed: dict | None = None,
                  report: Callable[[str], None] | None = None) -> tuple[ModelConfig, TrainConfig, Size]:
    """--size auto: probe this machine's speed, choose the size for the rest of the budget.

    Returns (model_cfg, train_cfg, chosen Size); settings in `fixed` (the user's own) are kept. TensorFlow is
    imported here.
    """
    import tensorflow as tf

    from ..data import Vocab
    from .probe import run_probe

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
