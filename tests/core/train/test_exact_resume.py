"""A run stopped and resumed trains the same batches, in the same order, for the same number of steps as one that
was never stopped (carried-state streams and shuffled sequences), and ends with the same losses, bit for bit: at
every stop point, an epoch's last batch and first batch included (the carried state, the epoch's running metrics
and the dropout generators are saved beside each checkpoint)."""
import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from chargen_core.runs import RESUME_SUFFIX, read_manifest, verify
from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.data import make_datasets, stream_dataset
from chargen_core.train import BatchEnded
from chargen_core.runs import RunDir
from chargen_core.train import Trainer

MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)


def record_batches(trainer) -> list:
    """Fingerprints (the first row of x) of every batch the optimizer trains on, in order."""
    seen = []
    model, step = trainer.model, trainer.model.train_step

    def train_step(data):
        tf.py_function(lambda x: seen.append(tuple(x[0].numpy().tolist())) or 0, [data[0]], tf.int64)
        return step(data)

    model.train_step = train_step
    return seen


@pytest.mark.parametrize("carry, seed", [(True, None), (False, 3)])
def test_stopped_and_resumed_run_trains_the_uninterrupted_batches(tiny_corpus_file, tmp_path, carry, seed):
    corpus = load_corpus(str(tiny_corpus_file))
    cfg = TrainConfig(epochs=3, batch_size=4, steps_per_epoch=5, checkpoint_every=0, preview_length=0,
                      seed=seed, carry_state=carry)
    stopped_at = 7  # in the middle of the second epoch

    def stop(event):
        if isinstance(event, BatchEnded) and event.global_step == stopped_at:
            first.request_stop()

    first = Trainer(corpus, tmp_path / "split", MODEL, cfg, on_event=stop)
    part_one = record_batches(first)
    assert first.run().steps == stopped_at
    resumed = Trainer.resume(tmp_path / "split")
    part_two = record_batches(resumed)
    steps = []
    resumed._emit_fn = lambda e: steps.append(e.step) if isinstance(e, BatchEnded) else None
    finished = resumed.run()

    whole = Trainer(corpus, tmp_path / "whole", MODEL, cfg)
    if seed is None:  # an unseeded run keeps its data order in config.json; give the reference the same one
        data_seed = RunDir.open(tmp_path / "split").config["data_seed"]
        whole.splits = make_datasets(whole.vocab.encode(corpus.text), whole.arch.examples(MODEL), cfg,
                                     carry=whole.carry_state,
                                     data_seed=data_seed)
    reference = record_batches(whole)
    assert whole.run().steps == 15
    assert finished.steps == 15 and finished.epochs == 3  # was 7 + 2 * 5 = 17 when the epoch was replayed
    assert steps[:3] == [3, 4, 5]  # the rest of epoch 2, numbered within it
    assert len(part_one) == stopped_at and part_one + part_two == reference
    history = RunDir.open(tmp_path / "split").history()
    assert [r["epoch"] for r in history] == [0, 1, 2] and [r["global_step"] for r in history] == [5, 10, 15]


def test_stream_dataset_start_is_the_tail_of_the_whole_sequence():
    ids = np.arange(2000) % 37
    whole = [x.numpy() for x, _ in stream_dataset(ids, 8, 4, steps=6, seed=1).take(20)]
    for start in (0, 3, 6, 11):
        tail = [x.numpy() for x, _ in stream_dataset(ids, 8, 4, steps=6, seed=1, start=start).take(20 - start)]
        assert all((a == b).all() for a, b in zip(whole[start:], tail)) and len(tail) == 20 - start


# --- the loss too: every stop point resumes into the uninterrupted run, bit for bit ---------------------------------
EXACT_MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16, dropout=0.1)  # dropout: its random state resumes too
EXACT = TrainConfig(epochs=3, batch_size=4, steps_per_epoch=5, checkpoint_every=0, preview_length=0, seed=7)
TEXT = ("the quick brown fox jumps over the lazy dog.\n"
        "to be, or not to be: that is the question.\n") * 40


@pytest.fixture(scope="module")
def exact_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return load_corpus(str(path))


def train_stopping_at(corpus, run_path, stops: tuple[int, ...]):
    """Train EXACT, stopped right after each global step in stops and resumed each time, to the end."""
    pending = list(stops)

    def stop(event):
        if isinstance(event, BatchEnded) and pending and event.global_step == pending[0]:
            pending.pop(0)
            trainer.request_stop("stopped by the test")

    trainer = Trainer(corpus, run_path, EXACT_MODEL, EXACT, on_event=stop)
    finished, sessions = trainer.run(), 1
    while finished.reason == "stopped":
        trainer = Trainer.resume(run_path, on_event=stop)
        assert trainer.notices == []
        finished, sessions = trainer.run(), sessions + 1
    assert sessions == len(stops) + 1 and not pending
    return finished


def rows(run_path) -> list[tuple]:
    return [(r["epoch"], r["global_step"], r["loss"], r["val_loss"]) for r in RunDir.open(run_path).history()]


@pytest.fixture(scope="module")
def uninterrupted(exact_corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("whole") / "run"
    return train_stopping_at(exact_corpus, path, ()), rows(path)


@pytest.mark.parametrize("stops", [
    (10,),  # the last batch of epoch 2 (BatchEnded step 5 of 5), before its validation
    (5, 10),  # after epoch 1 (its last batch), then again at the end of epoch 2: the SIGTERM + Ctrl-C
    (6,),  # the first batch of epoch 2
    (8,),  # mid-epoch: the carried LSTM state, the running loss and the dropout masks continue
    (1, 14),  # the very first batch, and the one before the run's last
], ids=lambda stops: "stop-at-" + "-".join(map(str, stops)))
def test_every_stop_point_resumes_into_the_uninterrupted_run(exact_corpus, uninterrupted, tmp_path, stops):
    whole, whole_rows = uninterrupted
    finished = train_stopping_at(exact_corpus, tmp_path / "run", stops)
    assert (finished.reason, finished.epochs, finished.steps) == ("completed", 3, 15) == (whole.reason, 3, whole.steps)
    assert rows(tmp_path / "run") == whole_rows  # epoch, global step, training loss, val loss: equal, not close
    assert finished.val_loss == whole.val_loss and finished.best_val_loss == whole.best_val_loss
    assert RunDir.open(tmp_path / "run").state()["status"] == "completed"


def forget_resume_state(run_path) -> None:
    """Make the run's checkpoints look saved by an older chargen: no companion arrays, none in the manifests."""
    for manifest in [*run_path.glob("*.json"), *(run_path / "checkpoints").glob("*.json")]:
        data = json.loads(manifest.read_text())
        if "resume_state" in data:
            data.pop("resume_state")
            manifest.write_text(json.dumps(data))
    for arrays in [*run_path.glob(f"*{RESUME_SUFFIX}"), *(run_path / "checkpoints").glob(f"*{RESUME_SUFFIX}")]:
        arrays.unlink()


@pytest.mark.parametrize("stop_at, steps, says", [(8, 15, "restarted from zeros"), (10, 20, "trained again")])
def test_a_checkpoint_of_an_older_chargen_still_resumes_and_says_how(exact_corpus, tmp_path, stop_at, steps, says):
    first = Trainer(exact_corpus, tmp_path / "run", EXACT_MODEL, EXACT)
    first._emit_fn = lambda e: first.request_stop() if isinstance(e, BatchEnded) and e.global_step == stop_at else None
    assert first.run().steps == stop_at
    forget_resume_state(tmp_path / "run")
    resumed = Trainer.resume(tmp_path / "run")
    assert len(resumed.notices) == 1 and says in resumed.notices[0], resumed.notices
    finished = resumed.run()  # mid-epoch: the right steps, from zeros; at the last batch: that epoch again (as before)
    assert (finished.reason, finished.steps) == ("completed", steps)


def test_the_arrays_are_published_pruned_and_verified_with_their_checkpoint(exact_corpus, uninterrupted, tmp_path):
    run_path = tmp_path / "run"
    cfg = dataclasses.replace(EXACT, checkpoint_every=3)
    first = Trainer(exact_corpus, run_path, EXACT_MODEL, cfg)
    first._emit_fn = lambda e: first.request_stop() if isinstance(e, BatchEnded) and e.global_step == 8 else None
    assert first.run().steps == 8
    # Saved at steps 0, 3, 5 (epoch), 6, 8 (stop); two kept, each with its arrays; the stop published as model.keras.
    names = sorted(p.name for p in (run_path / "checkpoints").iterdir())
    assert names == [f"ckpt-00000000{s}.{ext}" for s in (6, 8)
                     for ext in ("json", "keras", "resume.npz", "weights.npz")]
    published = read_manifest(run_path / "model.keras")
    assert published.resume_state["file"] == "model.resume.npz" and (run_path / "model.resume.npz").is_file()
    assert verify(run_path / "model.keras")[1] is None
    newest = run_path / "checkpoints" / "ckpt-000000008.resume.npz"
    newest.write_bytes(newest.read_bytes()[:-1] + b"?")  # a damaged companion file damages its checkpoint
    problem = verify(run_path / "checkpoints" / "ckpt-000000008.keras")[1]
    assert problem == "ckpt-000000008.resume.npz: checksum mismatch"
    resumed = Trainer.resume(run_path)
    assert len(resumed.notices) == 1 and "using model.keras (step 8)" in resumed.notices[0]
    finished = resumed.run()  # from model.keras and its own copy of the arrays: still the uninterrupted run
    assert finished.steps == 15 and rows(run_path) == uninterrupted[1]


def test_without_kept_state_a_stop_on_the_last_batch_finishes_the_epoch_first(exact_corpus, tmp_path):
    """Several replicas keep no resume state: there a stop on an epoch's last batch lets its validation end and
    stops after the epoch checkpoint, so the resume starts a whole epoch (never trains that one again)."""
    trainer = Trainer(exact_corpus, tmp_path / "run", EXACT_MODEL, EXACT)
    trainer.keeps_state = False  # as on several replicas
    trainer._emit_fn = lambda e: trainer.request_stop() if isinstance(e, BatchEnded) and e.global_step == 10 else None
    finished = trainer.run()
    assert (finished.reason, finished.epochs, finished.steps) == ("stopped", 2, 10)
    assert [r["global_step"] for r in RunDir.open(tmp_path / "run").history()] == [5, 10]
    assert not list((tmp_path / "run").rglob(f"*{RESUME_SUFFIX}"))
    assert Trainer.resume(tmp_path / "run").run().steps == 15
