"""What the main screen generates: the live settings handle the stream reads, the buffer and pacer between the
sampling thread and the screen, and the exchange being written; generate, continue, compare and candidates.
Owned by the main screen, which calls in from its keys and routes the generation messages here."""
from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

from chargen_core.errors import one_line

from . import messages as msg
from .gen_settings import SPEEDS, GenSettings
from .generation import GenerationControl
from .live_generator import LiveGenerator
from .stream_pacer import Pacer, StreamBuffer
from .transcript import Transcript

FPS = 30  # stream frames per second: one redraw per frame, however fast the model writes


class GenerationController:
    """Generation state; the workers live in GenerationControl (`jobs`), the settings shown on the screen."""

    def __init__(self, screen: Any, settings: GenSettings, speed: int) -> None:
        from chargen_core.generate import LiveSettings

        self.screen = screen
        self.handle = LiveSettings(settings.sampling, settings.stop)  # read by the stream per char
        self.live = LiveGenerator()
        self.buffer = StreamBuffer()
        self.set_lookahead(speed)
        self.pacer = Pacer(FPS)
        self.jobs = GenerationControl(screen, self.live, self.buffer)
        self.transcript = Transcript()
        self.exchange: Any = None  # the transcript entry being written
        self.done: msg.GenerationDone | None = None  # the end of the last generation, noted once its text shows
        self.drawn_settings = None  # settings of the last char shown: a change gets a marker
        self.candidate_prompt: str | None = None  # a typed prompt whose next-char candidates are shown
        self.last_prompt = ""
        self.last_seed = 0

    @property
    def busy(self) -> bool:
        return self.jobs.busy

    def set_lookahead(self, speed: int) -> None:
        """At a typing speed the sampler runs only a few frames ahead of what is shown, so a key changes the
        text the user is about to read, not text already sampled and waiting; at max speed it runs free."""
        self.buffer.max_pending = max(4, 2 * speed // FPS) if speed else 50_000

    # --- starting and stopping -----------------------------------------------------------------------------------
    def generate(self, prompt: str) -> None:
        screen = self.screen
        untrained = screen.run.untrained_note()
        if not self.live.ready:
            if untrained is not None:  # nothing to sample from until training saves weights
                screen.notify(untrained, severity="warning", timeout=10)
                return
            if screen.run.model_failed is not None:  # nothing is loading: waiting would be forever
                screen.notify(f"no model to generate with ({screen.run.model_failed}); open a run with ctrl+r (or "
                              "start chargen --run RUN), or press F2 to train one on the corpus", severity="warning",
                              timeout=10)
                return
            screen.run.pending_prompt = prompt
            screen.notify("the model is still loading; your prompt runs when it is ready")
            return
        settings = screen.settings
        sampling = self.sampler(settings.sampling)
        if sampling is None:
            return
        if untrained is not None:  # the text streams, but the user knows what it comes from
            screen.notify(untrained, severity="warning", timeout=10)
        seed = settings.seed if settings.seed is not None else random.randrange(2**31)
        self.last_prompt, self.last_seed = prompt, seed
        self.handle.set(sampling, settings.stop)
        described = dataclasses.replace(settings, seed=seed).describe()
        self.done = None
        self.drawn_settings = None
        self.jobs.start(prompt, self.handle, settings.length, seed)
        screen.view.begin_prompt(prompt, described)
        self.exchange = self.transcript.begin(prompt, described)
        screen.refresh_status()

    def sampler(self, settings):
        try:
            sampler, notices = self.screen.app.services.sampler_settings(settings, self.screen.vocab_size)
        except Exception as exc:  # a bad setting is a notification; the previous settings stay usable
            self.screen.notify(f"settings: {one_line(exc)}", severity="error")
            return None
        for notice in notices:
            self.screen.notify(notice, severity="warning")
        return sampler

    def stop(self) -> None:
        if self.jobs.stop():
            self.screen.view.note("— stopped")
            self.screen.refresh_status()

    def regenerate(self) -> None:
        if not self.last_prompt:
            self.screen.notify("nothing to regenerate yet: type a prompt", severity="warning")
            return
        self.generate(self.last_prompt)

    def resume(self, feed: str = "") -> None:
        """Extend the last output from where it stopped: same LSTM state, nothing re-primed."""
        screen = self.screen
        if self.jobs.stream is None or self.exchange is None:
            screen.notify("nothing to continue yet: type a prompt", severity="warning")
            return
        self.jobs.stop()
        self.done = None
        screen.view.drop_trailing_notes()
        if feed:
            screen.view.append_user(feed)
            self.transcript.add(self.exchange, feed, [(0, {"strategy": "user"})])
        self.handle.set(screen.settings.sampling, screen.settings.stop)
        self.jobs.resume(screen.settings.length, feed)
        screen.refresh_status()

    def finished(self, message: msg.GenerationDone) -> None:
        if not self.jobs.finished(message.token):
            return
        for notice in message.notices:
            self.screen.notify(notice, severity="warning")
        if message.error:
            self.screen.notify(f"generation failed: {message.error}", severity="error", timeout=8)
        self.done = message
        self.screen.refresh_status()

    # --- compare and candidates ----------------------------------------------------------------------------------
    def prompt_context(self) -> str:
        return self.screen.query_one("#prompt").value or self.last_prompt

    def compare(self) -> None:
        prompt = self.prompt_context()
        if not prompt or not self.live.ready:
            self.screen.notify("type a prompt (and wait for the model) to compare strategies", severity="warning")
            return
        self.screen.notify("comparing every strategy…")
        self.jobs.compare(prompt, self.screen.settings.length or 400, random.randrange(2**31))

    def compared(self, message: msg.CompareDone) -> None:
        view = self.screen.view
        view.begin_prompt(message.prompt, "compare: every strategy")
        exchange = self.transcript.begin(message.prompt, "compare")
        for label, result in message.results:
            view.note(f"── {label}")
            view.append(result.text)
            self.transcript.add(exchange, f"\n── {label}\n{result.text}")

    def candidates(self) -> None:
        """The model's most likely next chars where the last output stopped (or after the typed prompt)."""
        screen = self.screen
        typed = screen.query_one("#prompt").value
        if not self.live.ready or (not typed and self.jobs.stream is None):
            screen.notify("type a prompt (and wait for the model) to see next-char candidates", severity="warning")
            return
        if self.jobs.stop():
            screen.view.note("— stopped")
        if typed:
            self.candidate_prompt = typed
            context = typed
        else:
            self.candidate_prompt = None
            context = (self.exchange.prompt if self.exchange else "") + self.transcript.last_output
        self.jobs.candidates(context, typed or None, self.handle, self.last_seed)

    def show_candidates(self, message: msg.CandidatesReady) -> None:
        from .screens.dialogs import CandidatesScreen

        def picked(char: str | None) -> None:
            if char:
                self.pick_candidate(char)
            else:
                self.candidate_prompt = None

        self.screen.app.push_screen(CandidatesScreen(message.context, message.candidates), picked)

    def pick_candidate(self, char: str) -> None:
        """A candidate chosen in the dialog: append it to the output and continue from there."""
        screen = self.screen
        prompt, self.candidate_prompt = self.candidate_prompt, None
        if prompt is not None:  # candidates after a typed prompt: that prompt starts a new exchange
            screen.query_one("#prompt").clear()
            self.last_prompt = prompt
            described = screen.settings.describe()
            screen.view.begin_prompt(prompt, described)
            self.exchange = self.transcript.begin(prompt, described)
        self.resume(feed=char)

    # --- the transcript -------------------------------------------------------------------------------------------
    def copy_output(self) -> None:
        text = self.transcript.last_output
        if not text:
            self.screen.notify("no output to copy yet", severity="warning")
            return
        self.screen.app.copy_to_clipboard(text)  # OSC 52: reaches the local clipboard through SSH
        self.screen.notify(f"copied {len(text)} characters")

    def export(self, header: str) -> None:
        try:
            path = self.transcript.export(Path(self.screen.app.export_dir), header)
        except OSError as exc:
            self.screen.notify(f"export failed: {one_line(exc)}", severity="error")
            return
        self.screen.notify(f"session saved to {path}")

    # --- settings ------------------------------------------------------------------------------------------------
    def apply_settings(self, settings: GenSettings) -> None:
        """New settings from a key: clamped to what the model allows (with a notice), and from the next
        sampled character on in a running stream."""
        screen = self.screen
        vocab_size = screen.vocab_size
        sampling, notices = settings.sampling.clamp(vocab_size) if vocab_size else (settings.sampling, [])
        for notice in notices:
            screen.notify(notice, severity="warning")
        screen.settings = dataclasses.replace(settings, sampling=sampling)  # watched: the status line follows
        self.handle.set(sampling, screen.settings.stop)
        self.jobs.setting_changed()
        # Once the screen shows the change, sampling may resume (with it) instead of resting out its 0.1 s.
        screen.call_after_refresh(self.jobs.quiet, 0.0)

    # --- streaming ---------------------------------------------------------------------------------------------
    def frame(self) -> None:
        """One stream frame: move what the typing speed allows from the buffer into the view."""
        screen = self.screen
        view = screen.view
        text, probs, marks = self.buffer.take(self.pacer.budget(SPEEDS[screen.speed_index]))
        if text:
            # A marker where the settings differ from those of the char before (not at a generation's start).
            drawn = []
            for at, settings in marks:
                if self.drawn_settings is not None and settings != self.drawn_settings:
                    drawn.append(at)
                self.drawn_settings = settings
            view.append(text, probs, drawn)
            if self.exchange is not None:
                self.transcript.add(self.exchange, text, marks)
        elif self.done is not None and not self.jobs.busy and not view.waiting:
            done, self.done = self.done, None
            rate = done.chars / done.seconds if done.seconds > 0 else 0.0
            view.note(f"— {done.chars} chars, {rate:,.0f} chars/s" + (" (stopped)" if done.cancelled else ""))
            screen.refresh_status()
