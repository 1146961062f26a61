"""The prompt input: one line, Enter sends it."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label


class PromptBar(Horizontal):
    DEFAULT_CSS = """
    PromptBar { height: 1; }
    PromptBar Label { width: 2; color: $accent; }
    PromptBar Input { border: none; height: 1; padding: 0; width: 1fr; }
    """

    class Submitted(Message):
        def __init__(self, prompt: str) -> None:
            super().__init__()
            self.prompt = prompt

    def compose(self) -> ComposeResult:
        yield Label("›")
        prompt = Input(placeholder="type a prompt, Enter to generate (F1: keys)", id="prompt")
        prompt.cursor_blink = False  # blinking redraws twice a second for nothing, which shows over slow SSH
        yield prompt

    @property
    def value(self) -> str:
        return self.query_one(Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))
        self.query_one(Input).value = ""

    def focus_input(self) -> None:
        self.query_one(Input).focus()
