"""Signals stop like Ctrl-C (checkpoint, exit 128+signal), a full disk or a file in place of checkpoints/ is one
line and recorded in state.json, state.json follows every checkpoint, fallback files share no bytes, seeds."""
import errno
import json
import os
import signal
import threading
import time

import pytest

from chargen_core.train import callbacks
from chargen_core.runs import list_checkpoints, read_manifest
from chargen_core.cli import main

TINY = ["--units", "16", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3",
        "--preview-length", "0"]


def state(run) -> dict:
    return json.loads((run / "state.json").read_text())


def send_when(path, signum, timeout=300.0):
    """Send signum to this process once path exists (training is then under way)."""
    def wait():
        end = time.monotonic() + timeout
        while not path.exists() and time.monotonic() < end:
            time.sleep(0.05)
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_checkpoints_and_exits_128_plus_signal(name, tmp_path, tiny_corpus_file, capsys):
    signum = getattr(signal, name)
    caught = []
    # Were chargen not to handle it, this handler (not the default: death of the test run) would see it.
    previous = signal.signal(signum, lambda s, f: caught.append(s))
    run = tmp_path / "run"
    try:
        thread = send_when(run / "checkpoints" / "ckpt-000000004.keras", signum)
        rc = main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(run), "--epochs", "500",
                   "--checkpoint-every", "2", *TINY])
        thread.join()
    finally:
        signal.signal(signum, previous)
    assert caught == [] and rc == 128 + signum
    err = capsys.readouterr().err
    if name != "SIGHUP":  # after SIGHUP the terminal is gone: chargen writes nothing more to it
        assert f"{name}: stopping after this batch and saving" in err
    saved = state(run)
    assert saved["status"] == "stopped" and saved["detail"] == f"stopped by {name}"
    manifest = read_manifest(list_checkpoints(run)[0])
    assert manifest.global_step == saved["global_step"] >= 4  # the model at the stop is saved
    assert main(["train", "--resume", str(run), "--epochs", str(saved["epochs_done"] + 1)]) == 0


def test_full_disk_is_one_line_exit_2_and_recorded(tmp_path, tiny_corpus_file, capsys, monkeypatch):
    real = callbacks.save_model

    def full(model, path, **kw):
        if kw["global_step"] >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(model, path, **kw)

    monkeypatch.setattr(callbacks, "save_model", full)
    run = tmp_path / "run"
    rc = main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(run), "--epochs", "3", *TINY])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len([line for line in err if "error" in line]) == 1
    assert "no space left" in err[-1] and f"--resume {run}" in err[-1] and "internal" not in err[-1]
    saved = state(run)
    assert saved["status"] == "failed" and "no space left" in saved["detail"]


def test_checkpoints_folder_turned_into_a_file(tmp_path, tiny_corpus_file, capsys):
    run = tmp_path / "run"
    assert main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(run), "--epochs", "1", *TINY]) == 0
    for old in (run / "checkpoints").iterdir():
        old.unlink()
    (run / "checkpoints").rmdir()
    (run / "checkpoints").write_text("oops")
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("chargen: error: cannot save a checkpoint:") and "is a file, not a folder" in err[-1]
    assert state(run)["status"] == "failed"


def test_state_json_follows_each_checkpoint(tmp_path, tiny_corpus_file, monkeypatch):
    seen = []
    real = callbacks.save_model

    def spy(model, path, **kw):
        seen.append(state(tmp_path / "run").get("global_step"))  # what state.json said before this save
        return real(model, path, **kw)

    monkeypatch.setattr(callbacks, "save_model", spy)
    assert main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(tmp_path / "run"), "--epochs", "2",
                 "--checkpoint-every", "2", *TINY]) == 0
    # saves at steps 0, 2, 3 (epoch), 4, 6 (step), 6 (epoch): state.json had caught up with the previous one
    assert seen == [0, 0, 2, 3, 4, 6]
    assert state(tmp_path / "run")["checkpoint"] == "ckpt-000000006.keras"


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_out_of_range_seeds_are_exit_2(seed, tmp_path, tiny_corpus_file, capsys):
    rc = main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(tmp_path / "r"), "--seed", seed, *TINY])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--seed" in err and "internal" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_generate_refuses_out_of_range_seeds(seed, tmp_path, capsys):
    rc = main(["generate", str(tmp_path), "--seed", seed])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--seed" in err and "internal" not in err
