"""The tutorial's generation loop, kept as the baseline: model.predict on the last 20 ids for every char."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from ..data import Vocab
from ..model import SEED
from .settings import SamplerSettings
from .strategies import make_sampler


def tutorial_loop(model, vocab: Vocab, prompt: str, settings: SamplerSettings, length: int,
                  seed: int | None = None) -> Iterator[str]:
    """Yield `length` chars from a seed-arch Keras model, re-feeding the whole window each time (slow)."""
    sampler, rng = make_sampler(settings), np.random.default_rng(seed)
    window = np.zeros((1, SEED.window), np.int32)  # id 0 pads a short prompt on the left
    ids = vocab.encode(prompt)[-SEED.window:]
    window[0, SEED.window - len(ids):] = ids
    for _ in range(length):
        probs = np.asarray(model.predict(window, verbose=0), np.float64)
        with np.errstate(divide="ignore"):
            logits = np.log(probs)
        logits[:, 0] = -np.inf  # [UNK] is never generated
        idx = sampler.next_id(logits[0], rng)
        window[0, :-1] = window[0, 1:]
        window[0, -1] = idx
        yield vocab.id_to_char(idx)
