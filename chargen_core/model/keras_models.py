"""The Keras graphs of the two architectures: the default sequence LSTM (logits at every step) and the
tutorial's window model (one softmax after 20 characters). Keras is imported inside the builders, so naming
the layers costs nothing to a caller that never builds a model."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import ModelConfig

if TYPE_CHECKING:
    import keras

# Layer names: checkpoints, fine-tuning and the numpy port find the weights by them.
EMBEDDING_LAYER = "embedding"
LOGITS_LAYER = "logits"  # the default model's output Dense
PROBS_LAYER = "probs"  # the tutorial's output Dense (softmax)


def build_lstm(cfg: ModelConfig, vocab_size: int) -> "keras.Model":
    import keras

    from .layers import CarryLSTM

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size, cfg.embedding_dim, name=EMBEDDING_LAYER)(ids)
    for i in range(cfg.layers):
        # Defaults here (tanh/sigmoid, not unrolled, with bias) keep cuDNN eligible on GPU; recurrent dropout
        # does not (a CPU never uses cuDNN, so there it costs only the masks).
        x = CarryLSTM(cfg.units, return_sequences=True, recurrent_dropout=cfg.recurrent_dropout, name=f"lstm_{i}")(x)
        if cfg.dropout > 0:
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout_{i}")(x)
    # Logits stay float32 even under mixed precision, for a stable softmax/loss.
    logits = keras.layers.Dense(vocab_size, name=LOGITS_LAYER, dtype="float32")(x)
    return keras.Model(ids, logits, name="chargen_lstm")


def build_window_model(vocab_size: int, *, window: int, embedding: int, units: int) -> "keras.Model":
    """The tutorial's model, layer for layer: Embedding → Dropout(0.5) → LSTM → Flatten → softmax."""
    import keras

    ids = keras.Input(shape=(window,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size, embedding, name=EMBEDDING_LAYER)(ids)
    x = keras.layers.Dropout(0.5, name="dropout")(x)
    x = keras.layers.LSTM(units, return_sequences=True, name="lstm_0")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    probs = keras.layers.Dense(vocab_size, activation="softmax", name=PROBS_LAYER, dtype="float32")(x)
    return keras.Model(ids, probs, name="chargen_seed")
