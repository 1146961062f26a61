"""Generator: primes a numpy port of the model with the prompt once, then streams one step per character."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from ..config import ModelConfig
from ..data import Vocab, standardize_text
from ..errors import RunDirError, SettingsError
from ..model import architecture
from ..runs import RunDir
from .blas import single_thread_blas
from .cursor import Cursor, GeneratedChar
from .probability import softmax
from .settings import COMPARE_SET, LiveSettings, SamplerSettings
from .strategies import make_sampler


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
    return architecture(cfg).numpy_net(weights, cfg, mask_id=Vocab.UNK_ID)


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
        """From a run's saved numpy weights (RunDir.load_weights): no TensorFlow, except to convert once a model
        saved before chargen wrote them."""
        run = RunDir.open(run_dir)
        weights, _, _ = run.load_weights(which)
        return cls(weights, run.vocab, run.model_config, run.corpus_config.standardize, run.notices)

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
    def open(self, prompt: str, settings: SamplerSettings | LiveSettings, seed: int | None = None) -> "Stream":
        """Prime with the prompt once; the Stream then gives characters, as many times as asked.

        With a LiveSettings handle, each sampled character uses the handle's settings at that moment."""
        live = settings if isinstance(settings, LiveSettings) else LiveSettings(settings)
        live.settings.validate(self.vocab.size)
        rng = np.random.default_rng(seed)
        ids, _ = self._prompt_ids(prompt, rng)
        state = self._net.new_state(1)
        logits = state.prime(ids)
        return Stream(Cursor(state, logits, ids, self._chars, rng), live, self.vocab)

    def stream(self, prompt: str, settings: SamplerSettings | LiveSettings, length: int | None,
               seed: int | None = None, stop: Sequence[str] | None = None) -> Iterator[GeneratedChar]:
        """Yield `length` generated chars (None: until closed), ending early after a stop string (None: the
        live handle's); closing the generator cancels (beam search too)."""
        if length is not None:
            self._check(settings if isinstance(settings, SamplerSettings) else settings.settings, length)
        return self.open(prompt, settings, seed).take(length, stop)

    def generate(self, prompt: str, settings: SamplerSettings, length: int, seed: int | None = None,
                 on_char: Callable[[GeneratedChar], None] | None = None,
                 stop: Sequence[str] | None = None, keep_text: bool = True) -> GenerationResult:
        """Generate to the end (or a stop string); on_char (if given) sees every char as it streams.

        keep_text=False: the result's text is left empty and nothing grows with the length (a caller that streams
        the chars out can generate any length in flat memory)."""
        start = time.perf_counter()
        used, notices = self.check(prompt, settings, length, seed)
        out: list[str] | None = [] if keep_text else None
        count, first, last = 0, 0.0, 0.0
        for char in self.stream(prompt, settings, length, seed, stop):
            if on_char is not None:
                on_char(char)
            if out is not None:
                out.append(char.char)
            last = time.perf_counter()
            first = first or last
            count += 1
        return _summary("".join(out or ()), count, start, first, last, used, notices)

    def compare(self, prompt: str, length: int, seed: int | None = None,
                settings_list: Sequence[tuple[str, SamplerSettings]] = COMPARE_SET,
                ) -> list[tuple[str, GenerationResult]]:
        """Every strategy of settings_list on one prompt, primed once; each entry equals its own
        generate(prompt, settings, length, seed)."""
        checked = [self._check(s, length) for _, s in settings_list]
        ids, prompt_notices = self._prompt_ids(prompt, np.random.default_rng(seed))
        primed = self._net.new_state(1)
        logits = primed.prime(ids).copy()
        results = []
        for (label, _), (used, notes) in zip(settings_list, checked):
            start = time.perf_counter()
            rng = np.random.default_rng(seed)
            self._prompt_ids(prompt, rng)  # the same draws as a single run, so the seed means the same
            stream = Stream(Cursor(primed.tile(1), logits, ids, self._chars, rng), LiveSettings(used), self.vocab)
            text, times = [], []
            for char in stream.take(length):
                text.append(char.char)
                times.append(time.perf_counter())
            results.append((label, _result("".join(text), start, times, used,
                                           self.notices + notes + prompt_notices)))
        return results


class Stream:
    """One generation in progress: take() gives characters and may be called again to continue from where
    the last call stopped (the LSTM state is kept, nothing is re-primed); feed() appends chosen text.

    The settings are read from the live handle before each sampled character: a change applies from the
    next one. Beam search in and out: see beam.BeamSampler (the best hypothesis is committed).
    """

    def __init__(self, cursor: Cursor, live: LiveSettings, vocab: Vocab) -> None:
        self.cursor, self.live, self.vocab = cursor, live, vocab
        self.notices: list[str] = []  # clamps applied to settings the handle gave

    def take(self, length: int | None, stop: Sequence[str] | None = None) -> Iterator[GeneratedChar]:
        """Up to `length` more chars (None: until closed); ends after the output ends with a stop string
        (stop=None reads them from the live handle, so they can change while streaming)."""
        cursor = self.cursor
        cursor.limit = None if length is None else cursor.emitted + length
        stops, tail, keep = tuple(stop or ()), "", 0
        while not cursor.finished:
            version, settings = self.live.current()
            if stop is None:
                stops = self.live.stop
            keep = max(map(len, stops), default=0)
            settings, notices = settings.clamp(self.vocab.size)
            self.notices = (self.notices + notices)[-20:]  # bounded: a stream may run until stopped
            chars = make_sampler(settings).run(cursor, self.live, version)
            try:
                for char in chars:
                    yield char
                    if keep:
                        tail = (tail + char.char)[-keep:]
                        if any(tail.endswith(s) for s in stops):
                            return
                    if stop is None and self.live.stop != stops:
                        break  # new stop strings: re-read them (and the settings) before the next char
            finally:
                chars.close()  # beam search rewinds to the text shown when it is cut short

    def feed(self, text: str) -> str:
        """Append text the user chose (characters outside the vocabulary are dropped); returns what was fed."""
        text = "".join(c for c in text if c in self.vocab)
        self.cursor.feed(self.vocab.encode(text).tolist())
        return text

    def candidates(self) -> tuple[tuple[str, float], ...]:
        return self.cursor.candidates()


def _result(text: str, start: float, times: list[float], settings: SamplerSettings,
            notices: list[str]) -> GenerationResult:
    return _summary(text, len(times), start, times[0] if times else 0.0, times[-1] if times else 0.0, settings,
                    notices)


def _summary(text: str, chars: int, start: float, first: float, last: float, settings: SamplerSettings,
             notices: list[str]) -> GenerationResult:
    """chars generated between the first (at `first`) and the last (at `last`) of them."""
    first_ms = (first - start) * 1000 if chars else 0.0
    span = last - first if chars > 1 else 0.0
    cps = (chars - 1) / span if span > 0 else 0.0
    return GenerationResult(text, chars, cps, first_ms, settings.strategy, asdict(settings), notices)
