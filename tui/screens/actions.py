"""The main screen's actions: what each key (and command palette entry) does."""
from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from chargen_core.errors import one_line

from ..gen_settings import SPEEDS


class Actions:
    """Mixed into MainScreen; every method here is reachable by a key binding id and the command palette."""

    # --- generation ----------------------------------------------------------------------------------------------
    def generate(self, prompt: str) -> None:
        untrained = self.run.untrained_note()
        if not self.live.ready:
            if untrained is not None:  # nothing to sample from until training saves weights
                self.notify(untrained, severity="warning", timeout=10)
                return
            if self.run.model_failed is not None:  # nothing is loading: waiting would be forever
                self.notify(f"no model to generate with ({self.run.model_failed}); open a run with ctrl+r (or start "
                            "chargen --run RUN), or press F2 to train one on the corpus", severity="warning", timeout=10)
                return
            self.run.pending_prompt = prompt
            self.notify("the model is still loading; your prompt runs when it is ready")
            return
        sampling = self.sampler(self.settings.sampling)
        if sampling is None:
            return
        if untrained is not None:  # the text streams, but the user knows what it comes from
            self.notify(untrained, severity="warning", timeout=10)
        seed = self.settings.seed if self.settings.seed is not None else random.randrange(2**31)
        self.last_prompt, self.last_seed = prompt, seed
        self.handle.set(sampling, self.settings.stop)
        described = dataclasses.replace(self.settings, seed=seed).describe()
        self.done = None
        self.drawn_settings = None
        self.gen.start(prompt, self.handle, self.settings.length, seed)
        self.view.begin_prompt(prompt, described)
        self.exchange = self.transcript.begin(prompt, described)
        self.refresh_status()

    def sampler(self, settings):
        try:
            sampler, notices = self.app.services.sampler_settings(settings, self.vocab_size)
        except Exception as exc:  # a bad setting is a notification; the previous settings stay usable
            self.notify(f"settings: {one_line(exc)}", severity="error")
            return None
        for notice in notices:
            self.notify(notice, severity="warning")
        return sampler

    def action_stop_generation(self) -> None:
        if self.gen.stop():
            self.view.note("— stopped")
            self.refresh_status()

    def action_regenerate(self) -> None:
        if not self.last_prompt:
            self.notify("nothing to regenerate yet: type a prompt", severity="warning")
            return
        self.generate(self.last_prompt)

    def action_continue(self, feed: str = "") -> None:
        """Extend the last output from where it stopped: same LSTM state, nothing re-primed."""
        if self.gen.stream is None or self.exchange is None:
            self.notify("nothing to continue yet: type a prompt", severity="warning")
            return
        self.gen.stop()
        self.done = None
        self.view.drop_trailing_notes()
        if feed:
            self.view.append_user(feed)
            self.transcript.add(self.exchange, feed, [(0, {"strategy": "user"})])
        self.handle.set(self.settings.sampling, self.settings.stop)
        self.gen.resume(self.settings.length, feed)
        self.refresh_status()

    def prompt_context(self) -> str:
        return self.query_one("#prompt").value or self.last_prompt

    def action_compare(self) -> None:
        prompt = self.prompt_context()
        if not prompt or not self.live.ready:
            self.notify("type a prompt (and wait for the model) to compare strategies", severity="warning")
            return
        self.notify("comparing every strategy…")
        self.gen.compare(prompt, self.settings.length or 400, random.randrange(2**31))

    def action_candidates(self) -> None:
        """The model's most likely next chars where the last output stopped (or after the typed prompt)."""
        typed = self.query_one("#prompt").value
        if not self.live.ready or (not typed and self.gen.stream is None):
            self.notify("type a prompt (and wait for the model) to see next-char candidates", severity="warning")
            return
        if self.gen.stop():
            self.view.note("— stopped")
        if typed:
            self.candidate_prompt = typed
            context = typed
        else:
            self.candidate_prompt = None
            context = (self.exchange.prompt if self.exchange else "") + self.transcript.last_output
        self.gen.candidates(context, typed or None, self.handle, self.last_seed)

    def pick_candidate(self, char: str) -> None:
        """A candidate chosen in the dialog: append it to the output and continue from there."""
        prompt, self.candidate_prompt = getattr(self, "candidate_prompt", None), None
        if prompt is not None:  # candidates after a typed prompt: that prompt starts a new exchange
            self.query_one("#prompt").clear()
            self.last_prompt = prompt
            described = self.settings.describe()
            self.view.begin_prompt(prompt, described)
            self.exchange = self.transcript.begin(prompt, described)
        self.action_continue(feed=char)

    # --- settings ------------------------------------------------------------------------------------------------
    def apply_settings(self, settings) -> None:
        """New settings from a key: clamped to what the model allows (with a notice), and from the next
        sampled character on in a running stream."""
        sampling, notices = settings.sampling.clamp(self.vocab_size) if self.vocab_size else (settings.sampling, [])
        for notice in notices:
            self.notify(notice, severity="warning")
        self.settings = dataclasses.replace(settings, sampling=sampling)
        self.handle.set(sampling, self.settings.stop)  # self.settings is watched: the status line follows
        self.gen.setting_changed()
        # Once the screen shows the change, sampling may resume (with it) instead of resting out its 0.1 s.
        self.call_after_refresh(self.gen.quiet, 0.0)

    def action_strategy_next(self) -> None:
        self.apply_settings(self.settings.next_strategy())

    def action_temperature(self, sign: int) -> None:
        self.apply_settings(self.settings.bump_temperature(sign))

    def action_k(self, sign: int) -> None:
        self.apply_settings(self.settings.bump_k(sign))

    def action_p(self, sign: int) -> None:
        self.apply_settings(self.settings.bump_p(sign))

    def action_repetition(self, sign: int) -> None:
        self.apply_settings(self.settings.bump_repetition(sign))

    def action_length(self, sign: int) -> None:
        self.apply_settings(self.settings.bump_length(sign))
        self.save_preferences()

    def action_stop_next(self) -> None:
        self.apply_settings(self.settings.next_stop())
        self.save_preferences()

    def action_seed_toggle(self) -> None:
        self.apply_settings(self.settings.toggle_seed(self.last_seed))

    def action_toggle_colour(self) -> None:
        self.view.colour = not self.view.colour
        self.refresh_status()
        self.save_preferences()

    def action_speed_next(self) -> None:
        self.speed_index = (self.speed_index + 1) % len(SPEEDS)
        self.set_lookahead()
        self.save_preferences()

    def action_page(self, sign: int) -> None:
        if sign < 0:
            self.view.scroll_page_up(animate=False)
        else:
            self.view.scroll_page_down(animate=False)

    # --- training ------------------------------------------------------------------------------------------------
    def action_train_start(self) -> None:
        if self.train.running:
            if self.train.paused:
                self.action_train_pause()
            else:
                self.notify("already training")
            return
        self.run.start_training()

    def action_train_pause(self) -> None:
        paused = self.train.pause()
        if paused is None:
            self.notify("nothing is training", severity="warning")
        else:
            self.set_state("paused" if paused else "training")

    def action_train_stop(self) -> None:
        if self.train.stop():
            self.set_state("stopping")
            self.notify("stopping after this batch; a checkpoint is saved")
        else:
            self.notify("nothing is training", severity="warning")

    # --- runs ---------------------------------------------------------------------------------------------------
    def action_runs(self) -> None:
        self.run.show_runs()

    def action_new_run(self) -> None:
        self.run.ask_new_run()

    # --- session -------------------------------------------------------------------------------------------------
    def action_copy_output(self) -> None:
        text = self.transcript.last_output
        if not text:
            self.notify("no output to copy yet", severity="warning")
            return
        self.app.copy_to_clipboard(text)  # OSC 52: reaches the local clipboard through SSH
        self.notify(f"copied {len(text)} characters")

    def action_export(self) -> None:
        header = f"chargen session · model {self.model_name} · device {self.device}"
        try:
            path = self.transcript.export(Path(self.app.export_dir), header)
        except OSError as exc:
            self.notify(f"export failed: {one_line(exc)}", severity="error")
            return
        self.notify(f"session saved to {path}")

    def action_help(self) -> None:
        from .dialogs import HelpScreen

        self.app.push_screen(HelpScreen(self.app.keymap))

    def action_request_quit(self) -> None:
        if not self.train.running:
            self.app.exit()
            return
        from .dialogs import ConfirmQuit

        def answer(yes: bool | None) -> None:
            if yes and not self.train.running:  # training ended while the question was open
                self.app.exit()
            elif yes:
                self.quitting = True
                self.gen.stop()
                if self.train.trainer is not None:
                    self.train.stop()
                    self.set_state("stopping")
                self.notify("stopping training and saving a checkpoint, then quitting…")

        self.app.push_screen(ConfirmQuit(), answer)
