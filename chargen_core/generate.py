"""Generator: primes a numpy port of the model with the prompt once, then streams one step per character."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .blas import single_thread_blas
from .config import SEED_WINDOW, ModelConfig
from .corpus import standardize_text
from .errors import RunDirError, SettingsError
from .lstm_step import LstmStack, SeedWindowModel
from .rows import GeneratedChar, RowEngine, top_candidates
from .sampling import COMPARE_SET, RepetitionPenalty, SamplerSettings, make_sampler, softmax
from .vocab import Vocab


@dataclass(frozen=True)
class PreparedPrompt:
    text: str  # what the model is primed with (standardized, unknown chars dropped)
    unknown: str  # distinct characters that were dropped because the vocabulary lacks them
    standardized: bool  # True when a standardization mode rewrote the prompt


@dataclass(frozen=True)
class GenerationResult:
    text: str
    chars: int
    chars_per_second: float  # generation speed after the first char (priming excluded)
    first_char_ms: float  # from the call to the first char: priming + one step
    strategy: str
    settings: dict
    notices: list[str] = field(default_factory=list)


def _build_net(weights: Sequence[np.ndarray], cfg: ModelConfig):
    # [UNK] is never generated: its logit is -inf, from a bias entry, so no step pays for masking it.
    weights = [np.asarray(w, np.float32) for w in weights]
    if cfg.arch == "seed":
        return SeedWindowModel(weights, SEED_WINDOW, mask_id=Vocab.UNK_ID)
    return LstmStack(weights, cfg.layers, mask_id=Vocab.UNK_ID)


class Generator:
    """Text generation for one model; build with from_run or from_model.

    Prompt policy: the prompt is standardized the way the model's corpus was; characters outside the
    vocabulary are dropped and reported (PreparedPrompt.unknown, the result's notices); an empty prompt
    starts from "\\n" when the vocabulary has it, else from a random vocabulary character (seeded).
    [UNK] is never generated.

    Each stream owns its state, so several may run at once; refresh() may be called from another thread
    (e.g. the trainer's): it swaps in a new weight set atomically and running streams keep the old one.
    """

    def __init__(self, weights: Sequence[np.ndarray], vocab: Vocab, model_config: ModelConfig,
                 standardize: str = "none", notices: Sequence[str] = ()):
        self.vocab, self.model_config, self.standardize = vocab, model_config, standardize
        self.notices = list(notices)  # from loading (e.g. a damaged checkpoint skipped)
        self._chars = [vocab.UNK_CHAR, *vocab.chars]
        single_thread_blas()
        try:
            self._net = _build_net(weights, model_config)
        except ValueError as exc:
            raise RunDirError(f"the model's weights do not match its config: {exc}") from None
        if self._net.vocab_size != vocab.size:
            raise RunDirError(f"the model predicts {self._net.vocab_size} ids but the vocabulary has {vocab.size}")

    @classmethod
    def from_run(cls, run_dir: str | Path, which: str = "best") -> "Generator":
        from .runs import RunDir

        run = RunDir.open(run_dir)
        model = run.load_model(which)
        return cls(model.get_weights(), run.vocab, run.model_config, run.corpus_config.standardize, run.notices)

    @classmethod
    def from_model(cls, model, vocab: Vocab, model_config: ModelConfig, standardize: str = "none") -> "Generator":
        """From a model in memory (e.g. Trainer.model); the weights are copied now."""
        return cls(model.get_weights(), vocab, model_config, standardize)

    def refresh(self, weights: list[np.ndarray]) -> None:
        """Swap in new weights (a consistent snapshot, e.g. Trainer.snapshot_weights()); new streams use them.

        Cost: one re-layout of the weights (milliseconds for the default model), so every epoch or every
        few hundred steps is cheap.
        """
        self._net = _build_net(weights, self.model_config)

    # prompts --------------------------------------------------------------------------------------
    def prepare_prompt(self, prompt: str) -> PreparedPrompt:
        text = standardize_text(prompt, self.standardize) if self.standardize != "none" else prompt
        unknown = self.vocab.unknown_chars(text)
        if unknown:
            text = "".join(c for c in text if c in self.vocab)
        return PreparedPrompt(text, unknown, text != prompt and self.standardize != "none")

    def _prompt_ids(self, prompt: str, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
        prepared = self.prepare_prompt(prompt)
        notices = []
        if prepared.unknown:
            notices.append(f"dropped prompt characters not in the vocabulary: {prepared.unknown!r}")
        if prepared.text:
            return self.vocab.encode(prepared.text), notices
        start = "\n" if "\n" in self.vocab else self.vocab.chars[rng.integers(len(self.vocab.chars))]
        notices.append(f"empty prompt: starting from {start!r}")
        return self.vocab.encode(start), notices

    def _check(self, settings: SamplerSettings, length: int) -> tuple[SamplerSettings, list[str]]:
        if not isinstance(length, (int, np.integer)) or length < 0:
            raise SettingsError(f"--length must be an integer >= 0, got {length}")
        return settings.validate(self.vocab.size)

    def check(self, prompt: str, settings: SamplerSettings, length: int,
              seed: int | None = None) -> tuple[SamplerSettings, list[str]]:
        """(settings as they will be used, notices) for a generation, without generating; raises SettingsError."""
        used, notices = self._check(settings, length)
        return used, self.notices + notices + self._prompt_ids(prompt, np.random.default_rng(seed))[1]

    def probabilities(self, text: str) -> np.ndarray:
        """Stepped next-char probabilities (len(text), V) after each prefix of text, as generation sees them:
        [UNK] gets 0 and the rest is renormalised."""
        ids = self.vocab.encode(text)
        state = self._net.new_state(1)
        rows = [state.prime(ids[:1]).copy()] if len(ids) else []
        for i in range(1, len(ids)):
            rows.append(state.step(ids[i: i + 1]).copy())
        return softmax(np.concatenate(rows)) if rows else np.zeros((0, self.vocab.size), np.float32)

    # generation -----------------------------------------------------------------------------------
    def stream(self, prompt: str, settings: SamplerSettings, length: int,
               seed: int | None = None) -> Iterator[GeneratedChar]:
        """Yield `length` generated chars; closing the generator cancels (beam search too)."""
        settings, _ = self._check(settings, length)
        rng = np.random.default_rng(seed)
        ids, _ = self._prompt_ids(prompt, rng)
        if settings.strategy == "beam":
            engine = RowEngine(self._net, ids, [settings], self._chars, rng)
            return (char for _, char in engine.run(length))
        return self._sample(ids, settings, length, rng)

    def _sample(self, ids, settings, length, rng) -> Iterator[GeneratedChar]:
        # The batch-1 hot path: 1-D rows, reused buffers, a handful of numpy calls per char.
        state = self._net.new_state(1)
        logits = state.prime(ids)[0]
        sampler, chars = make_sampler(settings), self._chars
        penalty = None
        if settings.repetition_penalty != 1.0:
            penalty = RepetitionPenalty(settings.repetition_penalty, 1, self._net.vocab_size, ids)
        weights, nxt = np.empty_like(logits), np.zeros(1, np.int64)
        for n in range(length):
            np.subtract(logits, logits[logits.argmax()], out=weights)  # argmax+index beats max()
            np.exp(weights, out=weights)  # the model's probabilities times `total`
            total = float(np.add.reduce(weights))
            if penalty:
                scores = penalty.apply(logits[None])[0]
                idx = sampler.pick_one(scores, np.exp(scores - scores.max()), rng)
            else:
                idx = sampler.pick_one(logits, weights, rng)
            yield GeneratedChar(chars[idx], float(weights[idx]) / total, top_candidates(weights, chars, total))
            if n + 1 < length:
                nxt[0] = idx
                if penalty:
                    penalty.push(nxt)
                logits = state.step(nxt)[0]

    def generate(self, prompt: str, settings: SamplerSettings, length: int, seed: int | None = None,
                 on_char: Callable[[GeneratedChar], None] | None = None) -> GenerationResult:
        """Generate to the end; on_char (if given) sees every char as it streams."""
        start = time.perf_counter()
        used, notices = self.check(prompt, settings, length, seed)
        out, times = [], []
        for char in self.stream(prompt, settings, length, seed):
            if on_char is not None:
                on_char(char)
            out.append(char.char)
            times.append(time.perf_counter())
        return _result("".join(out), start, times, used, notices)

    def compare(self, prompt: str, length: int, seed: int | None = None,
                settings_list: Sequence[tuple[str, SamplerSettings]] = COMPARE_SET,
                ) -> list[tuple[str, GenerationResult]]:
        """Every strategy of settings_list on one prompt, from one batched forward pass per step."""
        start = time.perf_counter()
        checked = [self._check(s, length) for _, s in settings_list]
        rng = np.random.default_rng(seed)
        ids, prompt_notices = self._prompt_ids(prompt, rng)
        engine = RowEngine(self._net, ids, [s for s, _ in checked], self._chars, rng)
        texts = [[] for _ in checked]
        times = [[] for _ in checked]
        for entry, char in engine.run(length):
            texts[entry].append(char.char)
            times[entry].append(time.perf_counter())
        return [
            (label, _result("".join(texts[i]), start, times[i], used, self.notices + notes + prompt_notices))
            for i, ((label, _), (used, notes)) in enumerate(zip(settings_list, checked))
        ]


def _result(text: str, start: float, times: list[float], settings: SamplerSettings,
            notices: list[str]) -> GenerationResult:
    first_ms = (times[0] - start) * 1000 if times else 0.0
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    cps = (len(times) - 1) / span if span > 0 else 0.0
    return GenerationResult(text, len(text), cps, first_ms, settings.strategy, asdict(settings), notices)
