"""Modal dialogs: help (every key and its id), quitting while runs train, next-character candidates."""
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


class QuitWhileTraining(ModalScreen[str | None]):
    """Quitting while runs train: leave them training (the default: they do not need the app), stop them with a
    checkpoint, or stay. Returns "leave", "stop" or None."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("l,enter", "answer('leave')", "Leave training", id="quit.leave"),
                Binding("s", "answer('stop')", "Stop and quit", id="quit.stop"),
                Binding("escape,n", "answer(None)", "Stay", id="quit.stay")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        runs = ", ".join(self.names)
        with Vertical():
            one = len(self.names) == 1
            yield Static(f"{runs} {'is' if one else 'are'} training in {'its' if one else 'their'} own process. "
                         f"Leave {'it' if one else 'them'} training after you quit (the runs screen and "
                         f"`chargen runs` show {'it' if one else 'them'}), or stop now with a checkpoint?")
            with Horizontal():
                yield Button("Leave it training (l)", id="leave", variant="primary")
                yield Button("Stop, checkpoint (s)", id="stop", variant="warning")
                yield Button("Stay (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#leave", Button).focus()

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)


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
