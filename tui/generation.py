"""Generation jobs (stream, compare, next-char candidates) run in thread workers; chars go through a StreamBuffer."""
from __future__ import annotations

import time
from typing import Any

from chargen_core.errors import one_line  # the screens import it from here too
from textual.worker import get_current_worker

from .live_generator import LiveGenerator, lower_thread_priority
from .messages import CandidatesReady, CompareDone, Failed, GenerationDone
from .stream_pacer import StreamBuffer

COMPARE_LENGTH = 120  # characters per setting in compare mode: 12 settings must finish in seconds
# Sampling is CPU-bound Python that holds the GIL; resting briefly every few ms leaves the UI thread whole
# windows to handle keys and draw in, instead of fighting for the GIL at every event-loop step.
WORK_SLICE, REST = 0.004, 0.001
THROTTLED = 1_000  # a stream buffer this small means a typing speed holds the sampler back


class GenerationControl:
    """Starts and stops generation workers on a host widget; never touches widgets from a thread.

    The core Stream of the last generation is kept, so `resume` continues it with its LSTM state, and
    candidates are read from where it stopped. Every job takes the LiveGenerator's lock, so two never
    touch one stream at once (a cancelled worker finishes its character before the next job starts).
    """

    def __init__(self, host: Any, live: LiveGenerator, buffer: StreamBuffer) -> None:
        self.host = host
        self.live = live
        self.buffer = buffer
        self.active: int | None = None  # token of the generation still producing characters
        self.quiet_until = 0.0  # perf_counter time until which sampling steps aside for the UI thread
        self.one_now = False  # a setting changed: sample one character with it now, even during a quiet
        self.stream: Any = None  # the core Stream of the last generation (None before the first)

    def quiet(self, seconds: float = 0.1) -> None:
        """A key arrived: sampling rests briefly so the UI thread has the GIL to itself while it answers.

        Only when the stream runs free: at a typing speed the sampler is held a few frames ahead of the
        screen, so it cannot crowd the UI thread, and resting would only delay the key's own effect."""
        if self.buffer.max_pending > THROTTLED:
            self.quiet_until = time.perf_counter() + seconds

    def setting_changed(self) -> None:
        """The live settings changed: the next character (a ~0.1 ms step) is sampled with them at once, so the
        change lands in the text where the key was pressed; the rest of the quiet still leaves the UI the GIL."""
        self.one_now = True

    @property
    def busy(self) -> bool:
        return self.active is not None

    def start(self, prompt: str, handle: Any, length: int | None, seed: int) -> int:
        """A new generation: prime with the prompt, then stream with the handle's settings of the moment."""
        return self._launch(lambda generator: generator.open(prompt, handle, seed), length, "", prompt)

    def resume(self, length: int | None, feed: str = "") -> int | None:
        """Continue the last generation from where it stopped (after appending `feed`); None if there is none."""
        if self.stream is None:
            return None
        stream = self.stream
        return self._launch(lambda generator: stream, length, feed, None)

    def _launch(self, open_stream, length, feed: str, prompt: str | None) -> int:
        self.stop()
        token = self.buffer.begin()
        self.active = token
        self.host.run_worker(lambda: self._stream(open_stream, length, feed, prompt, token), thread=True,
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

    def _stream(self, open_stream, length, feed: str, prompt: str | None, token: int) -> None:
        worker = get_current_worker()
        lower_thread_priority()
        started, count, error, notices = time.perf_counter(), 0, None, ()
        try:
            with self.live.use() as generator:
                if prompt is not None:
                    prepared = generator.prepare_prompt(prompt)
                    if getattr(prepared, "unknown", ""):
                        notices = (f"not in the vocabulary, dropped: {prepared.unknown!r}",)
                stream = self.stream = open_stream(generator)
                if feed:
                    stream.feed(feed)
                count = self._pump(stream.take(length), worker, token)
        except Exception as exc:  # a failed generation is a notification, never a crash
            error = one_line(exc)
        self.host.post_message(GenerationDone(count, time.perf_counter() - started, worker.is_cancelled,
                                              error, notices, token))

    def _pump(self, items, worker, token: int) -> int:
        """Move characters into the buffer, marking each one whose settings differ from the one before."""
        count, last = 0, None
        rest_at = time.perf_counter() + WORK_SLICE
        cancelled = lambda: worker.is_cancelled  # noqa: E731
        try:
            while self.buffer.wait_room(token, cancelled):
                now = time.perf_counter()  # rest before sampling, so the char uses the freshest settings
                if self.one_now:
                    self.one_now = False
                elif now >= rest_at or now < self.quiet_until:
                    time.sleep(REST)
                    while time.perf_counter() < self.quiet_until and not worker.is_cancelled and not self.one_now:
                        time.sleep(REST)
                    self.one_now = False
                    rest_at = time.perf_counter() + WORK_SLICE
                item = next(items, None)
                if item is None or worker.is_cancelled:
                    break
                settings = getattr(item, "settings", None)
                mark = settings if settings is not last else None
                last = settings
                if worker.is_cancelled or not self.buffer.put(item.char, item.prob, token, cancelled, mark):
                    break
                count += 1
        finally:
            items.close()  # beam search rewinds to the text shown, so a continue starts from there
        return count

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

    def candidates(self, context: str, prompt: str | None, handle: Any, seed: int) -> None:
        """The most likely next chars: after `prompt` when given (a fresh stream, kept for picking), else
        where the last generation stopped."""
        def job() -> None:
            try:
                with self.live.use() as generator:
                    if prompt is not None:
                        self.stream = generator.open(prompt, handle, seed)
                    found = tuple(self.stream.candidates())
            except Exception as exc:
                self.host.post_message(Failed("candidates", one_line(exc)))
                return
            self.host.post_message(CandidatesReady(context, found))

        self.host.run_worker(job, thread=True, exit_on_error=False, group="candidates", name="candidates")
