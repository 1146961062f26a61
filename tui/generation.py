"""Generation jobs (stream, compare, next-char candidates) run in thread workers; chars go through a StreamBuffer."""
from __future__ import annotations

import time
from typing import Any

from textual.worker import get_current_worker

from .live import LiveGenerator, lower_thread_priority
from .messages import CandidatesReady, CompareDone, Failed, GenerationDone
from .stream import StreamBuffer

COMPARE_LENGTH = 120  # characters per setting in compare mode: 12 settings must finish in seconds
# Sampling is CPU-bound Python that holds the GIL; resting briefly every few ms leaves the UI thread whole
# windows to handle keys and draw in, instead of fighting for the GIL at every event-loop step.
WORK_SLICE, REST = 0.004, 0.001


def one_line(exc: BaseException) -> str:
    """A ChargenError's own message (bad input, said plainly); anything else also names its type."""
    from chargen_core.errors import ChargenError

    text = str(exc).strip().splitlines()
    if isinstance(exc, ChargenError) and text:
        return text[0]
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class GenerationControl:
    """Starts and stops generation workers on a host widget; never touches widgets from a thread."""

    def __init__(self, host: Any, live: LiveGenerator, buffer: StreamBuffer) -> None:
        self.host = host
        self.live = live
        self.buffer = buffer
        self.active: int | None = None  # token of the generation still producing characters
        self.quiet_until = 0.0  # perf_counter time until which sampling steps aside for the UI thread

    def quiet(self, seconds: float = 0.1) -> None:
        """A key arrived: sampling rests briefly so the UI thread has the GIL to itself while it answers."""
        self.quiet_until = time.perf_counter() + seconds

    @property
    def busy(self) -> bool:
        return self.active is not None

    def start(self, prompt: str, sampler: Any, length: int, seed: int) -> int:
        self.stop()
        token = self.buffer.begin()
        self.active = token
        self.host.run_worker(lambda: self._stream(prompt, sampler, length, seed, token), thread=True,
                             exit_on_error=False, group="generation", name="generation")
        return token

    def stop(self) -> bool:
        """Cancel the running generation and drop what it had queued; True when one was running."""
        was = self.busy
        for worker in self.host.workers:
            if worker.group == "generation":
                worker.cancel()
        if was:
            self.buffer.begin()
            self.active = None
        return was

    def finished(self, token: int) -> bool:
        """Called with GenerationDone's token; True when it is the current generation."""
        if token == self.active:
            self.active = None
            return True
        return False

    def _stream(self, prompt: str, sampler: Any, length: int, seed: int, token: int) -> None:
        worker = get_current_worker()
        lower_thread_priority()
        started, count, error, notices = time.perf_counter(), 0, None, ()
        try:
            with self.live.use() as generator:
                prepared = generator.prepare_prompt(prompt)
                if getattr(prepared, "unknown", ""):
                    notices = (f"not in the vocabulary, dropped: {prepared.unknown!r}",)
                rest_at = time.perf_counter() + WORK_SLICE
                for item in generator.stream(prompt, sampler, length, seed):
                    now = time.perf_counter()
                    if now >= rest_at or now < self.quiet_until:
                        time.sleep(REST)
                        while time.perf_counter() < self.quiet_until and not worker.is_cancelled:
                            time.sleep(REST)
                        rest_at = time.perf_counter() + WORK_SLICE
                    if worker.is_cancelled or not self.buffer.put(item.char, item.prob, token,
                                                                  lambda: worker.is_cancelled):
                        break
                    count += 1
        except Exception as exc:  # a failed generation is a notification, never a crash
            error = one_line(exc)
        self.host.post_message(GenerationDone(count, time.perf_counter() - started, worker.is_cancelled,
                                              error, notices, token))

    def compare(self, prompt: str, length: int, seed: int) -> None:
        def job() -> None:
            try:
                with self.live.use() as generator:
                    results = generator.compare(prompt, min(length, COMPARE_LENGTH), seed)
            except Exception as exc:
                self.host.post_message(Failed("compare", one_line(exc)))
                return
            self.host.post_message(CompareDone(prompt, results))

        self.host.run_worker(job, thread=True, exit_on_error=False, group="compare", name="compare")

    def candidates(self, context: str, greedy: Any, seed: int) -> None:
        def job() -> None:
            try:
                with self.live.use() as generator:
                    first = next(iter(generator.stream(context, greedy, 1, seed)))
            except Exception as exc:
                self.host.post_message(Failed("candidates", one_line(exc)))
                return
            self.host.post_message(CandidatesReady(context, tuple(first.candidates)))

        self.host.run_worker(job, thread=True, exit_on_error=False, group="candidates", name="candidates")
