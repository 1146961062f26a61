"""Numpy weights beside every model file: written, verified, published and pruned with it, loaded without Keras,
damaged ones skipped, and a run saved before them converted once (not while another process writes the run)."""
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import Vocab, load_corpus
from chargen_core.errors import RunDirError
from chargen_core.runs import (RunDir, RunLock, list_checkpoints, manifest_path, read_manifest, verify,
                               weights_path)
from chargen_core.train import Trainer

REPO = Path(__file__).resolve().parents[3]
MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """2 epochs × 4 steps, a step checkpoint every 3: model, best and two checkpoints, shared read-only."""
    base = tmp_path_factory.mktemp("weights")
    (base / "corpus.txt").write_text("the quick brown fox jumps over the lazy dog.\nto be, or not to be.\n" * 40)
    cfg = TrainConfig(epochs=2, batch_size=8, steps_per_epoch=4, checkpoint_every=3, preview_length=0, seed=0)
    Trainer(load_corpus(str(base / "corpus.txt")), base / "run", MODEL, cfg).run()
    return base / "run"


def model_files(run: Path) -> list[Path]:
    return [run / "model.keras", run / "best.keras", *list_checkpoints(run)]


def make_old(run: Path) -> None:
    """What a run saved before numpy weights looks like: no weights files, no `weights` in the manifests."""
    for path in model_files(run):
        weights_path(path).unlink()
        data = json.loads(manifest_path(path).read_text())
        del data["weights"]
        manifest_path(path).write_text(json.dumps(data))


def keras_weights(path: Path) -> list[np.ndarray]:
    import keras

    return keras.models.load_model(path, safe_mode=True, compile=False).get_weights()


def assert_same(got, expected) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_every_model_file_has_its_weights_listed_in_its_manifest(trained_run):
    for path in model_files(trained_run):
        manifest, problem = verify(path)
        assert problem is None and manifest.weights["file"] == weights_path(path).name
        assert manifest.weights["size"] == weights_path(path).stat().st_size
    # pruned with their checkpoints: no weights file without its model
    assert sorted(p.name for p in (trained_run / "checkpoints").glob("*.weights.npz")) == sorted(
        weights_path(p).name for p in list_checkpoints(trained_run))
    assert not list(trained_run.rglob(".tmp-*"))


def test_loaded_weights_equal_the_keras_models(trained_run):
    run = RunDir.open(trained_run)
    weights, manifest, path = run.load_weights("best")
    assert path == trained_run / "best.keras" and manifest.kind == "best" and run.notices == []
    assert_same(weights, keras_weights(path))
    newest = list_checkpoints(trained_run)[0]
    assert_same(run.load_weights_at(newest), keras_weights(newest))
    assert run.load_weights("last")[2] in (trained_run / "model.keras", newest)


@pytest.mark.parametrize("damage", ["truncated", "flipped byte"])
def test_damaged_weights_fall_back_with_a_notice(run_copy, damage):
    target = weights_path(run_copy / "best.keras")
    data = bytearray(target.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    assert "best.weights.npz" in verify(run_copy / "best.keras")[1]  # the checkpoint is damaged for training too
    run = RunDir.open(run_copy)
    weights, _, path = run.load_weights("best")
    assert path != run_copy / "best.keras" and len(weights) == len(keras_weights(path))
    assert len(run.notices) == 1 and "best.keras is damaged (best.weights.npz: " in run.notices[0]
    assert ("size" if damage == "truncated" else "checksum") in run.notices[0]
    with pytest.raises(RunDirError, match="this run is damaged: .*best.keras: best.weights.npz"):
        run.load_weights_at(run_copy / "best.keras")


def test_a_damaged_model_file_is_skipped_even_with_intact_weights(run_copy):
    """Every reader skips the same files: generation and evaluation use the same model."""
    best = run_copy / "best.keras"
    data = bytearray(best.read_bytes())
    data[len(data) // 2] ^= 0xFF
    best.write_bytes(bytes(data))
    run = RunDir.open(run_copy)
    assert run.load_weights("best")[2] == run.load_checkpoint("best")[2] != best
    assert run.notices[0] == run.notices[1] and "best.keras is damaged (checksum mismatch)" in run.notices[0]


@pytest.mark.parametrize("name", ["../best.weights.npz", "sub/best.weights.npz", "", 7])
def test_a_manifest_naming_its_weights_elsewhere_is_damaged(run_copy, name):
    path = manifest_path(run_copy / "best.keras")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "weights": {**data["weights"], "file": name}}))
    assert verify(run_copy / "best.keras") == (None, "no readable manifest")
    run = RunDir.open(run_copy)
    assert run.load_weights("best")[2] != run_copy / "best.keras"
    assert "best.keras is damaged (no readable manifest)" in run.notices[0]


def test_weights_of_another_vocabulary_are_refused(run_copy):
    vocab = RunDir.open(run_copy).vocab
    (run_copy / "vocab.json").write_text(Vocab.from_text("".join(vocab.chars) + "ZQ").to_json())
    with pytest.raises(RunDirError, match="different runs"):
        RunDir.open(run_copy).load_weights("best")


LOAD = ("import sys\nfrom chargen_core.runs import RunDir\nweights, manifest, path = RunDir.open(sys.argv[1])"
        ".load_weights(sys.argv[2])\nprint(path.name, len(weights), sorted({'tensorflow', 'keras'} & set(sys.modules)))")


def load_in_child(run: Path, which: str = "best") -> str:
    out = subprocess.run([sys.executable, "-c", LOAD, str(run), which], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_an_old_run_is_converted_once_then_loads_without_keras(run_copy):
    make_old(run_copy)
    best = run_copy / "best.keras"
    before = read_manifest(best)
    assert before.weights is None
    assert load_in_child(run_copy).endswith("['keras', 'tensorflow']")  # converted through Keras
    after, problem = verify(best)
    assert problem is None and after == dataclasses.replace(before, weights=after.weights)
    assert_same(RunDir.open(run_copy).load_weights_at(best), keras_weights(best))
    stamp = weights_path(best).stat().st_mtime_ns
    assert load_in_child(run_copy) == "best.keras 6 []"  # then never again
    assert weights_path(best).stat().st_mtime_ns == stamp
    assert not weights_path(run_copy / "model.keras").exists()  # only what was loaded is converted
    assert not list(run_copy.rglob(".tmp-*"))

    weights_path(best).unlink()  # old again: converting is said, since that start is slow
    data = json.loads(manifest_path(best).read_text())
    del data["weights"]
    manifest_path(best).write_text(json.dumps(data))
    converting = RunDir.open(run_copy)
    converting.load_weights("best")
    assert any("converted once" in notice for notice in converting.notices)


def test_a_run_another_process_writes_is_converted_in_memory_only(run_copy):
    make_old(run_copy)
    listing = sorted(p.name for p in run_copy.iterdir())
    manifest = manifest_path(run_copy / "best.keras").read_bytes()
    with RunLock(run_copy):  # as a live trainer holds it
        run = RunDir.open(run_copy)
        weights, found, _ = run.load_weights("best")
    assert found.weights is None and len(weights) == 6
    assert any("through TensorFlow this time" in notice for notice in run.notices)
    assert sorted(p.name for p in run_copy.iterdir()) == listing
    assert manifest_path(run_copy / "best.keras").read_bytes() == manifest


def test_a_run_in_a_folder_it_cannot_write_is_converted_in_memory_only(run_copy, monkeypatch):
    make_old(run_copy)
    listing = {p: p.stat().st_mtime_ns for p in run_copy.rglob("*")}
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: not mode & os.W_OK)  # as root, chmod would not do
    run = RunDir.open(run_copy)
    weights = run.load_weights_at(run_copy / "best.keras")
    assert_same(weights, keras_weights(run_copy / "best.keras"))
    assert {p: p.stat().st_mtime_ns for p in run_copy.rglob("*")} == listing  # nothing written, not even the lock
