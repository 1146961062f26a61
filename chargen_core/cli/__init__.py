"""Headless command line: `chargen train | generate | eval | info | runs | export`.

Exit 0 ok, 2 bad input, 1 internal error, 128+signal after a clean stop, 141 when stdout's reader left early.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable

from ..errors import ChargenError, one_line
from .common import import_tensorflow_quietly

SUBCOMMANDS = ("train", "generate", "eval", "info", "runs", "export")
# 128 + SIGPIPE: the status a shell shows for `yes | head`, where the reader of stdout stopped reading first.
STDOUT_CLOSED = 141


EXAMPLES = """examples:
  chargen runs                                     # runs in the runs home and the bundled model
  chargen train --corpus nietzsche --time-budget 150
  chargen train --resume NAME --epochs 40          # continue a run (a name from chargen runs, or a path)
  chargen train --init-from default --corpus my.txt --tensorboard   # fine-tune the bundled model
  chargen generate --prompt "The " --strategy top-p   # no RUN: the bundled model
  chargen eval NAME --json
  chargen export NAME ~/share/my-model             # weights only, ready to share or open with --run
"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's default in its help: argparse's own unless the help text already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (not action.option_strings or default is None or default is False or default is argparse.SUPPRESS
                or "default" in text or f"({default}" in text):
            return text
        return f"{text} (default: %(default)s)"


class VersionAction(argparse.Action):
    """--version: prints `chargen VERSION` and exits, reading the version only then (see chargen_core.__getattr__)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .. import __version__

        parser._print_message(f"chargen {__version__}\n", sys.stdout)
        parser.exit()


class PipeAwareParser(argparse.ArgumentParser):
    """argparse ignores a failed write of --help or --version; a closed stdout must reach main as a
    BrokenPipeError, like any other command's output, to end with the same status (141)."""

    def _print_message(self, message, file=None):
        if message:
            (file or sys.stderr).write(message)


class Parser(PipeAwareParser):
    """Usage errors as one line (exit 2), not the whole usage block; defaults shown in every help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    parser = Parser(prog="chargen", description="Character-level LSTM text generator (headless commands; "
                    "`chargen` alone opens the app, `chargen --help` describes it).", epilog=EXAMPLES)
    parser.add_argument("--version", action=VersionAction)
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        subparser = module.add_parser(sub)
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                               help="show tracebacks for internal errors")
        # Modules that import TensorFlow themselves (after checking their flags) say so; others get it here.
        subparser.set_defaults(handler=module.run, quiet_tf=not getattr(module, "IMPORTS_TF_ITSELF", False))
    return parser


def command_summaries() -> list[tuple[str, str]]:
    """(name, one-line help) of every subcommand, for the app's --help."""
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return [(choice.dest, choice.help or "") for choice in action._choices_actions]
    return []


def _quiet_tensorflow() -> None:
    # TensorFlow's C++ start-up chatter would bury our one-line messages on stderr.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def stop_quietly_on_closed_stdout(command: Callable[[], int]) -> int:
    """Run command; stdout's reader leaving early (`chargen generate | head`) is a normal end: no message, 141.

    Python's documented recipe: stdout goes to devnull, so the flush at interpreter exit cannot fail again.
    """
    try:
        code = command()
        sys.stdout.flush()  # a reader that left shows here, not as a warning at interpreter exit
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):  # a stdout without a file descriptor: replace the object
            sys.stdout = os.fdopen(devnull, "w")
        return STDOUT_CLOSED


def main(argv: list[str] | None = None) -> int:
    return stop_quietly_on_closed_stdout(lambda: _run_command(argv))


def _run_command(argv: list[str] | None) -> int:
    _quiet_tensorflow()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as given, for a command started again (--background)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or os.environ.get("CHARGEN_DEBUG") == "1"
    try:
        if debug:
            os.environ["CHARGEN_DEBUG"] = "1"
        if args.quiet_tf:
            import_tensorflow_quietly()
        return args.handler(args)
    except ChargenError as exc:
        if debug:
            traceback.print_exc()
        print(f"chargen: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chargen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout's reader left: not a bug (see stop_quietly_on_closed_stdout)
        raise
    except Exception as exc:  # a bug: one line unless debugging
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (rerun with --debug for details)"
        print(f"chargen: internal error: {one_line(exc)}{hint}", file=sys.stderr)
        return 1
