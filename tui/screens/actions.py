"""The main screen's actions: what each key (and command palette entry) does."""
from __future__ import annotations

from pathlib import Path

from chargen_core.errors import one_line

from ..gen_settings import SPEEDS


class Actions:
    """Mixed into MainScreen; every method here is reachable by a key binding id and the command palette."""

    # --- generation ---------------------------------------------------------------------------------------------
    def action_stop_generation(self) -> None:
        self.generation.stop()

    def action_regenerate(self) -> None:
        self.generation.regenerate()

    def action_continue(self) -> None:
        self.generation.resume()

    def action_compare(self) -> None:
        self.generation.compare()

    def action_candidates(self) -> None:
        self.generation.candidates()

    # --- settings ------------------------------------------------------------------------------------------------
    def apply_settings(self, settings) -> None:
        self.generation.apply_settings(settings)

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
        self.apply_settings(self.settings.toggle_seed(self.generation.last_seed))

    def action_toggle_colour(self) -> None:
        self.view.colour = not self.view.colour
        self.refresh_status()
        self.save_preferences()

    def action_speed_next(self) -> None:
        self.speed_index = (self.speed_index + 1) % len(SPEEDS)
        self.generation.set_lookahead(SPEEDS[self.speed_index])
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
        text = self.generation.transcript.last_output
        if not text:
            self.notify("no output to copy yet", severity="warning")
            return
        self.app.copy_to_clipboard(text)  # OSC 52: reaches the local clipboard through SSH
        self.notify(f"copied {len(text)} characters")

    def action_export(self) -> None:
        header = f"chargen session · model {self.model_name} · device {self.device}"
        try:
            path = self.generation.transcript.export(Path(self.app.export_dir), header)
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
                self.generation.jobs.stop()
                if self.train.trainer is not None:
                    self.train.stop()
                    self.set_state("stopping")
                self.notify("stopping training and saving a checkpoint, then quitting…")

        self.app.push_screen(ConfirmQuit(), answer)
