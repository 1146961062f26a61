"""tf.data pipelines (shapes, the x/y shift, validation tail) and model builders."""
import numpy as np

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import count_windows, make_datasets, sequence_dataset, split_ids, window_dataset
from chargen_core.model import LSTM, SEED, build_model, count_params


def test_sequences_are_shifted_by_one():
    ids = np.arange(1, 1000, dtype=np.int32)
    x, y = next(iter(sequence_dataset(ids, seq_len=10, batch_size=4, shuffle=False)))
    assert x.shape == (4, 10) and y.shape == (4, 10)
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    np.testing.assert_array_equal(x.numpy()[0], np.arange(1, 11))


def test_windows_step_three_predict_the_next_char():
    ids = np.arange(100, dtype=np.int32)
    x, y = next(iter(window_dataset(ids, batch_size=5, shuffle=False, window=SEED.window, step=SEED.step)))
    assert x.shape == (5, 20) and y.shape == (5,)
    np.testing.assert_array_equal(x.numpy()[1], np.arange(3, 23))
    np.testing.assert_array_equal(y.numpy(), np.arange(5) * 3 + 20)
    assert count_windows(100, SEED.window, SEED.step) == 27


def test_validation_is_a_contiguous_tail():
    train, val = split_ids(np.arange(1000), 0.1)
    assert len(val) == 100 and val[0] == 900 and train[-1] == 899


def test_make_datasets_counts_targets():
    ids = np.random.default_rng(0).integers(1, 20, 5000).astype(np.int32)
    cfg = ModelConfig(seq_len=20)
    splits = make_datasets(ids, LSTM.examples(cfg), TrainConfig(batch_size=8, steps_per_epoch=5))
    assert splits.steps_per_epoch == 5 and splits.train_targets_per_epoch == 5 * 8 * 20
    assert splits.val_chars == 500 - 1  # validation scores every character after the first, in long pieces


def test_seed_model_has_the_tutorials_parameter_count():
    model = build_model(ModelConfig(arch="seed"), 96)
    assert model.count_params() == 321_632 == count_params(ModelConfig(arch="seed"), 96)
    assert model.output_shape == (None, 96)


def test_lstm_model_gives_logits_at_every_step():
    cfg = ModelConfig(embedding_dim=8, units=16, layers=2, dropout=0.1)
    model = build_model(cfg, 30)
    out = model(np.ones((2, 7), dtype=np.int32))
    assert out.shape == (2, 7, 30) and out.dtype.name == "float32"
    assert model.count_params() == count_params(cfg, 30)
    assert [layer.name for layer in model.layers if "lstm" in layer.name] == ["lstm_0", "lstm_1"]
