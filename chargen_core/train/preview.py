"""A short sample from the model being trained, generated at each epoch end for the progress display."""
from __future__ import annotations

from ..generate import Generator, SamplerSettings
from .events import PreviewGenerated

PROMPT_CHARS = 40
SETTINGS = SamplerSettings(strategy="temperature", temperature=0.8)


class Previewer:
    def __init__(self, model, vocab, model_config, corpus, seed: int | None = None):
        self.model, self.vocab, self.model_config = model, vocab, model_config
        self.prompt = corpus.sample_line(PROMPT_CHARS) or corpus.text[:PROMPT_CHARS]
        self.standardize, self.seed = corpus.standardize, seed
        self._generator: Generator | None = None

    def sample(self, length: int) -> tuple[str, str]:
        """(prompt, continuation). Runs in the training thread between batches, so the weights are consistent."""
        if self._generator is None:
            self._generator = Generator.from_model(self.model, self.vocab, self.model_config,
                                                   standardize=self.standardize)
        else:
            self._generator.refresh(self.model.get_weights())
        return self.prompt, self._generator.generate(self.prompt, SETTINGS, length, seed=self.seed).text


def epoch_preview(model, vocab, model_config, corpus, train_config, emit):
    """The epoch-end hook that emits a PreviewGenerated (None when --preview-length is 0)."""
    if train_config.preview_length <= 0:
        return None
    previewer = Previewer(model, vocab, model_config, corpus, seed=train_config.seed)

    def preview(epoch: int) -> None:
        prompt, text = previewer.sample(train_config.preview_length)
        emit(PreviewGenerated(epoch, prompt, text))

    return preview
