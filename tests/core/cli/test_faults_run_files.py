"""Fault report, run files: damaged metadata is one line and exit 2 on every command, a resume writes nothing to a
run it cannot read, generate says which damaged file it skipped as eval does, `chargen runs` tells a killed run
from a running one, and an empty RUN is refused."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chargen_core.runs import summarize
from chargen_core.cli import main
from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.runs import RunLock, is_held
from chargen_core.train import Trainer

REPO = Path(__file__).resolve().parents[2]
MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)
COMMANDS = {"generate": ["generate", "{run}", "--length", "5", "--prompt", "the "], "eval": ["eval", "{run}"],
            "resume": ["train", "--resume", "{run}", "--epochs", "3"]}


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One small finished run (2 epochs × 3 steps), copied by each test that damages it."""
    base = tmp_path_factory.mktemp("faults")
    text = "the quick brown fox jumps over the lazy dog.\nto be, or not to be: that is the question.\n" * 30
    (base / "corpus.txt").write_text(text)
    cfg = TrainConfig(epochs=2, batch_size=8, steps_per_epoch=3, checkpoint_every=0, preview_length=0, seed=0)
    Trainer(load_corpus(str(base / "corpus.txt")), base / "run", MODEL, cfg).run()
    return base / "run"


def snapshot(run: Path) -> dict:
    """Every file of a run and its bytes (the lock file aside: taking the lock rewrites the holder's pid)."""
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def run_command(capsys, name: str, run: Path) -> tuple[int, str, str]:
    rc = main([a.format(run=run) for a in COMMANDS[name]])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_damaged(rc: int, err: str, file: str) -> None:
    lines = err.strip().splitlines()
    assert rc == 2, err
    assert len(lines) == 1 and lines[0].startswith("chargen: error: this run is damaged:") and file in lines[0], err
    assert "internal error" not in err and "Error:" not in err  # no Python exception name


DAMAGE = {
    "config.json holds a list": ("config.json", b"[1, 2, 3]\n"),
    "config.json is not UTF-8": ("config.json", b'{"model": "\xff\xfe"}'),
    "config.json is cut short": ("config.json", b'{"model": {}, "train": {'),
    "vocab.json is not UTF-8": ("vocab.json", b'{"unk": "[UNK]", "chars": ["\xff"]}'),
    "vocab.json holds numbers": ("vocab.json", b'{"unk": "[UNK]", "chars": [1, 2]}'),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_metadata_is_one_line_exit_2_and_nothing_is_written(capsys, run_copy, damage, command):
    name, data = DAMAGE[damage]
    (run_copy / name).write_bytes(data)
    before = snapshot(run_copy)
    rc, _, err = run_command(capsys, command, run_copy)
    assert_damaged(rc, err, name)
    assert snapshot(run_copy) == before


@pytest.mark.parametrize("section, key, value", [
    ("model", "units", "16"), ("model", "layers", 1.5), ("model", "dropout", None), ("train", "learning_rate", "x"),
    ("train", "val_fraction", 0.9), ("train", "carry_state", "yes"), ("corpus", "standardize", 3),
])
def test_config_values_of_the_wrong_type_or_range_are_refused_by_eval_and_generate(capsys, run_copy, section, key,
                                                                                      value):
    path = run_copy / "config.json"
    config = json.loads(path.read_text())
    config[section][key] = value
    path.write_text(json.dumps(config))
    for command in ("eval", "generate"):
        rc, out, err = run_command(capsys, command, run_copy)
        assert_damaged(rc, err, "config.json")
        assert f"{section} settings" in err and repr(value) in err and out == ""


def test_resume_with_a_history_that_is_not_utf8_writes_nothing(capsys, run_copy):
    """The defect: config.json (epochs, rate, schedule start) was rewritten and the run marked failed before the
    resume failed on the history. Every file must be as it was."""
    with open(run_copy / "history.jsonl", "ab") as fh:
        fh.write(b'{"epoch": 2, "loss": "\xff\xfe"}\n')
    before = snapshot(run_copy)
    rc, _, err = run_command(capsys, "resume", run_copy)
    assert_damaged(rc, err, "history.jsonl")
    assert snapshot(run_copy) == before
    assert json.loads((run_copy / "state.json").read_text())["status"] == "completed"


@pytest.mark.parametrize("command", ["generate", "eval"])
def test_generate_and_eval_do_not_need_the_history(capsys, run_copy, command):
    (run_copy / "history.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    rc, out, err = run_command(capsys, command, run_copy)
    assert rc == 0, err
    assert out.strip()


def test_history_rows_that_are_not_objects_are_skipped_on_resume(capsys, run_copy):
    with open(run_copy / "history.jsonl", "a") as fh:
        fh.write("[1, 2]\n42\n")
    (run_copy / "state.json").write_text("[]")  # damaged too: treated as no state
    rc, _, err = run_command(capsys, "resume", run_copy)
    assert rc == 0, err
    rows = [json.loads(line) for line in (run_copy / "history.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [0, 1, 2]


@pytest.mark.parametrize("damaged", ["best.keras", "checkpoints/ckpt-000000006.keras"])
def test_generate_says_which_damaged_file_it_skipped_as_eval_does(capsys, run_copy, damaged):
    which = "best" if damaged == "best.keras" else "last"
    path = run_copy / damaged
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    if which == "last":  # so the fallback reaches past the newest checkpoint to an older file
        (run_copy / "model.keras").unlink()
    notices = []
    for argv in (["eval", str(run_copy), "--which", which],
                 ["generate", str(run_copy), "--which", which, "--length", "5", "--prompt", "the "],
                 ["generate", str(run_copy), "--which", which, "--length", "5", "--prompt", "the ", "--compare"]):
        assert main(argv) == 0
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if "damaged" in line]
        assert len(lines) == 1, err
        notices.append(lines[0])
    assert notices[0] == notices[1] == notices[2]
    assert notices[0].startswith("chargen: notice: ") and f"{Path(damaged).name} is damaged (checksum" in notices[0]


def test_runs_tells_a_killed_run_from_a_running_one(capsys, chargen_home, trained_run):
    run = chargen_home / "runs" / "mine"
    shutil.copytree(trained_run, run)
    state = json.loads((run / "state.json").read_text())
    (run / "state.json").write_text(json.dumps({**state, "status": "running"}))  # as a kill -9 leaves it

    def listed_state() -> str:
        assert main(["runs", "--json"]) == 0
        runs = json.loads(capsys.readouterr().out)["runs"]
        return next(r["state"] for r in runs if r["name"] == "mine")

    # its process is gone: it shows as stopped, and resumable
    assert not is_held(run) and listed_state() == "stopped"
    assert main(["runs"]) == 0
    assert "process is gone" in capsys.readouterr().out
    (run / ".lock").unlink()  # a run copied without its lock file: nobody holds it either
    assert listed_state() == "stopped"
    hold = ("import sys, time\nfrom chargen_core.runs import RunLock\nRunLock(sys.argv[1]).acquire()\n"
            "print('locked', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(run)], stdout=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert is_held(run) and listed_state() == "running"
        assert main(["runs"]) == 0
        assert f"(pid {proc.pid})" in capsys.readouterr().out  # the process that holds it
    finally:
        proc.kill()
        proc.wait()
    assert listed_state() == "stopped"


def test_a_writer_starting_while_runs_looks_at_the_lock_is_not_refused(tmp_path):
    """is_held takes the lock for an instant; a trainer's acquire at that instant must still get it."""
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").write_text("")
    import fcntl
    import os
    import threading

    fd = os.open(run / ".lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # what is_held holds for an instant
    threading.Timer(0.05, lambda: os.close(fd)).start()
    lock = RunLock(run).acquire()
    assert is_held(run)  # the trainer holds it now
    lock.release()


def test_summarize_of_a_live_training_in_this_process_says_running(tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    state = json.loads((run / "state.json").read_text())
    (run / "state.json").write_text(json.dumps({**state, "status": "running"}))
    with RunLock(run):  # the app lists runs while its own training holds the lock
        assert summarize(run).state == "running"
    assert summarize(run).state == "stopped"  # its process is gone


@pytest.mark.parametrize("argv, flag", [
    (["generate", ""], "RUN given is an empty string"),
    (["eval", ""], "RUN given is an empty string"),
    (["export", "", "{tmp}/out"], "RUN given is an empty string"),
    (["train", "--resume", ""], "--resume is empty"),
    (["train", "--init-from", "", "--corpus", "builtin"], "--init-from is empty"),
    (["train", "--run-dir", "", "--corpus", "builtin"], "--run-dir is empty"),
    (["runs", "--runs-dir", ""], "--runs-dir is empty"),
    (["generate", "--runs-dir", ""], "--runs-dir is empty"),
])
def test_an_empty_run_is_refused(capsys, chargen_home, tmp_path, argv, flag):
    rc = main([a.format(tmp=tmp_path) for a in argv])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()] and err.startswith("chargen: error:") and flag in err
    assert not (chargen_home / "runs").exists() or not any((chargen_home / "runs").iterdir())  # no new run
    assert not (tmp_path / "out").exists()
