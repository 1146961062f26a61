"""Requests to a training thread from others (stop, pause, weight snapshots), served between batches."""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field


class Control:
    """Thread-safe requests from the UI thread (stop, pause, weight snapshots), served between batches."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._snapshots: queue.Queue = queue.Queue()
        self._active_lock = threading.Lock()
        self.active = False  # True while fit() runs; snapshots are then taken by the training thread

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def unpause(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def snapshot(self, model, timeout: float = 60.0) -> list:
        with self._active_lock:
            if not self.active:
                return _copy_weights(model)
            request = _SnapshotRequest()
            self._snapshots.put(request)
        if not request.done.wait(timeout):
            raise TimeoutError("training did not reach a batch boundary in time for a weight snapshot")
        return request.weights

    def serve(self, model) -> None:
        """Answer pending snapshot requests (called by the training thread between batches)."""
        while True:
            try:
                request = self._snapshots.get_nowait()
            except queue.Empty:
                return
            request.weights = _copy_weights(model)
            request.done.set()

    def set_active(self, active: bool, model) -> None:
        with self._active_lock:
            self.active = active
            if not active:
                self.serve(model)

    def wait_while_paused(self, model) -> float:
        """Block while paused, still serving snapshots; returns the seconds spent paused."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        while not self._running.wait(0.05):
            self.serve(model)
        return time.perf_counter() - start


@dataclass
class _SnapshotRequest:
    done: threading.Event = field(default_factory=threading.Event)
    weights: list | None = None


def _copy_weights(model) -> list:
    return [w.copy() for w in model.get_weights()]
