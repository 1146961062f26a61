"""Thread-safe hand-off of sampled characters from a worker to the UI's frame timer, with back-pressure."""
from __future__ import annotations

import threading
from typing import Callable


class StreamBuffer:
    """The worker puts characters; the UI takes what a frame may show. Bounded: a writer waits when full."""

    def __init__(self, max_pending: int = 50_000) -> None:
        self.max_pending = max_pending
        self._chars: list[str] = []
        self._probs: list[float] = []
        self._marks: list[tuple[int, object]] = []  # (absolute index, settings) where the settings changed
        self._taken = 0  # characters taken so far: marks are kept in absolute positions
        self._cond = threading.Condition()
        self.token = 0  # which generation the pending characters belong to

    def begin(self) -> int:
        """Drop anything pending and start accepting characters for a new generation."""
        with self._cond:
            self.token += 1
            self._chars.clear()
            self._probs.clear()
            self._marks.clear()
            self._taken = 0
            self._cond.notify_all()
            return self.token

    @property
    def pending(self) -> int:
        return len(self._chars)

    def put(self, char: str, prob: float, token: int, cancelled: Callable[[], bool] = lambda: False,
            mark: object = None) -> bool:
        """Queue one character (with `mark`: the settings that start at it); False when its generation was
        superseded or cancelled while waiting for room."""
        with self._cond:
            while len(self._chars) >= self.max_pending and token == self.token:
                if cancelled():
                    return False
                self._cond.wait(0.05)
            if token != self.token:
                return False
            if mark is not None:
                self._marks.append((self._taken + len(self._chars), mark))
            self._chars.append(char)
            self._probs.append(prob)
        return True

    def wait_room(self, token: int, cancelled: Callable[[], bool] = lambda: False) -> bool:
        """Block until a character of generation `token` would fit; False when superseded or cancelled.

        The sampler waits here before sampling, not after: its next character then uses the settings of the
        moment the screen has room for it, not those of a frame ago."""
        if len(self._chars) < self.max_pending and token == self.token:
            return True  # room: no lock needed just to look (a stale answer only means put() waits)
        with self._cond:
            while len(self._chars) >= self.max_pending and token == self.token:
                if cancelled():
                    return False
                self._cond.wait(0.05)
            return token == self.token

    def take(self, limit: int | None = None) -> tuple[str, list[float], list[tuple[int, object]]]:
        """Everything pending, or the first `limit` characters: (text, probs, marks at offsets in text)."""
        with self._cond:
            n = len(self._chars) if limit is None else min(limit, len(self._chars))
            if n == 0:
                return "", [], []
            text = "".join(self._chars[:n])
            probs = self._probs[:n]
            del self._chars[:n]
            del self._probs[:n]
            end = self._taken + n
            marks = [(at - self._taken, m) for at, m in self._marks if at < end]
            if marks:
                del self._marks[:len(marks)]
            self._taken = end
            self._cond.notify_all()
        return text, probs, marks



class Pacer:
    """How many characters a frame may show at a given typing speed (0 = no limit), carrying fractions over."""

    def __init__(self, fps: float, cap: int = 20_000) -> None:
        self.fps = fps
        self.cap = cap  # even "as fast as possible" shows at most this many per frame so a frame stays cheap
        self._carry = 0.0

    def budget(self, chars_per_second: float) -> int:
        if chars_per_second <= 0:
            return self.cap
        self._carry += chars_per_second / self.fps
        n = int(self._carry)
        self._carry -= n
        return min(n, self.cap)
