"""The Textual app: holds the services and options, applies the user's keymap, shows the main screen."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding

from .commands import ChargenCommands
from .keymap import QUIT, config_dir as default_config_dir, load_keymap
from .wire import ByteBudget, Wire

# What the app may write to its terminal, all panes together: a stream as fast as the model writes lowers its frame
# rate to stay within it (bench/wire.py: a 200 chars/s stream needs a tenth of it).
BYTES_PER_SECOND = 30_000


class ChargenApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "chargen"
    COMMANDS = App.COMMANDS | {ChargenCommands}
    BINDINGS = [Binding(QUIT.keys, QUIT.action, QUIT.description, show=True, priority=True, id=QUIT.id)]

    def __init__(self, services: Any = None, *, run_path: Path | None = None, corpus_source: str | None = None,
                 keymap: dict[str, str] | None = None, config_dir: Path | None = None,
                 export_dir: Path | None = None, run_root: Path | None = None) -> None:
        super().__init__()
        if services is None:
            from .services import Services

            services = Services()
        self.services = services
        self.run_path = run_path
        self.corpus_source = corpus_source
        from chargen_core.runs import exports_home, runs_home

        # Runs and exports go to the runs home, never the current directory unless asked.
        self.export_dir = export_dir or exports_home()
        self.run_root = run_root or runs_home()
        self.config_folder = Path(config_dir) if config_dir is not None else default_config_dir()
        self.keymap_problems: list[str] = []
        if keymap is None:
            keymap, self.keymap_problems = load_keymap(config_dir)
        self.keymap = keymap
        self.main_screen: Any = None
        self.last_escape = 0.0
        self.byte_budget = ByteBudget(BYTES_PER_SECOND, burst=BYTES_PER_SECOND / 8)
        self.wire = Wire(self.byte_budget)

    def on_mount(self) -> None:
        from .screens.main import MainScreen

        # Worker threads (training callbacks, sampling loops) are CPU-bound Python; a shorter GIL switch
        # interval lets the UI thread in within ~1 ms instead of 5, which is what keeps keys snappy.
        sys.setswitchinterval(0.001)
        self.set_keymap(self.keymap)
        # Back from a suspend (ctrl+z) the terminal may show anything: the Wire sends every cell again.
        self.app_resume_signal.subscribe(self, lambda _app: self.wire.forget())
        self.main_screen = MainScreen()
        self.push_screen(self.main_screen)
        for problem in self.keymap_problems:
            self.notify(problem, severity="error", timeout=10)

    def _display(self, screen, renderable) -> None:
        # Every frame goes through the Wire: only the cells that changed reach the terminal (tui/wire.py).
        if not getattr(self._driver, "is_inline", False):
            renderable = self.wire.wrap(renderable)
        super()._display(screen, renderable)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key == "escape":
            self.last_escape = event.time  # the prompt drops the "^" a fast Esc Esc can turn into
        if isinstance(event, events.Key) and self.main_screen is not None:
            self.main_screen.generation.jobs.quiet()  # answer keys first; the stream resumes a tenth of a second later
        await super().on_event(event)

    def action_request_quit(self) -> None:
        from .screens.dialogs import QuitWhileTraining

        if isinstance(self.screen, QuitWhileTraining):
            return
        if self.main_screen is None:
            self.exit()
        else:
            self.main_screen.action_request_quit()
