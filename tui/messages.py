"""Messages workers post to the main screen (attributes down, messages up)."""
from __future__ import annotations

from typing import Any

from textual.message import Message


class DeviceKnown(Message):
    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device


class RunOpened(Message):
    def __init__(self, info: Any, generator: Any) -> None:
        super().__init__()
        self.info = info
        self.generator = generator


class CorpusLoaded(Message):
    def __init__(self, corpus: Any) -> None:
        super().__init__()
        self.corpus = corpus


class TrainingEvent(Message):
    """One trainer event (BatchEnded arrives as TrainingProgress instead)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class TrainingProgress(Message):
    """Batches ended; the newest BatchEnded waits in the pump (many batches, one message)."""


class TrainingStopped(Message):
    """The training worker returned or raised; `error` is a one-line reason or None."""

    def __init__(self, error: str | None) -> None:
        super().__init__()
        self.error = error


class GeneratorReady(Message):
    """The live generator now samples from the model being trained."""

    def __init__(self, vocab_size: int, name: str) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.name = name


class GenerationDone(Message):
    def __init__(self, chars: int, seconds: float, cancelled: bool, error: str | None = None,
                 notices: tuple[str, ...] = (), token: int = 0) -> None:
        super().__init__()
        self.token = token
        self.chars = chars
        self.seconds = seconds
        self.cancelled = cancelled
        self.error = error
        self.notices = notices


class CompareDone(Message):
    def __init__(self, prompt: str, results: list) -> None:
        super().__init__()
        self.prompt = prompt
        self.results = results


class CandidatesReady(Message):
    def __init__(self, context: str, candidates: tuple) -> None:
        super().__init__()
        self.context = context
        self.candidates = candidates


class Failed(Message):
    """A background job failed; shown as an error notification, the app carries on."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__()
        self.what = what
        self.reason = reason


class RunCopied(Message):
    """A read-only run (the bundled model) was copied into the runs home; training continues the copy."""

    def __init__(self, path: Any) -> None:
        super().__init__()
        self.path = path
