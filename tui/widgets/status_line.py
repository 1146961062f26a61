"""The status line: sampling strategy and its knobs, length, seed, colour and typing speed."""
from __future__ import annotations

from textual.widgets import Static

from ..session import GenSettings


class StatusLine(Static):
    DEFAULT_CSS = "StatusLine { height: 1; }"

    def show(self, settings: GenSettings, colour: bool, speed: int, busy: str = "") -> None:
        extra = ["colour" if colour else "plain", f"{speed} ch/s" if speed else "max speed"]
        if busy:
            extra.append(busy)
        self.update(f"{settings.describe()}  │ {'  '.join(extra)}")
