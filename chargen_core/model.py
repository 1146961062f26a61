"""Model builders: the default sequence LSTM (logits at every step) and the tutorial's window model; compiling."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config import SEED_EMBEDDING, SEED_UNITS, SEED_WINDOW, ModelConfig, TrainConfig

if TYPE_CHECKING:  # keras loads TensorFlow: only the builders pay for it, not count_params
    import keras


def build_model(cfg: ModelConfig, vocab_size: int) -> "keras.Model":
    """An uncompiled Keras model for cfg.arch over a vocabulary of vocab_size ids."""
    cfg.validate()
    if cfg.arch == "seed":
        return _build_seed(vocab_size)
    return _build_lstm(cfg, vocab_size)


def _build_lstm(cfg: ModelConfig, vocab_size: int) -> "keras.Model":
    import keras

    from .layers import CarryLSTM

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size, cfg.embedding_dim, name="embedding")(ids)
    for i in range(cfg.layers):
        # Defaults here (tanh/sigmoid, not unrolled, with bias) keep cuDNN eligible on GPU; recurrent dropout
        # does not (a CPU never uses cuDNN, so there it costs only the masks).
        x = CarryLSTM(cfg.units, return_sequences=True, recurrent_dropout=cfg.recurrent_dropout, name=f"lstm_{i}")(x)
        if cfg.dropout > 0:
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout_{i}")(x)
    # Logits stay float32 even under mixed precision, for a stable softmax/loss.
    logits = keras.layers.Dense(vocab_size, name="logits", dtype="float32")(x)
    return keras.Model(ids, logits, name="chargen_lstm")


def _build_seed(vocab_size: int) -> "keras.Model":
    """The tutorial's model, layer for layer: Embedding(16) → Dropout(0.5) → LSTM(128) → Flatten → softmax."""
    import keras

    ids = keras.Input(shape=(SEED_WINDOW,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size, SEED_EMBEDDING, name="embedding")(ids)
    x = keras.layers.Dropout(0.5, name="dropout")(x)
    x = keras.layers.LSTM(SEED_UNITS, return_sequences=True, name="lstm_0")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    probs = keras.layers.Dense(vocab_size, activation="softmax", name="probs", dtype="float32")(x)
    return keras.Model(ids, probs, name="chargen_seed")


def model_outputs_logits(cfg: ModelConfig) -> bool:
    """True when the model returns logits (lstm), False when it returns probabilities (seed)."""
    return cfg.arch != "seed"


def count_params(cfg: ModelConfig, vocab_size: int) -> int:
    """Trainable parameters, computed without building a model (cheap for `chargen info`)."""
    cfg.validate()
    if cfg.arch == "seed":
        lstm = 4 * SEED_UNITS * (SEED_EMBEDDING + SEED_UNITS + 1)
        return vocab_size * SEED_EMBEDDING + lstm + SEED_WINDOW * SEED_UNITS * vocab_size + vocab_size
    total = vocab_size * cfg.embedding_dim
    width = cfg.embedding_dim
    for _ in range(cfg.layers):
        total += 4 * cfg.units * (width + cfg.units + 1)
        width = cfg.units
    return total + width * vocab_size + vocab_size


def build_with_precision(cfg: ModelConfig, vocab_size: int, precision: str) -> "keras.Model":
    """build_model under a mixed-precision policy ("float32" or "mixed_float16"), restored afterwards."""
    import keras

    from .memory import memory_error

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        return build_model(cfg, vocab_size)
    except Exception as exc:  # too large for this machine after all (e.g. a GPU's memory): one line, exit 2
        error = memory_error(exc, cfg, vocab_size)
        if error is exc:
            raise
        raise error from None
    finally:  # the policy is global state; generators built later must get float32
        keras.mixed_precision.set_global_policy(previous)


def compile_model(model, model_config: ModelConfig, train_config: TrainConfig, precision: str = "float32") -> None:
    """Adam (AdamW with the run's weight decay), the run's rate and clipping; cross-entropy on the model's
    outputs; accuracy."""
    import keras

    common = {"learning_rate": train_config.learning_rate, "clipnorm": train_config.clipnorm or None}
    if train_config.weight_decay > 0:
        optimizer = keras.optimizers.AdamW(weight_decay=train_config.weight_decay, **common)
    else:
        optimizer = keras.optimizers.Adam(**common)
    if precision == "mixed_float16":
        # Explicit (not Keras' implicit wrapping) so the saved compile config restores it on resume.
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=model_outputs_logits(model_config)),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )


def compile_if_weights_only(model, model_config: ModelConfig, train_config: TrainConfig,
                            precision: str = "float32") -> bool:
    """A loaded model saved without optimizer state gets a fresh one; True when that happened."""
    if getattr(model, "optimizer", None) is not None:
        return False
    compile_model(model, model_config, train_config, precision)
    return True
