"""The checks `chargen train` makes before anything starts (no TensorFlow), shared by the foreground trainer and
--background (which must refuse bad flags itself, with exit 2, before it starts a process)."""
from __future__ import annotations

from pathlib import Path

from ..errors import SettingsError
from .common import MODEL_FIELDS, given

TRAIN_FIELDS = ("epochs", "batch_size", "learning_rate", "time_budget", "val_fraction", "seed", "checkpoint_every",
                "steps_per_epoch", "distribute", "precision", "preview_length", "clipnorm", "schedule",
                "carry_state", "fresh_rows", "early_stop", "tensorboard", "decay_fraction", "weight_decay", "plateau_decay")
CORPUS_FIELDS = ("standardize", "encoding", "allow_html")


def run_request(args):
    """What the user asked for a new run, as chargen_core.train.plan_run takes it (only the flags given)."""
    from ..train import RunRequest

    corpus = {"source": args.corpus} if args.corpus else {}
    return RunRequest(model=given(args, MODEL_FIELDS), train=given(args, TRAIN_FIELDS),
                      corpus={**corpus, **given(args, CORPUS_FIELDS)}, size=args.size, init_from=args.init_from,
                      run_dir=Path(args.run_dir) if args.run_dir else None, runs_dir=args.runs_dir)


def check_resume_flags(args) -> None:
    """--resume keeps the run's settings: only --epochs and --time-budget may be given, and positive."""
    fixed = [f"--{n.replace('_', '-')}" for n in (*MODEL_FIELDS, *TRAIN_FIELDS, *CORPUS_FIELDS, "corpus", "run_dir",
                                                   "size", "init_from")
             if n not in ("epochs", "time_budget") and getattr(args, n, None) is not None]
    if fixed:
        raise SettingsError(f"--resume keeps the run's own settings; {', '.join(fixed)} cannot change "
                            "(only --epochs and --time-budget can)")
    for name in ("epochs", "time_budget"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise SettingsError(f"--{name.replace('_', '-')} must be positive, got {value}")


def check_empty_flags(args) -> None:
    for name, wanted in (("resume", "a run folder or a name from `chargen runs`"),
                         ("init_from", "a run folder or a name from `chargen runs`"),
                         ("run_dir", "the folder to write the run in, or leave the flag out")):
        if getattr(args, name) == "":  # an empty value (an unset shell variable) is a mistake, never "not given"
            raise SettingsError(f"--{name.replace('_', '-')} is empty: give {wanted}")
