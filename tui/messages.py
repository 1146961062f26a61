"""Messages workers post to the main screen (attributes down, messages up), as dataclasses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class RunOpened(Message):
    info: Any  # services.RunInfo
    generator: Any  # chargen_core.generate.Generator


@dataclass
class CorpusLoaded(Message):
    corpus: Any  # chargen_core.data.Corpus


@dataclass
class TrainingLaunched(Message):
    """A `chargen train` process was started (launched: train.launch.Launched), or could not be (error)."""

    launched: Any
    error: str | None = None
    token: int = 0  # which start it answers: one the user has since left (another run opened) is not followed
    follower: Any = None  # its events log, read from where it ended before the trainer started


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
