"""Modal dialogs: help (every key and its id), quit confirmation, next-character candidates."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from ..keymap import ALL_KEYS, effective_keys


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold")
        table.add_column("keys", style="cyan", no_wrap=True)
        table.add_column("does")
        table.add_column("id (for keys.toml)", style="bright_black", no_wrap=True)
        for spec in ALL_KEYS:
            table.add_row(effective_keys(spec, self.keymap), spec.description, spec.id)
        table.add_row("ctrl+p", "Command palette (every action by name)", "")
        with Vertical():
            yield Static(Text("chargen keys — remap them by id in ~/.config/chargen/keys.toml", style="bold"))
            with VerticalScroll():
                yield Static(table)
            yield Static(Text('[keys]\n"temp.up" = "up,plus"', style="bright_black"))


class YesNoDialog(ModalScreen[bool]):
    """A question with two buttons (y / Enter answers yes, n / Esc no); subclasses set the words."""

    question = ""
    yes_label, yes_variant, no_label = "Yes (y)", "primary", "No (n)"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(self.yes_label, id="yes", variant=self.yes_variant)
                yield Button(self.no_label, id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ConfirmQuit(YesNoDialog):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("y,enter", "answer(True)", "Quit", id="quit.yes"),
                Binding("n,escape", "answer(False)", "Stay", id="quit.no")]
    question = "Training is running. Stop it (a checkpoint is saved) and quit?"
    yes_label, yes_variant, no_label = "Quit (y)", "error", "Stay (n)"


class CandidatesScreen(ModalScreen[str | None]):
    """The model's most likely next chars; arrows + Enter append the chosen one and continue from it.

    The box has a fixed width: an auto-width container around 1fr-wide children collapses to nothing in a
    real terminal (the empty box F7 used to open)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,f7,q", "close", "Close", id="candidates.close")]

    def __init__(self, context: str, candidates: tuple) -> None:
        super().__init__()
        self.context = context
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        options = []
        for char, prob in self.candidates:
            row = Text()
            row.append(f"{_show(char):<6}", style="bold cyan")
            row.append(f"{prob:6.3f}  ")
            row.append("█" * max(1, round(prob * 30)), style="green")
            options.append(Option(row, id=char))
        with Vertical():
            yield Static(Text(f"next char after …{self.context[-24:]!r}", style="bold", no_wrap=True,
                              overflow="ellipsis"))
            yield OptionList(*options, id="candidates")
            yield Static(Text("↑↓ choose · Enter: append it and continue · Esc: close", style="bright_black"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


def _show(char: str) -> str:
    """A candidate as the user reads it: spaces and newlines named."""
    return {" ": "space", "\n": "⏎ \\n", "\t": "tab"}.get(char, repr(char)[1:-1])
