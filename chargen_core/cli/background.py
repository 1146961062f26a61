"""`chargen train --background`: check the flags here (bad ones answer with exit 2 before anything starts), pick
the run's folder, start the same command detached (launch_training) and return at once. No TensorFlow here."""
from __future__ import annotations

from pathlib import Path

from ..config import ModelConfig
from ..data import corpus_name
from ..runs import RunDir, RunLock, check_writable, is_held, new_run_path, runs_home
from ..train import check_request, launch_training, train_args
from .common import print_json, resolve_run_arg
from .train_checks import check_empty_flags, check_resume_flags, run_request


def _background_run_path(args) -> tuple[Path, list[str]]:
    """(the run this trainer will write, flags to add so the detached one writes exactly there)."""
    check_empty_flags(args)
    if args.resume is not None:
        check_resume_flags(args)
        run_path = Path(resolve_run_arg(args, "resume"))
        RunDir.open(run_path)  # a folder that is not a run is said now
        if is_held(run_path):
            RunLock(run_path).acquire().release()  # says who trains it (pid, since when): exit 2
        return run_path, []
    request = check_request(run_request(args))
    if request.run_dir is not None:
        run_path = Path(request.run_dir).expanduser().absolute()
        check_writable(run_path)
        return run_path, []
    arch = request.model.get("arch")
    if arch is None:
        arch = RunDir.open(request.init_from).model_config.arch if request.init_from else ModelConfig().arch
    # A new run's folder is chosen here, so this command can say where to follow it.
    run_path = new_run_path(runs_home(request.runs_dir), corpus_name(request.corpus.get("source", "builtin")), arch)
    return run_path.absolute(), ["--run-dir", str(run_path.absolute())]


def start_in_background(args) -> int:
    run_path, extra = _background_run_path(args)
    # --json answers here (below); the trainer's own summary would only land in its log
    argv = [a for a in train_args(getattr(args, "argv", None) or []) if a not in ("--background", "--json")] + extra
    launched = launch_training(argv, run_path)
    log = launched.log_path
    if args.json:
        print_json({"pid": launched.pid, "run_dir": str(run_path), "log": str(log), "command": launched.command})
        return 0
    print(f"training in the background: pid {launched.pid}\n"
          f"  run:     {run_path}\n"
          f"  log:     {log}\n"
          f"  command: {launched.command}\n"
          f"follow it: chargen runs, the app (chargen --run {run_path.name}), or tail -f {log}\n"
          f"pause: kill -USR1 {launched.pid}   resume: kill -USR2 {launched.pid}   "
          f"stop with a checkpoint: kill -TERM {launched.pid}", flush=True)
    return 0
