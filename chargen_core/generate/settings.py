"""Sampling settings (one type from the CLI and core to the app's status line) and the live handle a UI turns."""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import SettingsError

STRATEGIES = ("greedy", "temperature", "top-k", "top-p", "min-p", "beam")
# Bounds that keep every step's arithmetic finite and a generation quick. A temperature past 100 or a penalty
# past 100 already makes every character about equally likely (or unlikely), and below 0.001 / 0.01 they
# overflow float32 logits. A beam search over a character vocabulary gains nothing from thousands of beams
# and slows down with their number: at 256 the bundled model still streams about 150 chars/s on a CPU
# (33 at 1024, minutes before the first character at a million).
MIN_TEMPERATURE, MAX_TEMPERATURE = 1e-3, 100.0
MIN_REPETITION_PENALTY, MAX_REPETITION_PENALTY = 0.01, 100.0
MAX_LENGTH_PENALTY = 10.0
MAX_BEAMS = 256


@dataclass(frozen=True)
class SamplerSettings:
    strategy: str = "temperature"  # one of STRATEGIES
    temperature: float = 0.8  # divides the logits of every sampling strategy; 0 behaves as greedy
    k: int = 5  # top-k: sample among the k most likely characters
    p: float = 0.9  # top-p: sample among the smallest set whose probability reaches p
    min_p: float = 0.05  # min-p: drop characters below min_p × the top probability
    beams: int = 4  # beam: width B
    length_penalty: float = 0.0  # beam: alpha of the GNMT length normalisation ((5+len)/6)^alpha
    repetition_penalty: float = 1.0  # > 1 discourages characters seen in the last REPETITION_WINDOW chars

    def validate(self, vocab_size: int) -> tuple["SamplerSettings", list[str]]:
        """Check every field (raises SettingsError); returns the settings to use (k clamped) and notices."""
        if self.strategy not in STRATEGIES:
            raise SettingsError(f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        for name in ("temperature", "length_penalty", "repetition_penalty"):  # nan fails the range checks below
            value = getattr(self, name)
            if isinstance(value, (float, np.floating)) and np.isinf(value):
                raise SettingsError(f"--{name.replace('_', '-')} must be a finite number, got {value}")
        if not self.temperature >= 0:
            raise SettingsError(f"--temperature must be >= 0, got {self.temperature}")
        if self.temperature and not MIN_TEMPERATURE <= self.temperature <= MAX_TEMPERATURE:
            raise SettingsError(f"--temperature must be 0 (greedy) or from {MIN_TEMPERATURE:g} to "
                                f"{MAX_TEMPERATURE:g}, got {self.temperature}")
        if not isinstance(self.k, (int, np.integer)) or self.k <= 0:
            raise SettingsError(f"--k must be a positive integer, got {self.k}")
        for name, flag in (("p", "--p"), ("min_p", "--min-p")):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise SettingsError(f"{flag} must be in (0, 1], got {getattr(self, name)}")
        if not isinstance(self.beams, (int, np.integer)) or self.beams < 1:
            raise SettingsError(f"--beams must be an integer >= 1, got {self.beams}")
        if self.beams > MAX_BEAMS:
            raise SettingsError(f"--beams must be at most {MAX_BEAMS}, got {self.beams}")
        if not self.length_penalty >= 0:
            raise SettingsError(f"--length-penalty must be >= 0, got {self.length_penalty}")
        if self.length_penalty > MAX_LENGTH_PENALTY:
            raise SettingsError(f"--length-penalty must be at most {MAX_LENGTH_PENALTY:g}, got {self.length_penalty}")
        if not self.repetition_penalty > 0:
            raise SettingsError(f"--repetition-penalty must be > 0, got {self.repetition_penalty}")
        if not MIN_REPETITION_PENALTY <= self.repetition_penalty <= MAX_REPETITION_PENALTY:
            raise SettingsError(f"--repetition-penalty must be from {MIN_REPETITION_PENALTY:g} to "
                                f"{MAX_REPETITION_PENALTY:g} (1: off), got {self.repetition_penalty}")
        return self.clamp(vocab_size)

    def clamp(self, vocab_size: int) -> tuple["SamplerSettings", list[str]]:
        """Every field pulled into its range, never raising (what a key or a running stream needs), with a
        notice per change. An unknown strategy falls back to temperature."""
        usable = max(1, vocab_size - 1)  # [UNK] is never sampled
        fixes = {
            "strategy": (self.strategy if self.strategy in STRATEGIES else "temperature"),
            "temperature": _temperature(self.temperature),
            "k": int(min(max(1, self.k), usable)),
            "p": float(min(1.0, self.p)) if self.p > 0 else 0.01,
            "min_p": float(min(1.0, self.min_p)) if self.min_p > 0 else 0.01,
            "beams": int(min(max(1, self.beams), MAX_BEAMS)),
            "length_penalty": min(max(0.0, float(self.length_penalty)), MAX_LENGTH_PENALTY),
            "repetition_penalty": (min(max(MIN_REPETITION_PENALTY, float(self.repetition_penalty)),
                                       MAX_REPETITION_PENALTY) if self.repetition_penalty > 0 else 1.0),
        }
        notices = []
        for name, value in fixes.items():
            if value != getattr(self, name):
                limit = " is larger than the vocabulary" if name == "k" and self.k > usable else " is out of range"
                notices.append(f"{name}={getattr(self, name)}{limit}; using {name}={value}")
        if not notices:
            return self, []
        return dataclasses.replace(self, **fixes), notices

    def label(self) -> str:
        """A short human name, e.g. 'top-k 3' or 'temperature 0.5'."""
        detail = {
            "greedy": "",
            "temperature": f" {self.temperature:g}",
            "top-k": f" {self.k}",
            "top-p": f" {self.p:g}",
            "min-p": f" {self.min_p:g}",
            "beam": f" {self.beams}",
        }[self.strategy]
        return self.strategy + detail

    def describe(self) -> str:
        """The knobs that matter for this strategy, for a status line or an export header."""
        parts = [self.strategy]
        if self.strategy != "greedy" and self.strategy != "beam":
            parts.append(f"T={self.temperature:.2f}")
        if self.strategy == "top-k":
            parts.append(f"k={self.k}")
        elif self.strategy == "top-p":
            parts.append(f"p={self.p:.2f}")
        elif self.strategy == "min-p":
            parts.append(f"min-p={self.min_p:.2f}")
        elif self.strategy == "beam":
            parts.append(f"beams={self.beams}")
        parts.append(f"rep={self.repetition_penalty:.2f}" if self.repetition_penalty != 1.0 else "rep=off")
        return " ".join(parts)


def _temperature(value: float) -> float:
    """A temperature pulled into its range: 0 (greedy) or MIN..MAX_TEMPERATURE; nan becomes the default."""
    if value != value:
        return 0.8
    return 0.0 if value <= 0 else min(max(MIN_TEMPERATURE, float(value)), MAX_TEMPERATURE)


class LiveSettings:
    """The settings a running generation reads before each sampled character; a UI sets them from its thread.

    One attribute holds (version, settings, stop strings), so a reader sees a consistent triple without a lock.
    """

    def __init__(self, settings: SamplerSettings | None = None, stop: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()  # only writers take it: readers get the tuple in one step
        self._now = (0, settings or SamplerSettings(), tuple(stop))

    @property
    def version(self) -> int:
        return self._now[0]

    @property
    def settings(self) -> SamplerSettings:
        return self._now[1]

    @property
    def stop(self) -> tuple[str, ...]:
        return self._now[2]

    def current(self) -> tuple[int, SamplerSettings]:
        now = self._now
        return now[0], now[1]

    def set(self, settings: SamplerSettings | None = None, stop: tuple[str, ...] | None = None) -> int:
        """New settings (and/or stop strings) from the next sampled character on; returns the new version."""
        with self._lock:
            version, old, old_stop = self._now
            self._now = (version + 1, settings or old, old_stop if stop is None else tuple(stop))
            return version + 1


def _compare_set() -> tuple[tuple[str, SamplerSettings], ...]:
    s = SamplerSettings
    items = [s("greedy")] + [s("temperature", temperature=t) for t in (0.2, 0.5, 1.0, 1.2)]
    items += [s("top-k", temperature=1.0, k=k) for k in (2, 3, 4, 5)]
    items += [s("top-p", temperature=1.0, p=0.9), s("min-p", temperature=1.0, min_p=0.05), s("beam", beams=4)]
    return tuple((x.label(), x) for x in items)


# The tutorial's table (greedy, temperature 0.2/0.5/1.0/1.2, top-k 2..5) plus top-p 0.9, min-p and beam 4.
COMPARE_SET = _compare_set()
