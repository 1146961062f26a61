"""Building a model for training: under a mixed-precision policy, compiled with the run's optimizer (Adam or
AdamW, its rate and clipping) and the loss its architecture's outputs need. Keras loads on the first call."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import ModelConfig, TrainConfig
from .architectures import architecture, build_model
from .memory import memory_error

if TYPE_CHECKING:
    import keras


def build_with_precision(cfg: ModelConfig, vocab_size: int, precision: str) -> "keras.Model":
    """build_model under a mixed-precision policy ("float32" or "mixed_float16"), restored afterwards."""
    import keras

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
    from_logits = architecture(model_config).outputs_logits
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )


def compile_if_weights_only(model, model_config: ModelConfig, train_config: TrainConfig,
                            precision: str = "float32") -> bool:
    """A loaded model saved without optimizer state gets a fresh one; True when that happened."""
    if getattr(model, "optimizer", None) is not None:
        return False
    compile_model(model, model_config, train_config, precision)
    return True
