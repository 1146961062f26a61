"""`chargen eval [RUN]`: nats/char, bits/char and perplexity on the validation split or a text file."""
from __future__ import annotations

from .common import add_home_flag, print_json, resolve_run_arg, say


def add_parser(subparsers):
    p = subparsers.add_parser("eval", help="score a run on its validation split or a text",
                              description="Evaluate a run. The text gets the run's standardization; characters "
                                          "outside the vocabulary are counted and reported, not scored.")
    p.add_argument("run_dir", metavar="RUN", nargs="?", default=None,
                   help="a run folder, a run name from `chargen runs`, or a bundled model (default: the bundled one)")
    add_home_flag(p)
    p.add_argument("--text", metavar="FILE", default=None, help="text file to score (default: validation split)")
    p.add_argument("--encoding", default="utf-8", help="encoding of --text (utf-8)")
    p.add_argument("--which", choices=("best", "last"), default="best", help="model to score (best)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def run(args) -> int:
    from ..train import START_CHARS, evaluate_run

    run_path = resolve_run_arg(args)
    result, notices = evaluate_run(run_path, args.text, which=args.which, encoding=args.encoding)
    for notice in notices:
        say(f"chargen: notice: {notice}")
    if result.unknown_chars:
        say(f"chargen: notice: {result.unknown_chars:,} characters outside the vocabulary were counted but not "
            f"scored: {result.unknown!r}")
    if args.json:
        print_json({**result.to_dict(), "run_dir": str(run_path), "notices": notices})
        return 0
    print(f"{result.text_source}: {result.chars:,} characters")
    print(f"nats/char   {result.nats_per_char:.4f}")
    print(f"bits/char   {result.bits_per_char:.4f}")
    print(f"perplexity  {result.perplexity:.3f}")
    print(f"unknown     {result.unknown_chars:,}")
    if result.start_nats is not None:  # how a prompt fares that starts from nothing
        print(f"first {START_CHARS} chars from the start state {result.start_nats:.4f} nats/char "
              f"(with context {result.start_warm_nats:.4f})")
    return 0
