"""`chargen`: core subcommands go to the headless CLI (no textual import); otherwise the app opens on a terminal."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chargen_core.cli import SUBCOMMANDS, stop_quietly_on_closed_stdout  # argparse only: no TensorFlow
from chargen_core.config import DISTRIBUTIONS, PRECISIONS  # plain dataclasses: no TensorFlow, no textual

CORE_COMMANDS = set(SUBCOMMANDS)
CORE_FLAGS = {"--version"}
HELP_FLAGS = {"-h", "--help"}
APP_EXAMPLES = """examples:
  chargen                                   # the app on the bundled model
  chargen --run NAME                        # the app on a run from `chargen runs`
  chargen --corpus my.txt                   # the app on a corpus: F2 trains a new run on it
  chargen train --corpus nietzsche --time-budget 150 --tensorboard
  chargen generate --prompt "The " --length 300
"""


def app_help_epilog() -> str:
    """Headless commands and every key of the app, for `chargen --help`."""
    from chargen_core.cli import command_summaries

    from .keymap import ALL_KEYS

    lines = ["commands (headless; chargen COMMAND --help for each one's options and defaults):"]
    lines += [f"  {name:<10} {text}" for name, text in command_summaries()]
    lines += ["", "keys in the app (remap them by id in ~/.config/chargen/keys.toml; F1 shows them too):",
              f"  {'enter':<12} generate from the prompt", f"  {'ctrl+p':<12} command palette (every action by name)"]
    lines += [f"  {spec.keys:<12} {spec.description}" for spec in ALL_KEYS]
    return "\n".join(lines) + "\n\n" + APP_EXAMPLES


def app_parser(with_epilog: bool = False) -> argparse.ArgumentParser:
    from chargen_core.cli import HelpFormatter, PipeAwareParser, VersionAction

    parser = PipeAwareParser(
        prog="chargen", usage="chargen [APP OPTIONS]\n       chargen COMMAND [OPTIONS]",
        formatter_class=HelpFormatter, epilog=app_help_epilog() if with_epilog else None,
        description="Talk to a character-level LSTM in the terminal; train it (in processes of its own) while you do.\n"
        "`chargen` opens the app; the commands below run headless.")
    parser.add_argument("--run", help="open this run: a folder or a name from `chargen runs` (default: the bundled model)")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR",
                        help="the runs home (default: $CHARGEN_HOME/runs, else the user data folder's chargen/runs)")
    parser.add_argument("--export-dir", type=Path, metavar="DIR",
                        help="where ctrl+s saves the session (default: $CHARGEN_HOME/exports, else the user data folder)")
    parser.add_argument("--corpus", help="corpus to train on: builtin, nietzsche, a file, a folder or a URL "
                        "(default: the open run's corpus)")
    parser.add_argument("--distribute", choices=DISTRIBUTIONS, default="auto",
                        help="tf.distribute strategy of the trainers the app starts (auto: mirrored on several GPUs)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="training precision (auto: mixed_float16 on GPUs with tensor cores)")
    parser.add_argument("--version", action=VersionAction)
    return parser


def parse_app_args(argv: list[str]) -> argparse.Namespace:
    return app_parser().parse_args(argv)


NO_TERMINAL = ("chargen: error: the app needs a terminal (stdin, stdout and stderr); in scripts and pipes use the "
               "headless commands: chargen generate, chargen train, ... (chargen --help lists them)")


def has_terminal() -> bool:
    """Textual reads keys from stdin and draws on stderr; stdout redirected means the user expects text there,
    which only the headless commands write. Without all three the app would draw into a pipe and never end."""
    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    return stop_quietly_on_closed_stdout(lambda: _dispatch(argv))


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in HELP_FLAGS:
        app_parser(with_epilog=True).print_help()
        return 0
    if argv and (argv[0] in CORE_COMMANDS or argv[0] in CORE_FLAGS):
        from chargen_core.cli import main as core_main

        return core_main(argv)
    args = parse_app_args(argv)
    from chargen_core.config import TrainConfig
    from chargen_core.errors import ChargenError
    from chargen_core.runs import exports_home, resolve_run, runs_home

    try:  # bad input answers in one line before the app takes the screen
        for flag, value in (("--run", args.run), ("--corpus", args.corpus)):
            if value == "":  # an unset shell variable: a mistake, never "not given"
                raise ChargenError(f"{flag} is empty: give a value or leave the flag out")
        run_root = runs_home(args.runs_dir)
        run_path = resolve_run(args.run, args.runs_dir) if args.run is not None else None
    except ChargenError as exc:
        print(f"chargen: error: {exc}", file=sys.stderr)
        return 2
    if not has_terminal():
        print(NO_TERMINAL, file=sys.stderr)
        return 2

    from .app import ChargenApp
    from .services import Services

    services = Services(train_config=TrainConfig(distribute=args.distribute, precision=args.precision))
    ChargenApp(services, run_path=run_path, corpus_source=args.corpus, run_root=run_root,
               export_dir=args.export_dir or exports_home()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
