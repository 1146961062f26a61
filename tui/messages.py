"""Messages workers post to the main screen (attributes down, messages up), as dataclasses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chargen_core.train import Event
from textual.message import Message


@dataclass
class DeviceKnown(Message):
    device: str


@dataclass
class RunOpened(Message):
    info: Any  # services.RunInfo
    generator: Any  # chargen_core.generate.Generator


@dataclass
class CorpusLoaded(Message):
    corpus: Any  # chargen_core.data.Corpus


@dataclass
class TrainingEvent(Message):
    """One trainer event (BatchEnded arrives as TrainingProgress instead)."""

    event: Event


@dataclass
class TrainingProgress(Message):
    """Batches ended; the newest BatchEnded waits in the pump (many batches, one message)."""


@dataclass
class TrainingStopped(Message):
    """The training worker returned or raised; `error` is a one-line reason or None."""

    error: str | None


@dataclass
class GeneratorReady(Message):
    """The live generator now samples from the model being trained."""

    vocab_size: int
    name: str


@dataclass
class GenerationDone(Message):
    chars: int
    seconds: float
    cancelled: bool
    error: str | None = None
    notices: tuple[str, ...] = ()
    token: int = 0


@dataclass
class CompareDone(Message):
    prompt: str
    results: list = field(default_factory=list)  # (label, GenerationResult) pairs


@dataclass
class CandidatesReady(Message):
    context: str
    candidates: tuple


@dataclass
class Failed(Message):
    """A background job failed; shown as an error notification, the app carries on."""

    what: str
    reason: str


@dataclass
class RunCopied(Message):
    """A read-only run (the bundled model) was copied into the runs home; training continues the copy."""

    path: Any  # pathlib.Path of the copy
