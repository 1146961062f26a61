"""`chargen --help` describes the app (flags, keys, commands, examples); every subcommand's help shows defaults."""
import re

import pytest

from chargen_core.cli import SUBCOMMANDS, main
from chargen_tui.__main__ import main as app_main
from chargen_tui.keymap import KEYS


def test_app_help_covers_flags_keys_commands_and_examples(capsys):
    assert app_main(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--run", "--corpus", "--distribute", "--precision", "--runs-dir", "--export-dir"):
        assert flag in out
    for name in SUBCOMMANDS:
        assert re.search(rf"^  {name} ", out, re.M), name
    for spec in KEYS:
        assert spec.keys in out and spec.description in out
    assert "examples:" in out and "(default: the bundled model)" in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_option_shows_its_default(capsys, name):
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    options = re.split(r"\n  (?=-)", out.split("options:", 1)[1])[1:]
    boolean = ("-h", "--json", "--debug", "--compare", "--tensorboard")
    for text in options:
        flag = text.split()[0].rstrip(",")
        if flag.startswith(boolean) or flag in ("--resume", "--init-from", "--text"):
            continue  # switches, and options whose absence is the default
        assert "default" in text or re.search(r"\([^()]*\)$", text.strip()), f"{name} {flag}: {text!r}"


def test_core_help_has_examples(capsys):
    assert main(["--help"]) == 0
    assert "examples:" in capsys.readouterr().out
