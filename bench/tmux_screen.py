"""A real terminal for bench/wire.py: a private tmux server, sessions whose output `pipe-pane` copies to a file,
windows of those bytes (with their peak rate and what zlib would send), and screens compared by how they look."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path


class Tmux:
    """A private tmux server (its own socket, no user config): sessions, keys, screens; killed at the end."""

    def __init__(self, folder: Path) -> None:
        self.base = ["tmux", "-L", f"chargen-wire-{os.getpid()}", "-f", "/dev/null"]
        self.folder = folder  # every session starts here: `python -m chargen_tui` would import a checkout it was started in
        self("new-session", "-d", "-s", "keep", "-c", str(folder), "sleep 86400")  # the server outlives each case

    def __call__(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def kill_server(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


class Pane:
    """One tmux session running one command, its output appended to `capture` from the start."""

    count = 0

    def __init__(self, tmux: Tmux, command: str, width: int, height: int, capture: Path) -> None:
        Pane.count += 1
        self.tmux, self.name, self.capture = tmux, f"w{Pane.count}", capture
        capture.touch()
        go = capture.with_suffix(".go")  # the command waits for it: nothing is written before the capture is on
        script = f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.02; done; {command}; exec sleep 3600"
        tmux("new-session", "-d", "-s", self.name, "-c", str(tmux.folder), "-x", str(width), "-y", str(height), script)
        tmux("pipe-pane", "-o", "-t", self.name, f"cat >> {shlex.quote(str(capture))}")
        self.pid = int(tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())
        self._go = go

    def go(self) -> None:
        """Let the command start (the capture is on by now)."""
        self._go.touch()

    @property
    def size(self) -> int:
        return self.capture.stat().st_size

    def screen(self, colours: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(["-e", "-N"] if colours else []), "-t", self.name)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def wait_for(self, condition, what: str, timeout: float = 120.0, every: float = 0.1) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise SystemExit(f"gave up waiting for {what}; the screen was:\n{screen}")
            time.sleep(every)

    def wait_quiet(self, seconds: float, timeout: float = 30.0) -> None:
        """Until nothing has been written for `seconds` (toasts fade, the last frame lands)."""
        deadline, last, since = time.monotonic() + timeout, self.size, time.monotonic()
        while time.monotonic() - since < seconds:
            if time.monotonic() > deadline:
                raise SystemExit(f"the app kept writing for {timeout:.0f} s")
            time.sleep(0.05)
            if self.size != last:
                last, since = self.size, time.monotonic()

    def close(self) -> None:
        """End the session; the app gets SIGHUP and exits (its pid is waited for, then killed if it hangs)."""
        subprocess.run([*self.tmux.base, "kill-session", "-t", self.name], capture_output=True)
        deadline = time.monotonic() + 20
        while Path(f"/proc/{self.pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{self.pid}").exists():
            os.kill(self.pid, 9)


@dataclass
class Result:
    label: str
    chars: int = 0
    bytes: int = 0
    seconds: float = 0.0
    peak: float = 0.0  # the most bytes written in any 1 s window
    compressed: int = 0
    note: str = ""

    @property
    def per_char(self) -> float:
        return self.bytes / self.chars if self.chars else float("nan")

    @property
    def per_second(self) -> float:
        return self.bytes / self.seconds if self.seconds else float("nan")


def compressed_size(chunks: list[bytes]) -> int:
    """zlib level 6 over the stream, flushed after each chunk: roughly what ssh -C puts on the wire."""
    z = zlib.compressobj(6)
    return sum(len(z.compress(c)) + len(z.flush(zlib.Z_SYNC_FLUSH)) for c in chunks if c)


class Window:
    """The bytes written from start() to the last sample(); the samples give the peak rate and zlib's chunks."""

    def __init__(self, pane: Pane) -> None:
        self.pane = pane
        self.samples: list[tuple[float, int]] = []

    def start(self) -> None:
        self.samples = [(time.monotonic(), self.pane.size)]

    def sample(self) -> None:
        self.samples.append((time.monotonic(), self.pane.size))

    def result(self, label: str, chars: int, seconds: float) -> Result:
        first, last = self.samples[0][1], self.samples[-1][1]
        data = self.pane.capture.read_bytes()
        chunks = [data[a:b] for (_, a), (_, b) in zip(self.samples, self.samples[1:])]
        peak = 0.0
        for i, (t0, b0) in enumerate(self.samples):
            later = [b for t, b in self.samples[i:] if t - t0 <= 1.0]
            peak = max(peak, later[-1] - b0)
        return Result(label, chars, last - first, seconds, peak, compressed_size(chunks))


SGR = re.compile(r"\x1b\[([\d;]*)m")
LINES = {"4", "7", "9", "21", "53"}  # attributes that show on a blank cell (with the text colour)


def looks(screen: str) -> list[list[tuple[str, tuple]]]:
    """Each row of a `capture-pane -e` screen as (character, how it looks): the SGR state in effect, except that a
    blank shows only its background (and underline, reverse, strike: the app may draw blanks in any text colour)."""
    rows: list[list[tuple[str, tuple]]] = []
    state: dict[str, str] = {}  # tmux carries it from one line to the next
    for line in screen.splitlines():
        row, pos = [], 0
        for found in [*SGR.finditer(line), None]:
            end = found.start() if found else len(line)
            for char in line[pos:end]:
                look = tuple(sorted(state.items()))
                if char == " " and not LINES & state.keys():
                    look = tuple((k, v) for k, v in look if k == "bg")
                row.append((char, look))
            if found is None:
                break
            pos = found.end()
            params = found.group(1).split(";") if found.group(1) else ["0"]
            i = 0
            while i < len(params):
                p = params[i]
                if p == "0":
                    state.clear()
                elif p in ("38", "48"):
                    n = 3 if params[i + 1] == "5" else 5
                    state["fg" if p == "38" else "bg"] = ";".join(params[i:i + n])
                    i += n - 1
                elif p in ("39", "49"):
                    state.pop("fg" if p == "39" else "bg", None)
                elif p.isdigit() and (30 <= int(p) <= 37 or 90 <= int(p) <= 97):
                    state["fg"] = p
                elif p.isdigit() and (40 <= int(p) <= 47 or 100 <= int(p) <= 107):
                    state["bg"] = p
                else:
                    state[p] = p
                i += 1
        rows.append(row)
    return rows
