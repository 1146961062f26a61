"""Run directory: atomic checkpoints with manifests, damaged-file fallback, SIGKILL survival, safe loading."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chargen_core.runs import (atomic_write_text, list_checkpoints, manifest_path, read_manifest, verify)
from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.errors import RunDirError
from chargen_core.runs import RunDir, default_run_path
from chargen_core.train import Trainer

REPO = Path(__file__).resolve().parents[3]
MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One small run (2 epochs × 4 steps, a step checkpoint every 3) shared read-only by these tests."""
    base = tmp_path_factory.mktemp("runs")
    text = ("the quick brown fox jumps over the lazy dog.\nto be, or not to be: that is the question.\n") * 40
    (base / "corpus.txt").write_text(text)
    cfg = TrainConfig(epochs=2, batch_size=8, steps_per_epoch=4, checkpoint_every=3, preview_length=0, seed=0)
    Trainer(load_corpus(str(base / "corpus.txt")), base / "run", MODEL, cfg).run()
    return base / "run"


def test_layout_and_rotation(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {"config.json", "vocab.json", "history.jsonl", "state.json", "model.keras", "model.json", "best.keras",
            "best.json", "checkpoints"} <= names
    assert not [n for n in names if n.startswith(".tmp")]
    steps = [read_manifest(p).global_step for p in list_checkpoints(trained_run)]
    assert steps == [8, 6]  # checkpoints at steps 3, 4, 6, 8; only the newest two are kept
    manifest, problem = verify(trained_run / "model.keras")
    assert problem is None and manifest.kind == "epoch" and manifest.epochs_done == 2


def test_truncated_checkpoint_is_detected_and_skipped(run_copy):
    newest = list_checkpoints(run_copy)[0]
    os.truncate(newest, newest.stat().st_size // 2)
    assert "size" in verify(newest)[1]
    (run_copy / "model.keras").unlink()  # so the fallback has to reach the older checkpoint
    run = RunDir.open(run_copy)
    _, manifest, path = run.load_checkpoint("last")
    assert path.name == "ckpt-000000006.keras" and manifest.global_step == 6
    assert any("damaged" in n and newest.name in n for n in run.notices)


def test_flipped_byte_is_detected(run_copy):
    best = run_copy / "best.keras"
    data = bytearray(best.read_bytes())
    data[len(data) // 2] ^= 0xFF
    best.unlink()  # best.keras may be a hard link to a checkpoint: replace, do not edit in place
    best.write_bytes(bytes(data))
    assert verify(best)[1] == "checksum mismatch"
    run = RunDir.open(run_copy)
    assert run.load_model("best") is not None
    assert any("best.keras is damaged" in n for n in run.notices)


def test_resume_falls_back_past_a_damaged_checkpoint(run_copy):
    for path in (run_copy / "model.keras", list_checkpoints(run_copy)[0]):
        path.unlink()
        path.write_bytes(b"not a zip file")
    trainer = Trainer.resume(run_copy, epochs=3)
    assert trainer.state.global_step == 6 and trainer.state.epochs_done == 1
    assert trainer.notices and "damaged" in trainer.notices[0]
    assert trainer.run().epochs == 3
    assert [r["epoch"] for r in RunDir.open(run_copy).history()] == [0, 1, 2]


def test_no_usable_checkpoint_is_a_clear_error(run_copy):
    for path in [run_copy / "model.keras", run_copy / "best.keras", *list_checkpoints(run_copy)]:
        os.truncate(path, 10)
    with pytest.raises(RunDirError, match="no usable model"):
        RunDir.open(run_copy).load_model("best")


def test_open_refuses_non_runs(tmp_path):
    with pytest.raises(RunDirError, match="not found"):
        RunDir.open(tmp_path / "missing")
    with pytest.raises(RunDirError, match="not a chargen run"):
        RunDir.open(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    (tmp_path / "vocab.json").write_text("{}")
    with pytest.raises(RunDirError, match="not a valid run config"):
        RunDir.open(tmp_path)


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_default_run_path_points_at_assets():
    assert default_run_path().parts[-2:] == ("assets", "default") or default_run_path().name == "default"


def test_sigkill_mid_training_leaves_a_run_that_resumes(tmp_path, tiny_corpus_file):
    run_dir = tmp_path / "run"
    cmd = [sys.executable, "-m", "chargen_core", "train", "--corpus", str(tiny_corpus_file), "--units", "16",
           "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "4",
           "--epochs", "1000", "--checkpoint-every", "2", "--preview-length", "0", "--run-dir", str(run_dir)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # A checkpoint past step 4 (TensorFlow's start alone can take minutes on a loaded machine).
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and max(map(read_step_of, run_dir.glob("checkpoints/ckpt-*.json")),
                                                  default=-1) < 4:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    run = RunDir.open(run_dir)
    model, manifest, _ = run.load_checkpoint("last")
    assert model is not None and manifest.global_step >= 4
    resumed = Trainer.resume(run_dir, epochs=manifest.epochs_done + 1)
    finished = resumed.run()
    assert finished.reason == "completed" and finished.epochs == manifest.epochs_done + 1
    rows = RunDir.open(run_dir).history()
    assert [r["epoch"] for r in rows] == list(range(finished.epochs))
    assert not list(run_dir.rglob(".tmp-*"))
    assert manifest_path(run_dir / "model.keras").exists()


def read_step_of(manifest_file: Path) -> int:
    manifest = read_manifest(manifest_file.with_suffix(".keras"))
    return manifest.global_step if manifest else -1


def test_model_best_and_newest_checkpoint_share_no_inode(trained_run):
    """Each file is the others' fallback: damage to one (truncated in place) must not reach the others."""
    files = [trained_run / "model.keras", trained_run / "best.keras", list_checkpoints(trained_run)[0]]
    assert len({(f.stat().st_dev, f.stat().st_ino) for f in files}) == 3
    assert all(f.stat().st_nlink == 1 for f in files)


def test_progress_comes_from_the_newest_checkpoint_not_the_history(run_copy):
    """One source for epochs done, global step and best val: the manifest (a crash may leave an extra history
    line, which resume truncates; counting lines would be off by one)."""
    run = RunDir.open(run_copy)
    losses = [r["val_loss"] for r in run.history()]
    progress = run.progress()
    assert (progress.epochs_done, progress.global_step) == (2, 8)
    assert progress.best_val_loss == min(losses) == read_manifest(run_copy / "model.keras").best_val_loss
    with open(run_copy / "history.jsonl", "a") as fh:  # epoch 3 ended, then the kill came before its checkpoint
        fh.write('{"epoch": 2, "val_loss": 0.01}\n')
    assert run.progress() == progress and len(run.history()) == 3
