"""The headless CLI: exit codes, one-line errors for every bad input, --json contracts, no textual import."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chargen_core.cli import main

REPO = Path(__file__).resolve().parents[3]
TINY = ["--units", "16", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3",
        "--preview-length", "0"]


def run_main(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def run_cli(*argv, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "chargen_core", *map(str, argv)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bad_corpus(tmp_path, kind):
    path = tmp_path / f"{kind}.txt"
    if kind == "missing":
        return tmp_path / "nope.txt"
    if kind == "empty":
        path.write_text("")
    elif kind == "short":
        path.write_text("far too short for one sequence\n")
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    elif kind == "undecodable":
        path.write_bytes("caf\u00e9 au lait. ".encode("latin-1") * 50)
    elif kind == "folder":
        path = tmp_path / "notes"
        path.mkdir()
        (path / "readme.md").write_text("not a txt file")
    elif kind == "url":
        return f"http://127.0.0.1:{closed_port()}/corpus.txt"
    return path


@pytest.mark.parametrize("kind, message", [
    ("missing", "not found"), ("empty", "empty"), ("short", "too short"), ("binary", "binary"),
    ("undecodable", "not valid utf-8"), ("folder", "no .txt"), ("url", "cannot download"),
])
def test_bad_corpus_is_one_line_exit_2(capsys, tmp_path, monkeypatch, kind, message):
    monkeypatch.setenv("CHARGEN_CACHE", str(tmp_path / "cache"))
    run_dir = tmp_path / "run"
    rc, out, err = run_main(capsys, "train", "--corpus", bad_corpus(tmp_path, kind), "--run-dir", run_dir, *TINY)
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("chargen: error:") and message in err.lower()
    assert not run_dir.exists()


@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "--epochs must be a positive integer"),
    (["--units", "-5"], "--units must be a positive integer"),
    (["--batch-size", "-1"], "--batch-size must be a positive integer"),
    (["--seq-len", "0"], "--seq-len must be a positive integer"),
    (["--time-budget", "-3"], "--time-budget must be positive"),
    (["--steps-per-epoch", "-2"], "--steps-per-epoch must be a positive integer"),
    (["--weight-decay", "-0.1"], "--weight-decay must be in [0, 1)"),
    (["--recurrent-dropout", "1"], "--recurrent-dropout must be in [0, 1)"),
    (["--epochs", "two"], "invalid int value"),
    (["--arch", "gru"], "invalid choice"),
])
def test_bad_settings_are_one_line_exit_2(capsys, tmp_path, tiny_corpus_file, flags, message):
    run_dir = tmp_path / "run"
    rc, out, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", run_dir, *TINY, *flags)
    assert rc == 2
    assert err.count("\n") == 1 and message in err
    assert not run_dir.exists()


def test_unwritable_run_dir(capsys, tmp_path, tiny_corpus_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    rc, _, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", blocker / "run", *TINY)
    assert rc == 2 and "not a folder" in err and err.count("\n") == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_parent(capsys, tmp_path, tiny_corpus_file):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        rc, _, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", locked / "run", *TINY)
    finally:
        locked.chmod(0o700)
    assert rc == 2 and "not writable" in err


def test_resume_on_a_folder_that_is_not_a_run(capsys, tmp_path):
    rc, _, err = run_main(capsys, "train", "--resume", tmp_path)
    assert rc == 2 and "not a chargen run" in err and err.count("\n") == 1
    rc, _, err = run_main(capsys, "train", "--resume", tmp_path, "--units", "8")
    assert rc == 2 and "--units" in err


def test_info_seed_params(capsys):
    rc, out, _ = run_main(capsys, "info", "--arch", "seed", "--vocab-size", "96")
    assert rc == 0 and "321,632" in out


def test_info_corpus_json(capsys, tiny_corpus_file, tiny_text):
    rc, out, _ = run_main(capsys, "info", "--corpus", tiny_corpus_file, "--json")
    info = json.loads(out.strip().splitlines()[-1])
    assert rc == 0 and info["chars"] == len(tiny_text) and info["lines"] == tiny_text.count("\n")
    assert info["vocab_size"] == len(set(tiny_text)) + 1
    assert info["train_chars"] + info["val_chars"] == len(tiny_text)
    assert info["seed_windows"] == -(-(len(tiny_text) - 20) // 3)
    rc, out, _ = run_main(capsys, "info", "--corpus", tiny_corpus_file)
    assert "characters" in out and "seed windows" in out and "parameters" in out


def test_no_command_and_help(capsys):
    assert main([]) == 2
    assert main(["--version"]) == 0
    assert main(["train", "--help"]) == 0
    assert "--time-budget" in capsys.readouterr().out


def test_train_json_then_eval_json_in_subprocesses(tmp_path, tiny_corpus_file):
    run_dir = tmp_path / "run"
    proc = run_cli("train", "--corpus", tiny_corpus_file, "--run-dir", run_dir, "--epochs", "2", "--json", *TINY)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"run_dir", "val_loss", "val_bpc", "epochs", "steps", "train_seconds", "targets_per_second"} <= set(summary)
    assert summary["epochs"] == 2 and summary["steps"] == 6 and summary["run_dir"] == str(run_dir)
    assert "epoch 2/2" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("eval", run_dir, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"nats_per_char", "bits_per_char", "perplexity", "chars", "unknown_chars"} <= set(result)


def test_bad_input_in_a_subprocess_has_no_traceback(tmp_path):
    for argv in (["train", "--corpus", tmp_path / "missing.txt"], ["train", "--epochs", "0"]):
        proc = run_cli(*argv)
        assert proc.returncode == 2
        assert proc.stderr.startswith("chargen: error:") and proc.stderr.count("\n") == 1, proc.stderr


def test_chargen_core_never_imports_textual():
    code = ("import importlib, pkgutil, sys, chargen_core\n"
            "for m in pkgutil.walk_packages(chargen_core.__path__, 'chargen_core.'):\n"
            "    if m.name != 'chargen_core.__main__': importlib.import_module(m.name)\n"
            "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
            "print(len(bad)); assert not bad, bad\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and proc.stdout.strip() == "0", proc.stderr[-2000:]


def test_train_strategy_is_a_deprecated_alias_of_distribute(capsys, tmp_path, tiny_corpus_file):
    import argparse

    from chargen_core.cli.train import take_deprecated_flags

    args = argparse.Namespace(old_strategy="default", distribute=None)
    take_deprecated_flags(args)
    assert args.distribute == "default"
    notice = capsys.readouterr().err
    assert "deprecated" in notice and "--distribute" in notice
    rc, out, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", tmp_path / "run", *TINY,
                            "--strategy", "default", "--distribute", "mirrored")
    assert rc == 2 and "deprecated" in err and "disagree" in err and err.count("\n") == 2
    assert not (tmp_path / "run").exists()


def test_runs_saved_with_the_old_strategy_key_keep_their_setting():
    from chargen_core.config import TrainConfig, from_dict

    assert from_dict(TrainConfig, {"strategy": "mirrored", "epochs": 3}).distribute == "mirrored"
    assert from_dict(TrainConfig, {"distribute": "default"}).distribute == "default"


def test_one_line_names_the_type_only_for_bugs():
    from chargen_core.errors import CorpusError, one_line

    assert one_line(CorpusError("corpus not found: x\nmore")) == "corpus not found: x"
    assert one_line(ValueError("bad\nvalue")) == "ValueError: bad"
    assert one_line(KeyError()) == "KeyError"


def test_a_one_step_session_shows_no_made_up_speed(capsys, tmp_path, tiny_corpus_file):
    flags = [f for f in TINY if f != "3"]
    flags[flags.index("--steps-per-epoch") + 1:flags.index("--steps-per-epoch") + 1] = ["1"]
    assert main(["train", "--corpus", str(tiny_corpus_file), *flags, "--epochs", "1",
                 "--run-dir", str(tmp_path / "run")]) == 0
    summary = capsys.readouterr().out.strip()
    assert summary.startswith("completed: 1 epochs, 1 steps") and "targets/s" not in summary  # not "0 targets/s"
