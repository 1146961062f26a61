"""Fault report, terminal: on a terminal the progress is redrawn in place (a live display; a line on a dumb
terminal), and whatever is printed after it (an error, a notice, the "stopped:" summary) must start a line of its
own, not land on its end."""
import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chargen_core.cli import common, main
from terminal_screen import screen

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "chargen"  # the console script of the environment running the tests
CHARGEN = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "chargen_core"]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_is_ended_before_any_later_message(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = common.Progress(terminal)
    progress.update("epoch 1/3 step 4/10")
    assert progress.open and terminal.getvalue().endswith("step 4/10")
    common.say("chargen: notice: something")
    assert terminal.getvalue().endswith("step 4/10\nchargen: notice: something\n") and not progress.open
    common.say("chargen: notice: again")  # no open line: no blank line either
    assert terminal.getvalue().endswith("something\nchargen: notice: again\n")
    progress._last = 0.0
    progress.update("epoch 1/3 step 5/10")
    progress.line("epoch 1/3  loss 1.0")  # a permanent line replaces the progress in place
    assert terminal.getvalue().endswith("\r\033[Kepoch 1/3  loss 1.0\n") and not progress.open
    common.end_progress_line()  # nothing open: writes nothing
    assert terminal.getvalue().endswith("loss 1.0\n")


def test_a_pipe_gets_whole_lines_and_nothing_to_end():
    pipe = io.StringIO()
    progress = common.Progress(pipe)
    progress.update("epoch 1/3 step 4/10")
    assert pipe.getvalue() == "epoch 1/3 step 4/10\n" and not progress.open
    common.end_progress_line()
    assert pipe.getvalue() == "epoch 1/3 step 4/10\n"


def test_an_error_during_training_starts_its_own_line(capsys, monkeypatch, tmp_path, tiny_corpus_file):
    """The defect: "chargen: error: ..." was printed onto the end of "epoch 1/1 step 1/3 ...". """
    import errno

    from chargen_core.train import callbacks

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    real = callbacks.save_model

    def full(model, path, **kw):
        if kw["global_step"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(model, path, **kw)

    monkeypatch.setattr(callbacks, "save_model", full)
    rc = main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(tmp_path / "run"), "--units", "16",
               "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3",
               "--checkpoint-every", "2", "--preview-length", "0", "--epochs", "1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "\x1b[1A\x1b[2Kepoch 1/1  step" in err  # the progress was redrawn in place, as on a terminal
    errors = [line for line in screen(err) if "chargen: error:" in line]
    assert len(errors) == 1 and errors[0].startswith("chargen: error:"), repr(err[-300:])


def read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the other end closed
                return wanted in seen
            if not chunk:
                break
            seen.extend(chunk)
    return wanted in seen


def test_the_stopped_summary_starts_its_own_line_on_a_real_terminal(tmp_path, tiny_text):
    corpus = tmp_path / "long.txt"
    corpus.write_text(tiny_text * 40)  # a few seconds per epoch: the stop lands mid-epoch, on the progress line
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHARGEN_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([*CHARGEN, "train", "--corpus", str(corpus), "--run-dir", str(tmp_path / "run"),
                             "--units", "16", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8",
                             "--preview-length", "0", "--epochs", "50", "--checkpoint-every", "0"],
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, close_fds=True)
    os.close(child_fd)
    seen = bytearray()
    try:
        assert read_until(main_fd, b" step ", seen, 240), bytes(seen)
        proc.send_signal(signal.SIGINT)
        assert read_until(main_fd, b"stopped:", seen, 120), bytes(seen)
        read_until(main_fd, b"-> " + str(tmp_path / "run").encode(), seen, 30)
        assert proc.wait(60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main_fd)
    text = bytes(seen).decode("utf-8", "replace")
    assert "\x1b[1A\x1b[2Kepoch 1/50  step" in text  # redrawn in place: this is the case the defect was about
    shown = screen(text)
    for message in ("chargen: SIGINT: stopping after this batch", "stopped: "):
        assert any(line.startswith(message) for line in shown), "\n".join(shown[-8:])


def test_a_tiny_training_on_a_real_terminal_shows_the_live_display_and_whole_lines(tmp_path, tiny_corpus_file):
    import fcntl
    import struct
    import termios

    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # 30 rows, 100 columns
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHARGEN_HOME": str(tmp_path / "home"), "TERM": "xterm-256color"}
    run = tmp_path / "run"
    proc = subprocess.Popen([*CHARGEN, "train", "--corpus", str(tiny_corpus_file), "--run-dir", str(run),
                             "--units", "16", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "5",
                             "--epochs", "2"], stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, close_fds=True)
    os.close(child_fd)
    seen = bytearray()
    try:
        assert read_until(main_fd, b"completed: ", seen, 240), bytes(seen)
        read_until(main_fd, b"\0", seen, 60)  # the rest, until the process closes the terminal
        assert proc.wait(60) == 0, bytes(seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main_fd)
    text = bytes(seen).decode("utf-8", "replace")
    assert "\x1b[1A\x1b[2K" in text  # redrawn in place by the live display, no plain progress lines
    shown = screen(text)
    assert shown[0].startswith("training ") and shown[0].endswith(f"-> {run}")
    epoch_ends = [line for line in shown if line.startswith("epoch ") and "nats/char" in line]
    assert [line[:9] for line in epoch_ends] == ["epoch 1/2", "epoch 2/2"]  # whole, each at a line's start
    assert sum(line.startswith("  preview: ") for line in shown) == 2
    head, bar, summary = shown[-4:-1]  # the last frame stays above the summary
    assert head.startswith("epoch 2/2  step 5/5  loss ") and head.endswith(" targets/s")
    assert " 100%  " in bar and " elapsed  " in bar and " left  ETA " in bar
    assert summary.startswith("completed: 2 epochs, 10 steps") and shown[-1] == ""


class HungUpTerminal(FakeTerminal):
    """A terminal that can hang up: then every write is recorded, and fails as a real one's does (EIO) or, as when
    SIGHUP comes from `kill -HUP` with the terminal still there, goes nowhere."""

    def __init__(self, fails: bool) -> None:
        super().__init__()
        self.fails = fails
        self.dead = False
        self.attempted: list[str] = []

    def write(self, text: str) -> int:
        if self.dead:
            self.attempted.append(text)
            if self.fails:
                raise OSError(5, "Input/output error")
            return len(text)
        return super().write(text)


@pytest.mark.parametrize("fails", [True, False], ids=["gone", "signalled"])
def test_a_hang_up_under_the_live_display_stops_it_and_writes_nothing_more(monkeypatch, tmp_path, tiny_corpus_file,
                                                                          fails):
    import threading

    terminal = HungUpTerminal(fails)
    monkeypatch.setattr(sys, "stderr", terminal)
    caught = []
    previous = signal.signal(signal.SIGHUP, lambda s, f: caught.append(s))  # were chargen not to handle it

    def hang_up_once_training_shows():
        end = time.monotonic() + 240
        while "targets/s" not in terminal.getvalue() and time.monotonic() < end:
            time.sleep(0.05)
        terminal.dead = True  # the terminal goes first, then the kernel sends SIGHUP
        os.kill(os.getpid(), signal.SIGHUP)

    thread = threading.Thread(target=hang_up_once_training_shows, daemon=True)
    thread.start()
    try:
        rc = main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(tmp_path / "run"), "--units", "16",
                   "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3",
                   "--preview-length", "0", "--epochs", "500"])
        thread.join()
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert caught == [] and rc == 128 + signal.SIGHUP and sys.stderr is terminal
    # Between the hang-up and its signal a redraw may try (and fail quietly); after it, nothing: no stop message,
    # no last frame, no summary, no traceback.
    late = "".join(terminal.attempted)
    for text in ("SIGHUP", "stopped", "\x1b[?25h", "Traceback"):
        assert text not in late, late
    assert "Traceback" not in terminal.getvalue()
