"""`chargen`: core subcommands go to the headless CLI (no textual import); otherwise the app opens."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chargen_core.config import PRECISIONS, STRATEGIES  # plain dataclasses: no TensorFlow, no textual

CORE_COMMANDS = {"train", "generate", "eval", "info"}
CORE_FLAGS = {"-h", "--help", "--version"}


def parse_app_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="chargen", description="Talk to a character-level LSTM in the terminal; train it while you do. "
        "Headless commands: chargen train|generate|eval|info (see chargen --help).")
    parser.add_argument("--run", type=Path, help="open this run directory (default: the bundled model)")
    parser.add_argument("--corpus", help="corpus to train on: builtin, nietzsche, a file, a folder or a URL")
    parser.add_argument("--strategy", choices=STRATEGIES, default="auto",
                        help="tf.distribute strategy for training in the app (auto: mirrored on several GPUs)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="training precision (auto: mixed_float16 on GPUs with tensor cores)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and (argv[0] in CORE_COMMANDS or argv[0] in CORE_FLAGS):
        from chargen_core.cli import main as core_main

        return core_main(argv)
    args = parse_app_args(argv)
    from chargen_core.config import TrainConfig

    from .app import ChargenApp
    from .services import Services

    services = Services(train_config=TrainConfig(strategy=args.strategy, precision=args.precision))
    ChargenApp(services, run_path=args.run, corpus_source=args.corpus).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
