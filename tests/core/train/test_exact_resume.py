"""A run stopped mid-epoch and resumed trains the same batches, in the same order, for the same number of steps
as one that was never stopped (carried-state streams and shuffled sequences)."""
import numpy as np
import pytest
import tensorflow as tf

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
