"""Command palette entries (ctrl+p) for every key-bound action."""
from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .keymap import KEYS, QUIT, effective_keys


class ChargenCommands(Provider):
    """One command per binding id: 'Strategy (f8)', 'Train (f2)', ..."""

    def _entries(self):
        keymap = getattr(self.app, "keymap", {})
        for spec in (*KEYS, QUIT):
            yield f"{spec.description} ({effective_keys(spec, keymap)})", spec

    def _run(self, action: str) -> None:
        main = self.app.main_screen
        if main is not None:
            self.app.call_later(main.run_action, action)

    async def discover(self) -> Hits:
        for title, spec in self._entries():
            yield DiscoveryHit(title, partial(self._run, spec.action), help=spec.id)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, spec in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, spec.action), help=spec.id)
