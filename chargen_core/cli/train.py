"""`chargen train`: train a new run or resume one, progress on stderr, optional JSON summary on stdout."""
from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from pathlib import Path

from ..config import DISTRIBUTIONS, PRECISIONS, SCHEDULES, TrainConfig
from ..errors import ChargenError, SettingsError
from ..train import TrainingFinished
from .common import (MODEL_FIELDS, add_corpus_flags, add_home_flag, add_model_flags, end_progress_line,
                     given, import_tensorflow_quietly, print_json, resolve_run_arg, say)
from .train_progress import Reporter

TRAIN_FIELDS = ("epochs", "batch_size", "learning_rate", "time_budget", "val_fraction", "seed", "checkpoint_every",
                "steps_per_epoch", "distribute", "precision", "preview_length", "clipnorm", "schedule",
                "carry_state", "fresh_rows", "early_stop", "tensorboard", "decay_fraction", "weight_decay", "plateau_decay")
CORPUS_FIELDS = ("standardize", "encoding", "allow_html")
IMPORTS_TF_ITSELF = True  # flags are checked first, so a bad flag answers without TensorFlow's start-up time


def add_parser(subparsers):
    p = subparsers.add_parser("train", help="train a model (or --resume one)",
                              description="Train a character-level model. Progress goes to stderr.")
    t = TrainConfig()
    add_corpus_flags(p, default=None)
    add_model_flags(p)
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs to train, an upper bound with --time-budget (default: {t.epochs})")
    p.add_argument("--time-budget", type=float, default=None, metavar="S", help="stop cleanly after S seconds (default: none)")
    p.add_argument("--size", default=None, metavar="auto|default",
                   help="auto: pick units, layers, batch, sequence length, learning rate and dropout for the budget, "
                        "the corpus and this machine's measured speed (default with --time-budget); default: the "
                        "fixed measured defaults. Flags you give yourself are kept")
    p.add_argument("--early-stop", type=int, default=None, metavar="N",
                   help="stop when val loss has not improved for N epochs (default: never)")
    p.add_argument("--plateau-decay", type=int, default=None, metavar="N",
                   help="wsd: begin the final decay when val loss has not improved for N epochs, and end the run "
                        "when the decay does (default: off; --size auto sets it for long runs)")
    p.add_argument("--batch-size", type=int, default=None, help=f"global batch size (default: {t.batch_size})")
    p.add_argument("--learning-rate", type=float, default=None, help=f"peak learning rate (default: {t.learning_rate:g})")
    p.add_argument("--schedule", choices=SCHEDULES, default=None, help=f"learning-rate schedule (default: {t.schedule})")
    p.add_argument("--decay-fraction", type=float, default=None, metavar="F",
                   help=f"wsd schedule: share of the planned steps spent decaying (default: {t.decay_fraction})")
    p.add_argument("--clipnorm", type=float, default=None, help=f"gradient-norm clipping, 0: off (default: {t.clipnorm})")
    p.add_argument("--weight-decay", type=float, default=None, metavar="WD",
                   help=f"decoupled weight decay (AdamW), scaled by the learning rate, 0: off (default: "
                        f"{t.weight_decay:g})")
    p.add_argument("--val-fraction", type=float, default=None, help=f"validation tail of the text (default: {t.val_fraction})")
    p.add_argument("--checkpoint-every", type=int, default=None, metavar="N", help=f"also checkpoint every N steps, 0: epoch ends only (default: {t.checkpoint_every})")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="cap on optimizer steps per epoch (default: one pass over the text)")
    p.add_argument("--preview-length", type=int, default=None, help=f"characters of the epoch-end preview, 0: off (default: {t.preview_length})")
    p.add_argument("--carry-state", action=argparse.BooleanOptionalAction, default=None,
                   help="carry the LSTM state from batch to batch (truncated BPTT; default on, one replica only)")
    p.add_argument("--fresh-rows", type=float, default=None, metavar="F",
                   help=f"with a carried state: the share of a batch's rows that start every batch from a zero "
                        f"state, so the model learns to start from nothing as generation does, 0: none "
                        f"(default: {t.fresh_rows:g})")
    p.add_argument("--distribute", choices=DISTRIBUTIONS, default=None,
                   help="tf.distribute strategy: auto (mirrored on several GPUs) | default | mirrored | multiworker "
                   "(default: auto)")
    # Deprecated spelling, kept for one release: --strategy means a sampling strategy in `chargen generate`.
    p.add_argument("--strategy", choices=DISTRIBUTIONS, default=None, dest="old_strategy", help=argparse.SUPPRESS)
    p.add_argument("--precision", choices=PRECISIONS, default=None, help="float32 | mixed | auto (default: auto: mixed on GPUs with tensor cores)")
    p.add_argument("--seed", type=int, default=None, help="random seed for a reproducible run (default: none)")
    p.add_argument("--run-dir", default=None, metavar="DIR",
                   help="where to write the run, anywhere (default: RUNS_HOME/CORPUS-ARCH-TIME)")
    add_home_flag(p)
    p.add_argument("--resume", default=None, metavar="RUN",
                   help="continue RUN (a folder or a name from `chargen runs`) from its last checkpoint")
    p.add_argument("--init-from", default=None, metavar="RUN",
                   help="fine-tune: start a new run from RUN's weights (its model shape; the vocabulary grows by "
                        "the new corpus's characters)")
    p.add_argument("--tensorboard", action="store_true", default=None,
                   help="write TensorBoard logs under RUN/logs (view: tensorboard --logdir RUN/logs)")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last stdout line")
    return p


def run_request(args):
    """What the user asked for a new run, as chargen_core.train.plan_run takes it (only the flags given)."""
    from ..train import RunRequest

    corpus = {"source": args.corpus} if args.corpus else {}
    return RunRequest(model=given(args, MODEL_FIELDS), train=given(args, TRAIN_FIELDS),
                      corpus={**corpus, **given(args, CORPUS_FIELDS)}, size=args.size, init_from=args.init_from,
                      run_dir=Path(args.run_dir) if args.run_dir else None, runs_dir=args.runs_dir)


def _make_trainer(args, on_event):
    for name, wanted in (("resume", "a run folder or a name from `chargen runs`"),
                         ("init_from", "a run folder or a name from `chargen runs`"),
                         ("run_dir", "the folder to write the run in, or leave the flag out")):
        if getattr(args, name) == "":  # an empty value (an unset shell variable) is a mistake, never "not given"
            raise SettingsError(f"--{name.replace('_', '-')} is empty: give {wanted}")
    if args.resume is not None:
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
        import_tensorflow_quietly()
        from ..train import Trainer

        return Trainer.resume(resolve_run_arg(args, "resume"), on_event, epochs=args.epochs,
                              time_budget=args.time_budget)
    from ..train import check_request, plan_run

    request = check_request(run_request(args))  # bad flags answer before TensorFlow's start-up
    import_tensorflow_quietly()
    from ..train import Trainer

    return Trainer.from_plan(plan_run(request, report=lambda line: say(f"chargen: {line}")), on_event)


def take_deprecated_flags(args) -> None:
    """--strategy (before --distribute) still works for one release, with a notice."""
    old = getattr(args, "old_strategy", None)
    if old is None:
        return
    say("chargen: notice: `chargen train --strategy` is deprecated and goes in the next release; use --distribute")
    if args.distribute not in (None, old):
        raise SettingsError(f"--strategy {old} and --distribute {args.distribute} disagree; give --distribute only")
    args.distribute = old


def run(args) -> int:
    take_deprecated_flags(args)
    reporter = Reporter()
    trainer = _make_trainer(args, reporter)
    for notice in trainer.notices:
        say(f"chargen: notice: {notice}")

    received: list[int] = []

    def on_signal(signum, frame):
        name = signal.Signals(signum).name
        if signum == getattr(signal, "SIGHUP", None):  # the terminal is gone: writing to it would fail (EIO)
            reporter.hang_up()  # first: the live display puts back the streams it redirected
            sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        if not received:
            again = "Ctrl-C" if signum == signal.SIGINT else name
            progress = reporter.progress  # on a terminal, its echo of ^C may sit at the start of the line
            lead = "\n" if progress.tty and not progress.open else ""
            say(f"{lead}chargen: {name}: stopping after this batch and saving ({again} again to abort)")
        received.append(signum)
        trainer.request_stop(f"stopped by {name}")
        # A second one aborts at once (the newest checkpoint stays the latest good one).
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    # Ctrl-C, `kill`/systemd/schedulers (SIGTERM) and a dropped SSH session (SIGHUP) all stop cleanly.
    stop_signals = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, on_signal) for signum in stop_signals}
    streams = sys.stdout, sys.stderr
    try:
        finished: TrainingFinished = trainer.run()
    finally:
        reporter.close()  # the display's last frame stays on screen
        end_progress_line()  # the summary or an error goes on a line of its own
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        hung_up = (sys.stdout, sys.stderr) != streams
        if hung_up:
            sys.stdout.close()
            sys.stdout, sys.stderr = streams
    if hung_up:  # the terminal is gone: no summary (state.json has the outcome)
        return 128 + received[0]
    val = f"{finished.val_loss:.4f} nats/char ({finished.val_bpc:.3f} bpc)" if finished.val_loss is not None else "n/a"
    summary = (f"{finished.reason}: {finished.epochs} epochs, {finished.steps} steps, val {val}, "
               f"{finished.train_seconds:.1f} s, {finished.targets_per_second:,.0f} targets/s -> {finished.run_dir}")
    if trainer.already_trained:  # nothing trained: its notice said what was done, and no summary repeats it
        summary = None
    if args.json:
        if summary:
            say(summary)
        print_json({**dataclasses.asdict(finished), "params": trainer.params, "device": trainer.device,
                    "strategy": trainer.strategy_name, "replicas": trainer.replicas,
                    "size": trainer.size.as_dict() if trainer.size is not None else None})
    elif summary:
        print(summary, flush=True)
    if finished.reason == "nan":
        raise ChargenError(f"training diverged (loss became NaN) at step {finished.steps + 1}; the last good "
                           "checkpoint is kept; try a lower --learning-rate or --clipnorm")
    return 128 + received[0] if received else 0  # the shell's convention: 130 after Ctrl-C, 143 after SIGTERM
