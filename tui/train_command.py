"""The `chargen train` arguments for what the app asks: a new run (from the new-run form or F2 on a corpus) or
continuing one. Plain lists of strings, so the training process gets exactly what a person would type."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from chargen_core.config import non_defaults

# Model sizes offered on the new-run screen besides "auto" (units x layers; the rest: chargen_core's defaults).
SIZES = {"small": {"units": 128, "layers": 1}, "default": {}, "large": {"units": 512, "layers": 2}}

# Settings `chargen train` takes as flags (--name-with-dashes); a setting without a flag cannot reach the trainer.
MODEL_FLAGS = ("arch", "units", "layers", "embedding_dim", "dropout", "recurrent_dropout", "seq_len")
TRAIN_FLAGS = ("epochs", "batch_size", "learning_rate", "time_budget", "val_fraction", "seed", "checkpoint_every",
               "steps_per_epoch", "distribute", "precision", "preview_length", "clipnorm", "schedule", "carry_state",
               "fresh_rows", "early_stop", "tensorboard", "decay_fraction", "weight_decay", "plateau_decay")
SWITCHES = {"carry_state": ("--carry-state", "--no-carry-state"), "tensorboard": ("--tensorboard", None)}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def settings_flags(settings: dict, names: tuple[str, ...]) -> list[str]:
    """`--units 128 --dropout 0.1 ...` for the settings that have a flag, in the order of `names`."""
    out: list[str] = []
    for name in names:
        if name not in settings or settings[name] is None:
            continue
        value = settings[name]
        if name in SWITCHES:
            on, off = SWITCHES[name]
            chosen = on if value else off
            out += [chosen] if chosen else []
        else:
            out += [flag(name), f"{value:g}" if isinstance(value, float) else str(value)]
    return out


def unflagged(config: Any, names: tuple[str, ...]) -> list[str]:
    """Settings changed from their defaults that no flag carries (said, never silently dropped)."""
    return sorted(set(non_defaults(config)) - set(names))


def new_run_argv(corpus: Any, run_dir: Path, *, model_config: Any = None, train_config: Any = None,
                 spec: Any = None) -> list[str]:
    """`chargen train` arguments for a new run on `corpus` in `run_dir`, planned as the form (spec) says, with the
    app's explicit model and training settings. The size is always named: `chargen train` alone would size
    a run with a time budget automatically, and the form has already chosen."""
    model, train = non_defaults(model_config), non_defaults(train_config)
    size, init_from = "default", None
    if spec is not None:
        changes = {"tensorboard": spec.tensorboard or None, "epochs": spec.epochs, "time_budget": spec.time_budget}
        train.update({k: v for k, v in changes.items() if v is not None})
        init_from = spec.init_from
        if init_from is not None:
            model, size = {}, None  # a fine-tuned run keeps its source's model (and its size)
        elif spec.size == "auto":
            size = "auto"
        else:
            model.update(SIZES.get(spec.size, {}))
    argv = ["--corpus", str(corpus.source)]
    if getattr(corpus, "standardize", "none") != "none":
        argv += ["--standardize", corpus.standardize]
    if getattr(corpus, "encoding", "utf-8") not in ("utf-8", None):
        argv += ["--encoding", corpus.encoding]
    if getattr(corpus, "allow_html", False):
        argv += ["--allow-html"]
    argv += ["--run-dir", str(run_dir)]
    if size is not None:
        argv += ["--size", size]
    if init_from is not None:
        argv += ["--init-from", str(init_from)]
    return argv + settings_flags(model, MODEL_FLAGS) + settings_flags(train, TRAIN_FLAGS)


def resume_argv(run_path: Path, epochs: int | None = None) -> list[str]:
    """`chargen train` arguments that continue the run at run_path (for `epochs` epochs in all, when given)."""
    argv = ["--resume", str(run_path)]
    return argv + (["--epochs", str(epochs)] if epochs is not None else [])


def corpus_name(corpus: Any) -> str:
    """What a new run's folder is named after (as `chargen train` names it)."""
    return str(getattr(corpus, "name", None) or Path(str(corpus.source)).name or "corpus")

