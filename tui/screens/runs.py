"""The runs screen: every run in the runs home and the bundled models, with the ones training right now (in a
process of their own, started from here or anywhere) and how far they are; Enter opens one (attaching to its
training live), n starts a new one."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

NEW = "new"  # what the screen returns when the user asks for a new run instead


def _when(seconds: float) -> str:
    return time.strftime("%m-%d %H:%M", time.localtime(seconds)) if seconds > 0 else "?"


def live_text(live: Any) -> str:
    """"pid 4242 · epoch 3/10 step 120/500 · loss 1.234 · 4m 10s left" for a run a process trains now."""
    from chargen_core.train import format_duration

    parts = [f"pid {live.pid}"]
    if live.epoch is not None and live.epochs:
        where = f"epoch {live.epoch}/{live.epochs}"  # LiveRun counts epochs from 1, as people do
        if live.step is not None and live.steps_per_epoch:
            where += f" step {live.step}/{live.steps_per_epoch}"
        parts.append(where)
    if live.loss is not None:
        parts.append(f"loss {live.loss:.3f}")
    if live.seconds_left is not None:
        parts.append(f"{format_duration(live.seconds_left)} left")
    return " · ".join(parts)


def shown_state(run: Any, live: Any) -> Text:
    """The state column: a live process's own state (training, paused...) in colour; a run marked running whose
    process is gone (a reboot, a kill) reads as stopped: F2 resumes it."""
    if live is not None:
        return Text(live.state, "green bold" if live.state == "training" else "yellow")
    if run.state == "killed":
        return Text("stopped", "yellow")
    return Text(run.state)


class RunsScreen(ModalScreen[Any]):
    """Returns the chosen run's Path, NEW, or None (closed)."""

    CSS_PATH = "runs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="runs.close"),
                Binding("n", "new", "New run", id="runs.new_run")]

    def __init__(self, runs: list, home: Path, current: Path | None = None, problem: str | None = None,
                 live: dict | None = None) -> None:
        super().__init__()
        self.runs = runs
        self.live = live or {}  # run path (str) -> LiveRun, for the runs a process trains now
        self.home = home
        self.current = current
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text.assemble(("Runs", "bold"), ("  in ", "bright_black"), str(self.home)))
            yield DataTable(cursor_type="row", zebra_stripes=True, id="runs-table")
            yield Static("enter: open  ·  n: new run  ·  esc: close", id="runs-help")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Most telling first: at 80 columns the last ones scroll into view with the arrow keys.
        table.add_columns("name", "state", "epochs", "val", "now", "model", "corpus", "updated")
        for run in self.runs:
            name = f"{run.name} (bundled)" if run.bundled else run.name
            if self.current is not None and Path(run.path) == Path(self.current):
                name = f"▸ {name}"
            corpus = run.corpus if len(run.corpus) <= 20 else "…" + run.corpus[-19:]
            best = "—" if run.best_val is None else f"{run.best_val:.3f}"
            model = run.model.split(",")[0]  # "1×LSTM 256": the embedding width would not fit at 80 columns
            live = self.live.get(str(run.path))
            now = live_text(live) if live is not None else ""
            table.add_row(name, shown_state(run, live), str(run.epochs), best, now, model, corpus, _when(run.updated),
                          key=run.path)
        if self.problem:
            self.notify(self.problem, severity="error", timeout=8)
        elif not self.runs:
            self.notify("no runs yet: press n to start one", severity="warning")
        if self.live:
            training = len(self.live)
            self.notify(f"{training} run{'s' if training != 1 else ''} training now: open one to follow it live")
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        run = next((r for r in self.runs if r.path == event.row_key.value), None)
        if run is not None and run.state == "damaged":
            self.notify(f"{run.name} cannot be opened: {run.problem}", severity="error")
            return
        self.dismiss(Path(event.row_key.value))

    def action_new(self) -> None:
        self.dismiss(NEW)
