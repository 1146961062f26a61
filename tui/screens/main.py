"""The main screen: panes, output, prompt and status. It owns the run, generation and training controllers,
routes worker messages to them and to the widgets, and turns each key into a call on one of them."""
from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header

from .. import messages as msg
from ..gen_settings import LENGTHS, SPEEDS, STOPS, GenSettings
from ..generation_controller import FPS, GenerationController
from ..keymap import KEYS
from ..preferences import load_preferences, save_preferences
from ..run_controller import RunController
from ..training import POLL_SECONDS, TrainingControl
from ..training_view import TrainingView
from ..widgets.corpus_pane import CorpusPane
from ..widgets.output_view import OutputView
from ..widgets.prompt_bar import PromptBar
from ..widgets.status_line import StatusLine
from ..widgets.training_pane import TrainingPane


class MainScreen(Screen):
    """Owns the run, generation and training controllers; each key's action is a call into one of them."""

    BINDINGS = [Binding(s.keys, s.action, s.description, show=s.show, priority=True, id=s.id) for s in KEYS]

    # What the header, the status line and the training pane show: assigning one redraws what shows it (through
    # its watcher). `var`, not `reactive`: a reactive would also repaint the whole screen, ~11 ms per key.
    state: var[str] = var("loading", init=False)
    device: var[str] = var("no trainer yet", init=False)  # the device of the followed trainer (TrainingStarted)
    model_name: var[str] = var("no model", init=False)
    settings: var[GenSettings] = var(GenSettings, init=False)
    speed_index: var[int] = var(0, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.colour = True
        self.load_preferences()
        self.generation = GenerationController(self, self.settings, SPEEDS[self.speed_index])
        self.training_view = TrainingView(self)
        self.train = TrainingControl(self, self.app.services, self.generation.live, self.app.run_root,
                                     on_event=self.training_view.event, on_ended=self.training_view.ended)
        self.run = RunController(self)  # the run in use and its corpus
        self.vocab_size = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield CorpusPane(id="corpus")
                yield TrainingPane(id="training")
            yield OutputView(id="output")
        yield PromptBar(id="prompt-bar")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    @property
    def view(self) -> OutputView:
        return self.query_one(OutputView)

    @property
    def pane(self) -> TrainingPane:
        return self.query_one(TrainingPane)

    def load_preferences(self) -> None:
        prefs, self.preference_problems = load_preferences(self.app.config_folder)
        if prefs.get("speed") in SPEEDS:
            self.speed_index = SPEEDS.index(prefs["speed"])
        if isinstance(prefs.get("colour"), bool):
            self.colour = prefs["colour"]
        length = prefs.get("length", self.settings.length)
        stop = tuple(prefs.get("stop", ())) if isinstance(prefs.get("stop", ()), list) else ()
        self.settings = GenSettings(length=length if length in LENGTHS else self.settings.length,
                                    stop=stop if stop in STOPS else ())

    def save_preferences(self) -> None:
        problem = save_preferences(self.app.config_folder, {
            "speed": SPEEDS[self.speed_index], "colour": self.view.colour,
            "length": self.settings.length, "stop": list(self.settings.stop)})
        if problem:
            self.notify(problem, severity="warning")

    def on_mount(self) -> None:
        self.view.colour = self.colour
        for problem in self.preference_problems:
            self.notify(problem, severity="warning", timeout=8)
        self.query_one(PromptBar).focus_input()
        self.set_interval(1 / FPS, self.generation.frame, name="stream-frame")
        self.set_interval(POLL_SECONDS, self.train.poll, name="training-poll")
        self.run_worker(self.run.open, thread=True, exit_on_error=False, group="startup")
        self.refresh_status()
        self.refresh_header()

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
                self.notify("already training" if not self.train.starting else "training is starting")
            return
        self.run.start_training()

    def action_train_pause(self) -> None:
        paused = self.train.pause()
        if paused is None:
            starting = self.train.starting or (self.train.followed is not None and not self.train.followed.started)
            self.notify("training is still starting: pause it once it runs" if starting else "nothing is training",
                        severity="warning")
        else:
            self.set_state("paused" if paused else "training")

    def action_train_stop(self) -> None:
        if self.train.stop():
            self.set_state("stopping")
            self.notify("stopping after this batch; a checkpoint is saved")
        else:
            self.notify("nothing is training" if not self.train.starting else "training is still starting",
                        severity="warning")

    # --- runs ---------------------------------------------------------------------------------------------------
    def action_runs(self) -> None:
        self.run.show_runs()

    def action_new_run(self) -> None:
        self.run.ask_new_run()

    # --- session -------------------------------------------------------------------------------------------------
    def action_copy_output(self) -> None:
        self.generation.copy_output()

    def action_export(self) -> None:
        self.generation.export(f"chargen session · model {self.model_name} · device {self.device}")

    def action_help(self) -> None:
        from .dialogs import HelpScreen

        self.app.push_screen(HelpScreen(self.app.keymap))

    def action_request_quit(self) -> None:
        training = self.train.alive_launched()
        if not training:
            self.app.exit()
            return
        from .dialogs import QuitWhileTraining

        def answer(choice: str | None) -> None:
            if choice == "stop":
                for path in training:
                    self.train.stop(path)
            if choice is not None:
                self.generation.jobs.stop()
                self.app.exit(message=self.training_view.left_training(training, stopped=choice == "stop"))

        self.app.push_screen(QuitWhileTraining([path.name for path in training]), answer)

    # --- messages ----------------------------------------------------------------------------------------------
    def on_training_launched(self, message: msg.TrainingLaunched) -> None:
        followed = self.train.on_launched(message)
        if message.launched is None:
            if message.token == self.train.token:
                self.set_state("failed")
            self.notify(f"training could not start: {message.error}", severity="error", timeout=10)
        elif followed:
            self.pane.set_command(message.launched.command)
        else:
            self.notify(f"{message.launched.run_path.name} is training in process {message.launched.pid}")

    def on_run_opened(self, message: msg.RunOpened) -> None:
        self.run.opened(message.info)

    def on_corpus_loaded(self, message: msg.CorpusLoaded) -> None:
        self.run.corpus_loaded(message.corpus)

    def on_run_copied(self, message: msg.RunCopied) -> None:
        path = Path(message.path)
        self.run.copied(path)
        self.model_name = path.name  # model_name is a var: the header follows
        self.notify(f"the bundled model was copied to {path}; its files are untouched")

    def on_failed(self, message: msg.Failed) -> None:
        self.run.failed(message.what, message.reason)
        if self.state == "loading":
            self.set_state("idle")
        self.notify(f"{message.what}: {message.reason}", severity="error", timeout=8)

    def on_generator_ready(self, message: msg.GeneratorReady) -> None:
        self.vocab_size, self.model_name = message.vocab_size, message.name
        self.notify(f"now sampling from {message.name} as it trains")

    def on_generation_done(self, message: msg.GenerationDone) -> None:
        self.generation.finished(message)

    def on_compare_done(self, message: msg.CompareDone) -> None:
        self.generation.compared(message)

    def on_candidates_ready(self, message: msg.CandidatesReady) -> None:
        self.generation.show_candidates(message)

    def on_prompt_area_submitted(self, message: PromptBar.Submitted) -> None:
        prompt = message.prompt or self.generation.last_prompt
        if not prompt:
            self.notify("type a prompt first", severity="warning")
            return
        self.generation.generate(prompt)

    # --- what the screen shows ------------------------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        self.state = state

    # Before the screen is mounted (preferences loaded in __init__) there is nothing to redraw: on_mount draws.
    def watch_state(self, state: str) -> None:
        if self.is_mounted:
            self.pane.state = state
            self.refresh_header()

    def watch_device(self) -> None:
        if self.is_mounted:
            self.refresh_header()

    watch_model_name = watch_device

    def watch_settings(self) -> None:
        if self.is_mounted:
            self.refresh_status()

    watch_speed_index = watch_settings

    def refresh_header(self) -> None:
        self.app.title = f"chargen · {self.model_name}"
        self.app.sub_title = f"{self.device} · {self.state}"

    def refresh_status(self) -> None:
        busy = "generating…" if self.generation.busy else ""
        self.query_one(StatusLine).show(self.settings, self.view.colour, SPEEDS[self.speed_index], busy)
