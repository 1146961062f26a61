"""Fault report, terminal: on a terminal the progress line is redrawn in place ('\\r'), and whatever is printed
after it (an error, a notice, the "stopped:" summary) must start a line of its own, not land on its end."""
import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from chargen_core.cli import common, main

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
    assert "\r\033[Kepoch 1/1 step" in err  # the progress was drawn in place, as on a terminal
    before, _, _ = err.partition("chargen: error:")
    assert before.endswith("\n"), repr(err[-300:])


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
    assert "\r\x1b[Kepoch 1/50 step" in text  # drawn in place: this is the case the defect was about
    for message in ("chargen: SIGINT: stopping after this batch", "stopped: "):
        before = text.partition(message)[0]
        assert before.endswith("\n"), repr(text[-400:])
