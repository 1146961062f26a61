"""A short sample from the model being trained, generated at each epoch end for the progress display."""
from __future__ import annotations

import numpy as np

from .config import SEED_WINDOW
from .model import model_outputs_logits

PROMPT_CHARS = 40
TEMPERATURE = 0.8


class Previewer:
    def __init__(self, model, vocab, model_config, corpus, seed: int | None = None):
        self.model, self.vocab, self.model_config = model, vocab, model_config
        self.prompt = corpus.sample_line(PROMPT_CHARS) or corpus.text[:PROMPT_CHARS]
        self.standardize = corpus.standardize
        self.seed = seed
        self._generator = None

    def sample(self, length: int) -> tuple[str, str]:
        """(prompt, continuation). Runs in the training thread between epochs, so weights are consistent."""
        try:
            from .generate import Generator
            from .sampling import SamplerSettings
        except ImportError:
            return self.prompt, self._fallback(length)
        if self._generator is None:
            self._generator = Generator.from_model(self.model, self.vocab, self.model_config,
                                                   standardize=self.standardize)
        else:
            self._generator.refresh(self.model.get_weights())
        result = self._generator.generate(self.prompt, SamplerSettings(temperature=TEMPERATURE), length,
                                          seed=self.seed)
        return self.prompt, result.text

    def _fallback(self, length: int) -> str:
        """Plain re-run of the whole model per character (slow but simple; used until generate.py exists)."""
        rng = np.random.default_rng(self.seed)
        ids = list(self.vocab.encode(self.prompt))
        out = []
        for _ in range(length):
            if self.model_config.arch == "seed":
                window = ([0] * SEED_WINDOW + ids)[-SEED_WINDOW:]
                probs = np.asarray(self.model(np.array([window], dtype=np.int32), training=False))[0]
                logits = np.log(np.maximum(probs, 1e-12))
            else:
                context = np.array([ids[-self.model_config.seq_len:] or [0]], dtype=np.int32)
                logits = np.asarray(self.model(context, training=False))[0, -1]
                if not model_outputs_logits(self.model_config):
                    logits = np.log(np.maximum(logits, 1e-12))
            logits = logits.astype(np.float64) / TEMPERATURE
            logits[0] = -np.inf  # never sample [UNK]
            probs = np.exp(logits - logits.max())
            next_id = int(rng.choice(len(probs), p=probs / probs.sum()))
            ids.append(next_id)
            out.append(next_id)
        return self.vocab.decode(out)
