"""One object per architecture: what `lstm` and `seed` each mean, asked of the object instead of the name."""
import numpy as np
import pytest

from chargen_core.config import ARCHS, ModelConfig
from chargen_core.errors import SettingsError
from chargen_core.model import ARCHITECTURES, LSTM, SEED, architecture, count_params, describe_model
from chargen_core.train import sizing


def test_every_configurable_arch_has_an_object_and_no_more():
    assert tuple(ARCHITECTURES) == ARCHS
    assert architecture(ModelConfig(arch="seed")) is SEED and architecture("lstm") is LSTM
    with pytest.raises(SettingsError, match="unknown --arch 'gru'"):
        architecture("gru")


def test_the_model_description_names_its_dropout():
    assert describe_model(ModelConfig(units=384, embedding_dim=32)) == "1×LSTM 384, emb 32"
    assert describe_model(ModelConfig(units=384, dropout=0.5, recurrent_dropout=0.1)) == (
        "1×LSTM 384, emb 32, dropout 0.5, recurrent dropout 0.1")
    assert describe_model(ModelConfig(arch="seed", units=999)) == "seed window LSTM 128"  # its shape is fixed


def test_what_differs_between_the_two():
    assert LSTM.outputs_logits and not SEED.outputs_logits
    assert LSTM.carries_state and LSTM.auto_sized and not SEED.carries_state and not SEED.auto_sized
    assert LSTM.train_defaults == {} and SEED.train_defaults["learning_rate"] == 1e-3
    assert LSTM.min_eval_chars == 2 and SEED.min_eval_chars == SEED.window + 1
    assert LSTM.scores_start_state and not SEED.scores_start_state


def test_sizing_counts_parameters_as_the_architecture_does():
    for layers, units in sizing.LADDER:
        cfg = ModelConfig(layers=layers, units=units, embedding_dim=sizing.EMBEDDING)
        assert sizing.params(layers, units, 86) == count_params(cfg, 86) == LSTM.count_params(cfg, 86)


def test_the_numpy_ports_step_rows_of_the_vocabulary():
    vocab = 7
    lstm_cfg = ModelConfig(units=4, embedding_dim=3)
    lstm_weights = [np.zeros((vocab, 3)), np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16), np.zeros((4, vocab)),
                    np.zeros(vocab)]
    seed_weights = [np.zeros((vocab, SEED.embedding)), np.zeros((SEED.embedding, 4 * SEED.units)),
                    np.zeros((SEED.units, 4 * SEED.units)), np.zeros(4 * SEED.units),
                    np.zeros((SEED.window * SEED.units, vocab)), np.zeros(vocab)]
    for arch, cfg, weights in ((LSTM, lstm_cfg, lstm_weights), (SEED, ModelConfig(arch="seed"), seed_weights)):
        net = arch.numpy_net([w.astype(np.float32) for w in weights], cfg, mask_id=0)
        state = net.new_state(1)
        logits = state.prime(np.array([1, 2, 3]))
        assert logits.shape == (1, vocab) and logits[0, 0] == -np.inf  # the masked id never comes out
        assert state.step(np.array([4])).shape == (1, vocab)
