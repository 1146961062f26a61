"""The status line: sampling strategy and its knobs, length, seed, colour and typing speed."""
from __future__ import annotations

from textual.reactive import reactive
from textual.widget import Widget

from ..gen_settings import GenSettings


class StatusLine(Widget):
    """Redraws itself whenever one of its reactives changes; the screen only assigns them."""

    DEFAULT_CSS = "StatusLine { height: 1; }"

    settings: reactive[GenSettings] = reactive(GenSettings)
    colour: reactive[bool] = reactive(True)
    speed: reactive[int] = reactive(0)  # chars/s of the typing effect; 0: as fast as the model writes
    busy: reactive[str] = reactive("")

    def show(self, settings: GenSettings, colour: bool, speed: int, busy: str = "") -> None:
        self.settings, self.colour, self.speed, self.busy = settings, colour, speed, busy

    def render(self) -> str:
        extra = ["colour" if self.colour else "plain", f"{self.speed} ch/s" if self.speed else "max speed"]
        if self.busy:
            extra.append(self.busy)
        return f"{self.settings.describe()}  │ {'  '.join(extra)}"
