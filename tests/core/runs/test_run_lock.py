"""One writer per run (a lock the OS releases on death), runs killed before their first checkpoint, and
model/vocabulary mix-ups refused by eval and generate."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chargen_core.runs import CHECKPOINT_DIR
from chargen_core.cli import main
from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.errors import RunDirError
from chargen_core.runs import LOCK_FILE, RunLock
from chargen_core.runs import RunDir
from chargen_core.train import Trainer
from chargen_core.data import Vocab

REPO = Path(__file__).resolve().parents[3]
MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)
CFG = TrainConfig(epochs=1, batch_size=8, steps_per_epoch=3, checkpoint_every=0, preview_length=0, seed=0)
HOLD = ("import sys, time\nfrom chargen_core.runs import RunLock\nRunLock(sys.argv[1]).acquire()\n"
        "print('locked', flush=True)\ntime.sleep(120)\n")


@pytest.fixture
def corpus(tiny_corpus_file):
    return load_corpus(str(tiny_corpus_file))


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/run; yields (process, run path)."""
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc, run
    finally:
        proc.kill()
        proc.wait()


def test_second_writer_gets_exit_2_naming_the_holder_and_a_kill_releases_it(holder, capsys, tiny_corpus_file):
    proc, run = holder
    argv = ["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(run), "--units", "16", "--embedding-dim",
            "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3", "--epochs", "1",
            "--preview-length", "0"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"pid {proc.pid}" in err and "being written" in err
    assert sorted(p.name for p in run.iterdir()) == [LOCK_FILE]  # nothing of a run was written
    proc.send_signal(signal.SIGKILL)  # a dead holder: the OS drops its lock, the stale file blocks no one
    proc.wait()
    assert main(argv) == 0
    assert RunDir.open(run).history()[0]["epoch"] == 0


def test_resume_while_training_is_refused(corpus, tmp_path):
    Trainer(corpus, tmp_path / "run", MODEL, CFG).run()
    with RunLock(tmp_path / "run"):  # e.g. the app training this run
        with pytest.raises(RunDirError, match=f"pid {os.getpid()}"):
            Trainer.resume(tmp_path / "run", epochs=2)
        with pytest.raises(RunDirError, match="being written"):
            Trainer(corpus, tmp_path / "run", MODEL, CFG)  # and a fresh train into it
    finished = Trainer.resume(tmp_path / "run", epochs=2).run()  # the lock was released by run()
    assert finished.epochs == 2


def test_two_fresh_trains_into_one_new_dir(corpus, tmp_path):
    first = Trainer(corpus, tmp_path / "new", MODEL, CFG)
    lower = load_corpus(corpus.source, standardize="lower")
    with pytest.raises(RunDirError, match="being written"):
        Trainer(lower, tmp_path / "new", MODEL, CFG)
    first.run()
    run = RunDir.open(tmp_path / "new")
    assert run.load_model("last").output_shape[-1] == run.vocab.size


def test_a_failed_new_run_leaves_no_directory(tmp_path):
    tiny = load_corpus(str(_write(tmp_path / "short.txt", "far too short\n")))
    with pytest.raises(Exception):
        Trainer(tiny, tmp_path / "runs" / "r", MODEL, CFG)
    assert not (tmp_path / "runs" / "r").exists()


def _write(path, text):
    path.write_text(text)
    return path


def _created_but_never_checkpointed(corpus, path) -> RunDir:
    """What a kill between config.json and the first checkpoint (or during its write) leaves."""
    run = RunDir.create(path, model_config=MODEL, train_config=CFG,
                        corpus_config=CorpusConfig(source=corpus.source), vocab=Vocab.from_text(corpus.text))
    (path / CHECKPOINT_DIR / f".tmp-999-ckpt-000000000.keras").write_bytes(b"PK\x03\x04 half a zip")
    return run


def test_resume_of_a_run_killed_before_its_first_checkpoint_starts_it_over(corpus, tmp_path, capsys):
    _created_but_never_checkpointed(corpus, tmp_path / "run")
    assert main(["train", "--resume", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "no checkpoint yet" in err
    run = RunDir.open(tmp_path / "run")
    assert [r["epoch"] for r in run.history()] == [0] and run.state()["global_step"] == 3
    assert not list((tmp_path / "run" / CHECKPOINT_DIR).glob(".tmp-*"))


def test_a_dir_left_before_config_json_can_be_trained_into(corpus, tmp_path):
    path = tmp_path / "run"
    _created_but_never_checkpointed(corpus, path)
    (path / "config.json").unlink()  # killed before config.json: only the vocabulary and an empty checkpoints/
    Trainer(corpus, path, MODEL, CFG).run()
    assert RunDir.open(path).history()[0]["epoch"] == 0


def test_eval_and_generate_refuse_a_model_vocab_mismatch(corpus, tmp_path, capsys):
    Trainer(corpus, tmp_path / "run", MODEL, CFG).run()
    (tmp_path / "run" / "vocab.json").write_text(Vocab.from_text("abc \n").to_json())
    for argv in (["eval", str(tmp_path / "run")], ["generate", str(tmp_path / "run"), "--length", "5"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "different runs" in err, err
