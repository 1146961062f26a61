"""The prompt: multi-line (a key for a new line, Enter sends), pasted text kept whole, earlier prompts recalled."""
from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, TextArea

from ..keymap import PROMPT_KEYS, SEND_KEY

HISTORY = 200  # prompts remembered this session
# Textual turns an escape sequence it cannot parse (e.g. Esc Esc typed fast) into a "^" key; a "^" this soon
# after an Esc is that artefact, not typing.
ESCAPE_ARTEFACT_S = 0.15


class PromptArea(TextArea):
    BINDINGS = [Binding(s.keys, s.action, s.description, show=False, id=s.id) for s in PROMPT_KEYS]

    @dataclass
    class Submitted(Message):
        prompt: str

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, compact=True, tab_behavior="focus", show_line_numbers=False,
                         placeholder="type a prompt, Enter to generate, ctrl+j new line (F1: keys)", **kwargs)
        self.cursor_blink = False  # blinking redraws twice a second for nothing, which shows over slow SSH
        self.prompts: list[str] = []
        self._recall: int | None = None  # index into history while recalling
        self._draft = ""  # what was typed before recalling started

    @property
    def value(self) -> str:
        return self.text

    async def _on_key(self, event: events.Key) -> None:
        if event.key == SEND_KEY:
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self.text))
            self.remember(self.text)
            self.clear()
            return
        # Event times are taken when the terminal's bytes are parsed, so a slow UI thread does not widen the gap.
        if event.character == "^" and event.time - getattr(self.app, "last_escape", -1.0) < ESCAPE_ARTEFACT_S:
            event.stop()
            event.prevent_default()

    def remember(self, text: str) -> None:
        if text.strip() and (not self.prompts or self.prompts[-1] != text):
            self.prompts.append(text)
            del self.prompts[:-HISTORY]
        self._recall = None

    def action_newline(self) -> None:
        self.insert("\n")

    def action_history(self, step: int) -> None:
        if not self.prompts:
            return
        if self._recall is None:
            if step > 0:
                return
            self._draft, self._recall = self.text, len(self.prompts)
        self._recall += step
        if self._recall >= len(self.prompts):
            self._recall = None
            self.load_text(self._draft)
        else:
            self._recall = max(0, self._recall)
            self.load_text(self.prompts[self._recall])
        self.move_cursor(self.document.end)


class PromptBar(Horizontal):
    DEFAULT_CSS = """
    PromptBar { height: auto; max-height: 6; }
    PromptBar Label { width: 2; color: $accent; }
    PromptBar PromptArea { height: auto; max-height: 6; width: 1fr; padding: 0; }
    """

    Submitted = PromptArea.Submitted

    def compose(self) -> ComposeResult:
        yield Label("›")
        yield PromptArea(id="prompt")

    @property
    def value(self) -> str:
        return self.query_one(PromptArea).text

    def focus_input(self) -> None:
        self.query_one(PromptArea).focus()
