"""Signals to `chargen train`: SIGINT/SIGTERM (and SIGHUP on a terminal) stop after the batch with a checkpoint,
a second one aborts; SIGUSR1 pauses, SIGUSR2 resumes. A detached trainer ignores SIGHUP (its terminal closing
is no reason to stop).

A handler only queues what it was asked (SimpleQueue.put is safe in a signal handler); a thread of its own asks
the trainer, so the handler never waits on a lock the interrupted training thread may hold."""
from __future__ import annotations

import os
import queue
import signal
import sys
import threading

from .common import say

STOP_NAMES = ("SIGINT", "SIGTERM", "SIGHUP")
PAUSE_NAMES = {"SIGUSR1": "pause", "SIGUSR2": "resume"}


class TrainSignals:
    def __init__(self, progress, *, detached: bool = False):
        self.trainer, self.progress, self.detached = None, progress, detached
        self.was_hung_up = False
        self._want_paused = False  # asked before a trainer was attached
        self._lock = threading.Lock()  # never taken in a signal handler
        self.received: list[int] = []  # the stop signals, in order
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._previous: dict[int, object] = {}
        self._streams = sys.stdout, sys.stderr
        self._thread: threading.Thread | None = None

    @property
    def hung_up(self) -> bool:
        """The terminal went away (SIGHUP): stdout and stderr were sent to /dev/null."""
        return (sys.stdout, sys.stderr) != self._streams

    def __enter__(self) -> "TrainSignals":
        """Pause and resume are taken from the start (a trainer still starting pauses when it can); stops only
        once a trainer is attached (before, Ctrl-C and SIGTERM end the process as usual)."""
        handlers = {name: self._on_pause for name in PAUSE_NAMES}
        if self.detached:
            handlers["SIGHUP"] = signal.SIG_IGN
        self._install(handlers)
        self._thread = threading.Thread(target=self._serve, name="chargen-signals", daemon=True)
        self._thread.start()
        return self

    def attach(self, trainer) -> None:
        with self._lock:
            self.trainer = trainer
            if self._want_paused:
                trainer.pause()
        self._install({name: self._on_stop for name in STOP_NAMES if not (self.detached and name == "SIGHUP")})

    def _install(self, handlers) -> None:
        for name, handler in handlers.items():
            signum = getattr(signal, name, None)
            if signum is not None:
                previous = signal.signal(signum, handler)
                self._previous.setdefault(signum, previous)

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._requests.put((None, 0))
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.was_hung_up = self.hung_up
        if self.was_hung_up:
            sys.stdout.close()
            sys.stdout, sys.stderr = self._streams

    # --- in the signal handler: record and queue only ---------------------------------------------
    def _on_stop(self, signum, frame) -> None:
        if signum == getattr(signal, "SIGHUP", None):  # the terminal is gone: writing to it would fail (EIO)
            sys.stdout = sys.stderr = self.progress.stream = open(os.devnull, "w")  # noqa: SIM115
        self.received.append(signum)
        self._requests.put(("stop", signum))
        # A second one aborts at once (the newest checkpoint stays the latest good one).
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    def _on_pause(self, signum, frame) -> None:
        self._requests.put((PAUSE_NAMES[signal.Signals(signum).name], signum))

    # --- in the signals thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        told = False
        while True:
            action, signum = self._requests.get()
            if action is None:
                return
            name = signal.Signals(signum).name
            if action == "stop":
                if not told:
                    told = True
                    again = "Ctrl-C" if signum == signal.SIGINT else name
                    # on a terminal, its echo of ^C may sit at the start of the line
                    lead = "\n" if self.progress.tty and not self.progress.open else ""
                    say(f"{lead}chargen: {name}: stopping after this batch and saving ({again} again to abort)")
                self.trainer.request_stop(f"stopped by {name}")  # attached: stop handlers come with it
            else:
                self._pause(action == "pause", name)

    def _pause(self, pause: bool, name: str) -> None:
        with self._lock:
            self._want_paused = pause
            trainer = self.trainer
            if trainer is None:
                return
            if pause and not trainer.paused:
                say(f"chargen: {name}: pausing after this batch (SIGUSR2 resumes)")
            if pause:
                trainer.pause()
            else:
                trainer.unpause()
