"""`chargen runs`: the runs in the runs home and the bundled models, as a table or JSON."""
from __future__ import annotations

import time

from .common import add_home_flag, print_json

IMPORTS_TF_ITSELF = True  # it never does: listing reads JSON files only


def add_parser(subparsers):
    p = subparsers.add_parser("runs", help="list the runs in the runs home and the bundled models",
                              description="List runs: name, corpus, model, epochs, best validation loss "
                                          "(nats/char), state and last update. Any RUN argument accepts "
                                          "these names.")
    add_home_flag(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _age(seconds: float) -> str:
    if seconds <= 0:
        return "?"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def run(args) -> int:
    from ..runs import list_runs, runs_home

    home = runs_home(args.runs_dir)
    runs = list_runs(args.runs_dir)
    if args.json:
        print_json({"home": str(home), "runs": [r.to_dict() for r in runs]})
        return 0
    print(f"runs home: {home}{'' if home.is_dir() else ' (empty: nothing trained yet)'}")
    rows = [("NAME", "CORPUS", "MODEL", "EPOCHS", "BEST VAL", "STATE", "UPDATED")]
    for r in runs:
        name = f"{r.name} (bundled)" if r.bundled else r.name
        corpus = r.corpus if len(r.corpus) <= 32 else "…" + r.corpus[-31:]
        best = "—" if r.best_val is None else f"{r.best_val:.3f}"
        rows.append((name, corpus, r.model, str(r.epochs), best, r.state, _age(r.updated)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0
