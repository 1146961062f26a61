"""At most one redraw per interval, however often the data changes: what keeps a pane's bytes bounded on a link."""
from __future__ import annotations

import time
from typing import Callable


class Throttle:
    """Calls `action` at once when the last call is at least `interval` old, otherwise once when the interval
    ends; requests in between are coalesced into that one call. `runs` counts the calls."""

    def __init__(self, host, interval: float, action: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.host, self.interval, self.action, self.clock = host, interval, action, clock
        self.runs = 0
        self._last = float("-inf")
        self._timer = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def request(self) -> None:
        if self._timer is not None:
            return
        wait = self._last + self.interval - self.clock()
        if wait <= 0:
            self._run()
        else:
            self._timer = self.host.set_timer(wait, self._due)

    def now(self) -> None:
        """Run at once (a change the user made: it shows without waiting), restarting the interval."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._run()

    def _due(self) -> None:
        self._timer = None
        self._run()

    def _run(self) -> None:
        self._last = self.clock()
        self.runs += 1
        self.action()
