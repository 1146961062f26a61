"""Truncated BPTT: stream batches, the carried LSTM state, and full-context scoring."""
import numpy as np
import pytest

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import context_dataset, context_pieces, make_datasets, stream_dataset, stream_layout
from chargen_core.model import LSTM, CarryLSTM, build_model, carry_layers, fresh_row_count


def _batches(ds, n):
    it = iter(ds)
    return [tuple(t.numpy() for t in next(it)) for _ in range(n)]


def test_stream_rows_continue_from_batch_to_batch():
    ids = np.arange(2000, dtype=np.int32)  # each id is its own position: continuity is readable
    streams, length, _, steps = stream_layout(len(ids), 10, 8)
    assert streams == 8 and steps >= 2
    (x0, y0), (x1, y1) = _batches(stream_dataset(ids, 10, 8, seed=3), 2)
    assert x0.shape == (8, 10)
    np.testing.assert_array_equal(y0, x0 + 1)  # targets are the next character
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row i goes on where it stopped
    np.testing.assert_array_equal(np.diff(x0[:, 0]), length)  # rows are far apart streams of the text


def test_each_epoch_starts_at_its_own_offset_and_has_the_same_length():
    ids = np.arange(5000, dtype=np.int32)
    steps = 4
    batches = _batches(stream_dataset(ids, 10, 4, steps=steps, seed=0), steps * 6)
    starts = {int(batches[e * steps][0][0, 0]) for e in range(6)}
    assert len(starts) > 1  # the batch edges move between epochs
    for e in range(6):  # within an epoch the rows stay contiguous
        first, second = batches[e * steps][0], batches[e * steps + 1][0]
        np.testing.assert_array_equal(second[:, 0], first[:, -1] + 1)


def test_tiny_text_still_makes_one_stream():
    streams, length, slack, steps = stream_layout(30, 10, 64)
    assert streams == 2 and steps >= 1 and slack >= 0


def test_context_pieces_score_every_character_once():
    ids = np.arange(2503, dtype=np.int32)
    pieces = context_pieces(ids, 1000)
    targets = np.concatenate([y.ravel() for _, y in pieces])
    np.testing.assert_array_equal(targets, ids[1:])
    for x, y in pieces:
        np.testing.assert_array_equal(y, x + 1)
    ds, steps, chars = context_dataset(ids, 2, 1000)
    assert chars == len(ids) - 1
    assert steps == len(list(ds)) == 2  # one batch of the two full pieces, one of the remainder


def _layer(units=6, features=3):
    layer = CarryLSTM(units, return_sequences=True)
    layer.build((None, None, features))
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("unroll", [False, True])
def test_carried_state_equals_reading_the_whole_sequence(unroll):
    layer = _layer()
    x = np.random.default_rng(1).normal(size=(4, 12, 3)).astype("float32")
    whole = np.asarray(layer(x, training=True))  # no carry yet: an ordinary LSTM
    layer.start_carry(4, unroll=unroll)
    halves = [np.asarray(layer(x[:, :6], training=True)), np.asarray(layer(x[:, 6:], training=True))]
    np.testing.assert_allclose(np.concatenate(halves, axis=1), whole, atol=1e-5)
    # Inference never uses the carried state, and a reset starts the streams again from zero.
    np.testing.assert_allclose(np.asarray(layer(x[:, :6], training=False)), whole[:, :6], atol=1e-5)
    layer.reset_carry()
    np.testing.assert_allclose(np.asarray(layer(x[:, :6], training=True)), whole[:, :6], atol=1e-5)


def test_carry_is_not_saved_and_the_model_loads_in_safe_mode(tmp_path):
    import keras

    model = build_model(ModelConfig(units=8, embedding_dim=4), vocab_size=7)
    layers = carry_layers(model)
    weights_before = len(model.get_weights())
    for layer in layers:
        layer.start_carry(2, unroll=True)
    model(np.zeros((2, 5), np.int32), training=True)
    assert len(model.get_weights()) == weights_before  # the carried state is not a weight
    config = layers[0].get_config()
    assert config["stateful"] is False and config["unroll"] is False and config["return_state"] is False
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded.get_layer("lstm_0"), CarryLSTM)
    x = np.arange(10, dtype=np.int32).reshape(2, 5) % 7
    # The loaded layer carries nothing: a training call starts from zeros every time.
    np.testing.assert_allclose(np.asarray(loaded(x, training=True)), np.asarray(loaded(x, training=True)), atol=1e-6)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_make_datasets_uses_streams_only_when_carrying(tiny_text):
    ids = np.frombuffer(tiny_text.encode(), np.uint8).astype(np.int32)
    model_cfg, train_cfg = ModelConfig(seq_len=16), TrainConfig(batch_size=8)
    carried = make_datasets(ids, LSTM.examples(model_cfg), train_cfg, carry=True)
    independent = make_datasets(ids, LSTM.examples(model_cfg), train_cfg, carry=False)
    assert carried.carry_rows == 8 and independent.carry_rows is None
    n_val = int(round(len(ids) * 0.1))
    assert carried.val_chars == independent.val_chars == n_val - 1  # every validation char after the first


def test_even_pieces_give_every_replica_rows_of_one_length():
    from chargen_core.data import even_pieces

    ids = np.arange(2503, dtype=np.int32)
    (x, y), = even_pieces(ids, 2, 1000)
    assert x.shape[0] % 2 == 0 and x.shape[1] <= 1000
    np.testing.assert_array_equal(y, x + 1)
    assert len(ids) - 1 - y.size < x.shape[0]  # only a few trailing characters go unscored
    ds, steps, _ = context_dataset(ids, 3, 1000, replicas=2)
    assert all(len(bx) % 2 == 0 for bx, _ in ds) and steps == len(list(ds))


def test_trainer_carries_state_on_one_replica_and_can_be_told_not_to(tmp_path, tiny_text):
    from chargen_core.data import Corpus
    from chargen_core.runs import RunDir
    from chargen_core.train import Trainer

    corpus = Corpus(text=tiny_text, source="tiny", name="tiny", standardize="none", encoding="utf-8")
    model_cfg = ModelConfig(units=16, embedding_dim=8, seq_len=16)
    settings = dict(epochs=3, batch_size=8, seed=0, preview_length=0)
    carried = Trainer(corpus, tmp_path / "carry", model_cfg, TrainConfig(**settings))
    assert carried.carry_state and carried.splits.carry_rows == 8
    finished = carried.run()
    assert finished.reason == "completed"
    losses = [row["loss"] for row in RunDir.open(tmp_path / "carry").history()]
    assert len(losses) == 3 and losses[-1] < losses[0]
    plain = Trainer(corpus, tmp_path / "plain", model_cfg, TrainConfig(**settings, carry_state=False))
    assert not plain.carry_state and plain.splits.carry_rows is None and not plain.notices


def test_fresh_rows_read_every_batch_from_zeros_and_the_rest_carry():
    x = np.random.default_rng(2).normal(size=(8, 12, 3)).astype("float32")
    layer = _layer()
    whole = np.asarray(layer(x, training=True))
    from_zero = np.asarray(layer(x[:, 6:], training=True))  # no carry yet: every row starts from zeros
    layer.start_carry(8, fresh_rows=fresh_row_count(0.25, 8))
    first = np.asarray(layer(x[:, :6], training=True))
    second = np.asarray(layer(x[:, 6:], training=True))
    np.testing.assert_allclose(first, whole[:, :6], atol=1e-5)
    np.testing.assert_allclose(second[:2], from_zero[:2], atol=1e-5)  # the two fresh rows start again
    np.testing.assert_allclose(second[2:], whole[2:, 6:], atol=1e-5)  # the others go on where they stopped


def test_fresh_row_count_keeps_at_least_one_row_carrying():
    assert fresh_row_count(1 / 16, 128) == 8 and fresh_row_count(1 / 16, 8) == 1
    assert fresh_row_count(0.0, 128) == 0 and fresh_row_count(0.5, 1) == 0 and fresh_row_count(0.9, 4) == 3
