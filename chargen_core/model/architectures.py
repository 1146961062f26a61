"""One object per architecture: `lstm` (the default sequence model) and `seed` (the tutorial's window model).

Everything that differs between the two lives here: the examples it trains on, its Keras model, its numpy step
port, how it is scored, whether a carried state and --size auto apply, its own training recipe, its parameter
count and its one-line description. The rest of the code asks `architecture(model_config)` instead of
branching on the name. Keras and tf.data load only inside the methods that build with them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Sequence

import numpy as np

from ..config import ModelConfig
from ..data import count_sequences, count_windows, too_short
from ..errors import SettingsError
from .keras_models import LOGITS_LAYER, PROBS_LAYER, build_lstm, build_window_model
from .lstm_step import LstmStack, SeedWindowModel
from .scoring import sequence_nll, window_nll

if TYPE_CHECKING:
    import keras

    from ..data import SequenceExamples, WindowExamples


class Architecture:
    """What one architecture means to each stage; LstmArchitecture and SeedArchitecture fill it in."""

    name: ClassVar[str]
    outputs_logits: ClassVar[bool]  # the Keras model returns logits (else probabilities)
    output_layer: ClassVar[str]  # its output Dense: fine-tuning grows it with the vocabulary
    carries_state: ClassVar[bool]  # its LSTM may carry the state from one training batch to the next
    auto_sized: ClassVar[bool]  # --size auto may choose its shape
    train_defaults: ClassVar[dict] = {}  # TrainConfig values of its own recipe (flags the user gives still win)
    min_eval_chars: int  # the shortest text evaluation can score
    # Evaluation also scores a prompt's first characters read from the zero start state (a model that reads any
    # length from nothing; the window model always reads a full window).
    scores_start_state: ClassVar[bool]

    def describe(self, cfg: ModelConfig) -> str:
        """One line for the runs list and the app, e.g. '1×LSTM 256, emb 32'."""
        raise NotImplementedError

    def count_params(self, cfg: ModelConfig, vocab_size: int) -> int:
        """Trainable parameters, computed without building a model."""
        raise NotImplementedError

    def examples(self, cfg: ModelConfig) -> "SequenceExamples | WindowExamples":
        """The layout of its training examples (chargen_core.data; imports TensorFlow)."""
        raise NotImplementedError

    def build(self, cfg: ModelConfig, vocab_size: int) -> "keras.Model":
        """An uncompiled Keras model over a vocabulary of vocab_size ids."""
        raise NotImplementedError

    def numpy_net(self, weights: Sequence[np.ndarray], cfg: ModelConfig, mask_id: int | None = None):
        """Its numpy port for generation (new_state(batch) gives per-row step states); mask_id never comes out."""
        raise NotImplementedError

    def too_short(self, n_ids: int, cfg: ModelConfig, val_fraction: float) -> str | None:
        """Why a text of n_ids characters is too short to train on (None: it is long enough); no TensorFlow."""
        raise NotImplementedError

    def nll(self, model, ids: np.ndarray, cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
        """(-log p(target), target) for the characters of ids that its Keras model can score."""
        raise NotImplementedError


def lstm_param_count(layers: int, units: int, vocab_size: int, embedding: int) -> int:
    """Trainable parameters of Embedding → layers × LSTM(units) → Dense(vocab)."""
    total, width = vocab_size * embedding, embedding
    for _ in range(layers):
        total += 4 * units * (width + units + 1)
        width = units
    return total + width * vocab_size + vocab_size


class LstmArchitecture(Architecture):
    """Embedding → N stacked LSTMs → logits at every step; trained on sequences, carrying its state."""

    name = "lstm"
    outputs_logits = True
    output_layer = LOGITS_LAYER
    carries_state = True
    auto_sized = True
    min_eval_chars = 2
    scores_start_state = True

    def describe(self, cfg):
        text = f"{cfg.layers}×LSTM {cfg.units}, emb {cfg.embedding_dim}"
        if cfg.dropout:
            text += f", dropout {cfg.dropout:g}"
        if cfg.recurrent_dropout:
            text += f", recurrent dropout {cfg.recurrent_dropout:g}"
        return text

    def count_params(self, cfg, vocab_size):
        return lstm_param_count(cfg.layers, cfg.units, vocab_size, cfg.embedding_dim)

    def examples(self, cfg):
        from ..data import SequenceExamples

        return SequenceExamples(cfg.seq_len)

    def build(self, cfg, vocab_size):
        return build_lstm(cfg, vocab_size)

    def numpy_net(self, weights, cfg, mask_id=None):
        return LstmStack(weights, cfg.layers, mask_id=mask_id)

    def nll(self, model, ids, cfg):
        return sequence_nll(model, ids, cfg.seq_len, logits=True)

    def too_short(self, n_ids, cfg, val_fraction):
        return too_short(n_ids, cfg.seq_len + 1, lambda n: count_sequences(n, cfg.seq_len), val_fraction)


class SeedArchitecture(Architecture):
    """The tutorial's model: 20 ids in, the next character out, trained on windows every 3 characters with the
    tutorial's recipe (Adam at its default rate, constant, no clipping). Its shape is fixed."""

    name = "seed"
    window = 20  # ids the model reads
    step = 3  # characters between the starts of two training windows
    embedding = 16
    units = 128
    outputs_logits = False
    output_layer = PROBS_LAYER
    carries_state = False
    auto_sized = False
    train_defaults = {"batch_size": 64, "learning_rate": 1e-3, "schedule": "constant", "clipnorm": 0.0}
    min_eval_chars = window + 1
    scores_start_state = False

    def describe(self, cfg):
        return f"seed window LSTM {self.units}"

    def count_params(self, cfg, vocab_size):
        lstm = 4 * self.units * (self.embedding + self.units + 1)
        return vocab_size * self.embedding + lstm + self.window * self.units * vocab_size + vocab_size

    def examples(self, cfg):
        from ..data import WindowExamples

        return WindowExamples(self.window, self.step)

    def build(self, cfg, vocab_size):
        return build_window_model(vocab_size, window=self.window, embedding=self.embedding, units=self.units)

    def numpy_net(self, weights, cfg, mask_id=None):
        return SeedWindowModel(weights, self.window, mask_id=mask_id)

    def nll(self, model, ids, cfg):
        return window_nll(model, ids, self.window, logits=False)

    def too_short(self, n_ids, cfg, val_fraction):
        return too_short(n_ids, self.window + 1, lambda n: count_windows(n, self.window, self.step), val_fraction)


LSTM = LstmArchitecture()
SEED = SeedArchitecture()
ARCHITECTURES: dict[str, Architecture] = {arch.name: arch for arch in (LSTM, SEED)}


def architecture(arch: str | ModelConfig) -> Architecture:
    """The architecture a name (or a model config) stands for; an unknown name is bad input."""
    name = arch.arch if isinstance(arch, ModelConfig) else arch
    found = ARCHITECTURES.get(name)
    if found is None:
        raise SettingsError(f"unknown --arch {name!r}; choose one of {', '.join(ARCHITECTURES)}")
    return found


def build_model(cfg: ModelConfig, vocab_size: int) -> "keras.Model":
    """An uncompiled Keras model for cfg over a vocabulary of vocab_size ids."""
    return architecture(cfg.validate()).build(cfg, vocab_size)


def count_params(cfg: ModelConfig, vocab_size: int) -> int:
    """Trainable parameters, computed without building a model (cheap for `chargen info`)."""
    return architecture(cfg.validate()).count_params(cfg, vocab_size)


def describe_model(cfg: ModelConfig) -> str:
    """A run's one-line model description."""
    return architecture(cfg).describe(cfg)
