"""Training in its own process: start `chargen train ... --detached` so it outlives whoever started it (the app,
a terminal, an SSH session), and signal a run's trainer to pause, resume or stop. No TensorFlow here: the starter
never touches the GPU, only the trainer does."""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChargenError, RunDirError
from ..runs import TRAIN_LOG, holder_pid, is_held, session_header

DETACHED_FLAG = "--detached"  # hidden: the child of launch_training (ignores SIGHUP, writes plain lines)
ACTIONS = {"pause": "SIGUSR1", "resume": "SIGUSR2", "stop": "SIGTERM"}  # SIGTERM saves a checkpoint first


@dataclass(frozen=True)
class Launched:
    pid: int
    argv: list[str]  # what runs: python -m chargen_core.cli train ... --detached (behind `nice` when asked)
    command: str  # the same as a user would type it: chargen train ...
    log_path: Path  # RUN/train.log: the trainer's stdout and stderr
    run_path: Path
    process: subprocess.Popen  # poll() it now and then: a finished child is reaped there


def train_args(argv: list[str]) -> list[str]:
    """The flags of `chargen train`, from a list that may begin with "chargen" and "train"."""
    args = list(argv)
    if args[:1] == ["chargen"]:
        args = args[1:]
    if args[:1] == ["train"]:
        args = args[1:]
    return [a for a in args if a != DETACHED_FLAG]


def _flag_given(args: list[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def launch_training(argv: list[str], run_path: str | Path, nice: int = 0, env: dict[str, str] | None = None,
                    ) -> Launched:
    """Start `chargen train ARGV` as a process of its own session: stdin from /dev/null, stdout and stderr appended
    to RUN/train.log, so it keeps training when the starter exits, its terminal closes or its SSH link drops.

    run_path: the run it trains (a new run gets --run-dir run_path unless ARGV names one). nice > 0 lowers the
    trainer's priority, so the machine stays responsive to the one who started it. env: variables set for the
    trainer besides the starter's own (e.g. TensorFlow's thread counts)."""
    args = train_args(argv)
    run_path = Path(run_path).expanduser().absolute()
    if not _flag_given(args, "--resume") and not _flag_given(args, "--run-dir"):
        args += ["--run-dir", str(run_path)]
    command = shlex.join(["chargen", "train", *args])
    child = [sys.executable, "-m", "chargen_core.cli", "train", *args, DETACHED_FLAG]
    nice_tool = shutil.which("nice") if nice > 0 else None
    if nice_tool:  # the whole process at once, its TensorFlow threads included
        child = [nice_tool, "-n", str(int(nice)), *child]
    log_path = run_path / TRAIN_LOG
    # PYTHONSAFEPATH: `python -m` would put the starter's current folder first on sys.path, so a folder holding
    # another chargen_core (a checkout) would train with that code instead of the installed one (Python 3.11+).
    env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "PYTHONSAFEPATH": "1"}  # lines reach the log
    detach = ({"start_new_session": True} if os.name == "posix" else
              {"creationflags": getattr(subprocess, "DETACHED_PROCESS", 0)
               | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)})
    try:
        run_path.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            log.write(session_header(command).encode("utf-8"))
            log.flush()
            process = subprocess.Popen(child, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       env=env, close_fds=True, **detach)
    except OSError as exc:
        raise RunDirError(f"cannot start training in {run_path}: {exc.strerror or exc}") from None
    if nice > 0 and not nice_tool and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, process.pid, int(nice))
        except OSError:
            pass  # a priority is a courtesy: training still runs
    return Launched(process.pid, child, command, log_path, run_path, process)


def signal_run(run_path: str | Path, action: str) -> int | None:
    """Pause, resume or stop (with a checkpoint) the process training run_path; returns the pid signalled, or None
    when no live process holds the run's lock (nothing is training it)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    signum = getattr(signal, ACTIONS[action], None)
    if signum is None:
        raise ChargenError(f"{action} by signal is not available on this system ({ACTIONS[action]})")
    if not is_held(run_path):
        return None
    pid = holder_pid(run_path)
    if pid is None:
        return None
    if pid == os.getpid():
        raise RunDirError(f"{run_path} is trained by this process itself: pause or stop its trainer directly")
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return None
    except PermissionError:
        raise RunDirError(f"{run_path} is trained by pid {pid}, which this user may not signal") from None
    return pid
