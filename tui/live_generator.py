"""The generator the app samples from, refreshed with training weights without disturbing a running stream."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Iterator


class LiveGenerator:
    """Holds the current generator; new weights wait until no generation is using it, then swap in."""

    def __init__(self, generator: Any = None) -> None:
        self.generator = generator
        self._use = threading.Lock()
        self._slot = threading.Lock()
        self._pending: list | None = None
        self.refreshes = 0

    @property
    def ready(self) -> bool:
        return self.generator is not None

    def replace(self, generator: Any) -> None:
        with self._use:
            self.generator = generator
            self._pending = None

    def offer(self, weights: list) -> bool:
        """Queue new weights; apply now when idle. True when applied immediately."""
        with self._slot:
            self._pending = weights
        if self._use.acquire(blocking=False):
            try:
                self._apply()
            finally:
                self._use.release()
            return True
        return False

    def _apply(self) -> None:
        with self._slot:
            weights, self._pending = self._pending, None
        if weights is not None and self.generator is not None:
            self.generator.refresh(weights)
            self.refreshes += 1

    @contextmanager
    def use(self) -> Iterator[Any]:
        """Exclusive use for one generation; pending weights are applied first."""
        with self._use:
            self._apply()
            yield self.generator


def lower_thread_priority(niceness: int = 10) -> None:
    """Make the calling worker thread (and threads it starts, e.g. TensorFlow's pools) yield the CPU to the UI
    thread on a busy machine. Linux applies nice values per thread; elsewhere this does nothing."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass
