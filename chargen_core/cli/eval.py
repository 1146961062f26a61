"""`chargen eval RUN_DIR`: nats/char, bits/char and perplexity on the validation split or a text file."""
from __future__ import annotations

from .common import print_json, say


def add_parser(subparsers):
    p = subparsers.add_parser("eval", help="score a run on its validation split or a text",
                              description="Evaluate a run. The text gets the run's standardization; characters "
                                          "outside the vocabulary are counted and reported, not scored.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory")
    p.add_argument("--text", metavar="FILE", default=None, help="text file to score (default: validation split)")
    p.add_argument("--encoding", default="utf-8", help="encoding of --text (utf-8)")
    p.add_argument("--which", choices=("best", "last"), default="best", help="model to score (best)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def run(args) -> int:
    from ..evaluate import evaluate_run

    result, notices = evaluate_run(args.run_dir, args.text, which=args.which, encoding=args.encoding)
    for notice in notices:
        say(f"chargen: notice: {notice}")
    if result.unknown_chars:
        say(f"chargen: notice: {result.unknown_chars:,} characters outside the vocabulary were counted but not "
            f"scored: {result.unknown!r}")
    if args.json:
        print_json({**result.to_dict(), "run_dir": str(args.run_dir), "notices": notices})
        return 0
    print(f"{result.text_source}: {result.chars:,} characters")
    print(f"nats/char   {result.nats_per_char:.4f}")
    print(f"bits/char   {result.bits_per_char:.4f}")
    print(f"perplexity  {result.perplexity:.3f}")
    print(f"unknown     {result.unknown_chars:,}")
    return 0
