"""`chargen runs`: the runs in the runs home and the bundled models, as a table or JSON."""
from __future__ import annotations

import time

from .common import add_home_flag, print_json

IMPORTS_TF_ITSELF = True  # it never does: listing reads JSON files and the end of the events logs only


def add_parser(subparsers):
    p = subparsers.add_parser("runs", help="list the runs in the runs home and the bundled models",
                              description="List runs: name, corpus, model, epochs, best validation loss "
                                          "(nats/char), state and last update; runs training right now with "
                                          "their process, step, loss and time left; how to resume a stopped "
                                          "run; a failed trainer's last log lines. Any RUN argument accepts "
                                          "these names.")
    add_home_flag(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _age(seconds: float) -> str:
    if seconds <= 0:
        return "?"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _live_line(live) -> str:
    from ..train import format_duration

    if live.state == "starting":
        return "starting (loading the corpus and TensorFlow)"
    parts = [f"epoch {live.epoch}/{live.epochs}" if live.epoch else "",
             f"step {live.step}/{live.steps_per_epoch}" if live.step else "",
             f"loss {live.loss:.4f}" if live.loss is not None else "",
             f"val {live.val_loss:.4f}" if live.val_loss is not None else ""]
    if live.seconds_left is not None:
        eta = time.strftime("%H:%M", time.localtime(live.eta)) if live.eta else "?"
        parts.append(f"{format_duration(live.seconds_left)} left (ETA {eta})")
    state = {"paused": "paused: ", "stopping": "stopping: "}.get(live.state, "")
    return state + ", ".join(p for p in parts if p)


def _notes(r, live) -> list[str]:
    """The lines under a run's row: live progress, how to resume, why it failed."""
    if live is not None:
        return [_live_line(live), f"stop: kill -TERM {live.pid}  pause: kill -USR1 {live.pid}  "
                                  f"resume: kill -USR2 {live.pid}"]
    notes = []
    if r.state == "failed":
        notes += [f"| {line}" for line in r.log_tail] or ([r.detail] if r.detail else [])
    elif r.detail:
        notes.append(r.detail)
    if r.resume_command:
        notes.append(f"resume: {r.resume_command}")
    return notes


def run(args) -> int:
    from ..runs import list_runs, runs_home
    from ..train import live_status

    home = runs_home(args.runs_dir)
    runs = list_runs(args.runs_dir)
    lives = {r.path: live_status(r.path) if r.pid is not None else None for r in runs}
    if args.json:
        print_json({"home": str(home), "runs": [{**r.to_dict(), "live": lives[r.path].to_dict()
                                                  if lives[r.path] else None} for r in runs]})
        return 0
    print(f"runs home: {home}{'' if home.is_dir() else ' (empty: nothing trained yet)'}")
    rows = [("NAME", "CORPUS", "MODEL", "EPOCHS", "BEST VAL", "STATE", "UPDATED")]
    notes = [[]]
    for r in runs:
        name = f"{r.name} (bundled)" if r.bundled else r.name
        corpus = r.corpus if len(r.corpus) <= 32 else "…" + r.corpus[-31:]
        best = "—" if r.best_val is None else f"{r.best_val:.3f}"
        live = lives[r.path]
        state = f"{live.state} (pid {live.pid})" if live is not None else r.state
        rows.append((name, corpus, r.model, str(r.epochs), best, state, _age(r.updated)))
        notes.append(_notes(r, live))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row, lines in zip(rows, notes):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        for line in lines:
            print(f"    {line}")
    return 0
