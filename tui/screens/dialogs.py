"""Modal dialogs: help (every key and its id), quit confirmation, next-character candidates."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..keymap import KEYS, QUIT, effective_keys

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: auto; max-width: 90%; height: auto; max-height: 90%; border: round $accent;
                    padding: 0 1; background: $surface; }}
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="HelpScreen") + "HelpScreen VerticalScroll { height: auto; }"
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold")
        table.add_column("keys", style="cyan", no_wrap=True)
        table.add_column("does")
        table.add_column("id (for keys.toml)", style="bright_black", no_wrap=True)
        for spec in (*KEYS, QUIT):
            table.add_row(effective_keys(spec, self.keymap), spec.description, spec.id)
        table.add_row("ctrl+p", "Command palette (every action by name)", "")
        with Vertical():
            yield Static(Text("chargen keys — remap them by id in ~/.config/chargen/keys.toml", style="bold"))
            with VerticalScroll():
                yield Static(table)
            yield Static(Text('[keys]\n"temp.up" = "up,plus"', style="bright_black"))


class ConfirmQuit(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmQuit") + """
    ConfirmQuit > Vertical { width: 48; }
    ConfirmQuit Horizontal { height: auto; }
    ConfirmQuit Button { margin: 1 1 0 0; }
    """
    BINDINGS = [Binding("y,enter", "answer(True)", "Quit", id="quit.yes"),
                Binding("n,escape", "answer(False)", "Stay", id="quit.no")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Training is running. Stop it (a checkpoint is saved) and quit?")
            with Horizontal():
                yield Button("Quit (y)", id="yes", variant="error")
                yield Button("Stay (n)", id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class CandidatesScreen(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="CandidatesScreen")
    BINDINGS = [Binding("escape,enter,f7,q", "dismiss", "Close", id="candidates.close")]

    def __init__(self, context: str, candidates: tuple) -> None:
        super().__init__()
        self.context = context
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1))
        table.add_column("char", style="cyan", no_wrap=True)
        table.add_column("prob", justify="right")
        table.add_column("", no_wrap=True)
        for char, prob in self.candidates:
            table.add_row(repr(char), f"{prob:.3f}", "█" * max(1, round(prob * 30)))
        with Vertical():
            yield Static(Text(f"next char after …{self.context[-40:]!r}", style="bold"))
            yield Static(table)
