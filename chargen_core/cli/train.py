"""`chargen train`: train a new run or resume one, progress on stderr, optional JSON summary on stdout."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..config import DISTRIBUTIONS, PRECISIONS, SCHEDULES, TrainConfig
from ..errors import ChargenError, SettingsError, one_line
from ..runs import is_held
from ..train import (BatchEnded, EpochEnded, PreviewGenerated, TrainingFinished, TrainingPaused, TrainingStarted,
                     chargen_argv, log_start_failure, train_args)
from .common import (Progress, add_corpus_flags, add_home_flag, add_model_flags, end_progress_line,
                     import_tensorflow_quietly, print_json, resolve_run_arg, say)
from .train_checks import check_empty_flags, check_resume_flags, run_request
from .train_signals import TrainSignals

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
    p.add_argument("--background", action="store_true",
                   help="train in a process of its own that outlives this terminal (and an SSH link): prints its "
                        "pid, run folder and log, and returns at once. Follow it with `chargen runs`, the app or "
                        "tail -f RUN/train.log; SIGUSR1 pauses it, SIGUSR2 resumes, SIGTERM stops with a checkpoint "
                        "(default: train here, in the foreground, stopping when the terminal closes)")
    p.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)  # the process --background starts
    return p


def _make_trainer(args, on_event):
    check_empty_flags(args)
    if args.resume is not None:
        check_resume_flags(args)
        import_tensorflow_quietly()
        from ..train import Trainer

        return Trainer.resume(resolve_run_arg(args, "resume"), on_event, epochs=args.epochs,
                              time_budget=args.time_budget)
    from ..train import check_request, plan_run

    request = check_request(run_request(args))  # bad flags answer before TensorFlow's start-up
    import_tensorflow_quietly()
    from ..train import Trainer

    return Trainer.from_plan(plan_run(request, report=lambda line: say(f"chargen: {line}")), on_event)


class Reporter:
    """Turns trainer events into stderr lines."""

    def __init__(self, plain: bool = False):
        self.progress = Progress()
        if plain:  # detached: lines for a log file, never a line redrawn in place
            self.progress.tty, self.progress.interval = False, 10.0
        self.epochs = 0

    def __call__(self, event) -> None:
        if isinstance(event, TrainingStarted):
            self.epochs = event.epochs
            resumed = f", resuming at epoch {event.initial_epoch + 1}" if event.initial_epoch else ""
            self.progress.line(f"training {event.params:,} parameters on {event.device} ({event.strategy}, "
                               f"{event.replicas} replica{'s' if event.replicas != 1 else ''}, {event.precision})"
                               f"{resumed} -> {event.run_dir}")
            if event.fresh_optimizer:
                self.progress.line("the checkpoint holds weights only (no optimizer state): training continues "
                                   "with a fresh optimizer")
            if event.continued_note:
                self.progress.line(event.continued_note)
        elif isinstance(event, BatchEnded):
            self.progress.update(f"epoch {event.epoch + 1}/{self.epochs} step {event.step}/{event.steps_per_epoch} "
                                 f"loss {event.loss:.4f} {event.chars_per_second:,.0f} chars/s")
        elif isinstance(event, EpochEnded):
            self.progress.line(f"epoch {event.epoch + 1}/{self.epochs}  loss {event.loss:.4f}  val {event.val_loss:.4f} "
                               f"nats/char ({event.val_bpc:.3f} bpc)  acc {event.val_accuracy:.3f}  "
                               f"{event.seconds:.1f} s")
        elif isinstance(event, PreviewGenerated):
            self.progress.line(f"  preview: {event.prompt!r} -> {event.text!r}")
        elif isinstance(event, TrainingPaused):
            self.progress.line(f"{'paused' if event.paused else 'training again'} at step {event.global_step}")


def _make_trainer_logged(args, on_event):
    """_make_trainer; detached, a failure before the model exists also goes into the run's events log when the run
    is known, for whoever follows it (the app that started it). In the foreground the terminal shows it, and a run
    whose files are damaged is left untouched."""
    try:
        return _make_trainer(args, on_event)
    except Exception as exc:
        run_path = _known_run_path(args) if args.detached else None
        if run_path is not None and not is_held(run_path):  # never into the log of a run another process trains
            log_start_failure(run_path, one_line(exc))
        raise


def _known_run_path(args) -> Path | None:
    try:
        if args.resume:
            return Path(resolve_run_arg(args, "resume"))
    except ChargenError:
        return None
    return Path(args.run_dir) if args.run_dir else None


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
    if args.background:
        from .background import start_in_background

        return start_in_background(args)
    reporter = Reporter(plain=args.detached)
    with TrainSignals(reporter.progress, detached=args.detached) as signals:
        trainer = _make_trainer_logged(args, reporter)
        if trainer.event_log is not None:
            trainer.event_log.argv = chargen_argv(["train", *train_args(getattr(args, "argv", None) or [])])
        for notice in trainer.notices:
            say(f"chargen: notice: {notice}")
        signals.attach(trainer)
        try:
            finished: TrainingFinished = trainer.run()
        finally:
            end_progress_line()  # the summary or an error goes on a line of its own
    received = signals.received
    if signals.was_hung_up:  # the terminal is gone: no summary (state.json has the outcome)
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
