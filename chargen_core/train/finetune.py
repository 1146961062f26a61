"""Fine-tuning (`chargen train --init-from RUN`): a new run that starts from another run's weights.

The vocabulary is the old one plus the new corpus's characters, appended, so every old id keeps its rows.
A new character's embedding row is the [UNK] row: the new model reads new text exactly as the old model did
(it saw those characters as [UNK]). Its output row copies [UNK]'s, and [UNK] and the k new characters share
[UNK]'s old logit (each gets logit - log(k + 1)): the softmax's denominator is unchanged, so before any
training the probability of every old character, in every context, is exactly what the old model gave.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import ModelConfig
from ..data import Vocab
from ..errors import RunDirError, SettingsError
from ..model import EMBEDDING_LAYER, architecture
from ..runs import RunDir

SHAPE_FIELDS = ("arch", "units", "layers", "embedding_dim")  # must match the source run's model


def extend_vocab(old: Vocab, text: str) -> Vocab:
    """Old characters first, in their order (ids unchanged), then the text's new characters, sorted."""
    new = sorted(set(text) - set(old.chars))
    return Vocab((*old.chars, *new))


def model_config_for(source: ModelConfig, given: dict) -> ModelConfig:
    """The source run's model with the flags that may change (dropout, seq_len); other differences: exit 2."""
    for name in SHAPE_FIELDS:
        if name in given and given[name] != getattr(source, name):
            raise SettingsError(f"--{name.replace('_', '-')} {given[name]} does not match the model of the "
                                f"--init-from run ({name.replace('_', ' ')} {getattr(source, name)}); fine-tuning "
                                "keeps the model's shape")
    changes = {k: v for k, v in given.items() if k not in SHAPE_FIELDS}
    return ModelConfig(**{**source.__dict__, **changes}).validate()


@dataclass
class InitFrom:
    """Weights of a source run, ready to be placed into a new model over the extended vocabulary."""

    source: Path
    model_config: ModelConfig
    standardize: str
    old_vocab: Vocab
    weights: dict[str, list[np.ndarray]] = field(repr=False)
    notices: list[str] = field(default_factory=list)
    vocab: Vocab | None = None

    def for_text(self, text: str) -> "InitFrom":
        self.vocab = extend_vocab(self.old_vocab, text)
        return self

    @property
    def new_chars(self) -> str:
        return "".join(self.vocab.chars[len(self.old_vocab.chars):]) if self.vocab else ""

    def apply(self, model) -> None:
        """Set every weight of model (built over self.vocab) from the source; a shape mismatch is exit 2."""
        if self.vocab is None:
            raise ValueError("call for_text(corpus text) first")
        new, output = self.vocab.size, architecture(self.model_config).output_layer
        for layer in model.layers:
            target = layer.get_weights()
            if not target:
                continue
            source = self.weights.get(layer.name)
            if source is None or len(source) != len(target):
                raise SettingsError(f"{self.source}: its model has no layer matching {layer.name!r}; "
                                    "cannot fine-tune from it")
            if layer.name == EMBEDDING_LAYER:
                source = [grow_embedding(source[0], new)]
            elif layer.name == output:
                source = grow_output(source[0], source[1], new)
            for have, want in zip(source, target):
                if have.shape != want.shape:
                    raise SettingsError(f"{self.source}: layer {layer.name!r} holds {have.shape}, the model needs "
                                        f"{want.shape}; its checkpoint does not match its settings")
            layer.set_weights(source)


def grow_embedding(rows: np.ndarray, new_size: int) -> np.ndarray:
    """New rows copy [UNK]'s (id 0): a new character is read as the old model read it."""
    extra = new_size - rows.shape[0]
    return np.concatenate([rows, np.repeat(rows[:1], extra, axis=0)]) if extra > 0 else rows


def grow_output(kernel: np.ndarray, bias: np.ndarray, new_size: int) -> list[np.ndarray]:
    """New output columns copy [UNK]'s; [UNK] and the new ones split its probability (logit - log(k + 1))."""
    extra = new_size - kernel.shape[1]
    if extra <= 0:
        return [kernel, bias]
    share = math.log(extra + 1)
    kernel = np.concatenate([kernel, np.repeat(kernel[:, :1], extra, axis=1)], axis=1)
    bias = np.concatenate([bias, np.repeat(bias[:1], extra)]).astype(bias.dtype)
    bias[0] -= share
    bias[-extra:] -= share
    return [kernel, bias]


def load_init_from(path: str | Path) -> InitFrom:
    """Read the source run's settings, vocabulary and best usable weights (damaged files: RunDirError)."""
    run = RunDir.open(path)
    try:
        model_config, standardize, vocab = run.model_config.validate(), run.corpus_config.standardize, run.vocab
    except (TypeError, ValueError) as exc:
        raise RunDirError(f"{path}: settings cannot be read: {exc}") from None
    model = run.load_model("best")
    weights = {layer.name: layer.get_weights() for layer in model.layers if layer.get_weights()}
    out = architecture(model_config).output_layer
    if EMBEDDING_LAYER not in weights or out not in weights:
        raise SettingsError(f"{path}: not a chargen model (no embedding/output layer); cannot fine-tune from it")
    if weights[EMBEDDING_LAYER][0].shape[0] != vocab.size or weights[out][0].shape[1] != vocab.size:
        raise SettingsError(f"{path}: the model's vocabulary size does not match its vocab.json ({vocab.size})")
    return InitFrom(Path(path), model_config, standardize, vocab, weights, list(run.notices))
