"""The runs screen: every run in the runs home and the bundled models; Enter opens one, n starts a new one."""
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

from .dialogs import YesNoDialog

NEW = "new"  # what the screen returns when the user asks for a new run instead


def _when(seconds: float) -> str:
    return time.strftime("%m-%d %H:%M", time.localtime(seconds)) if seconds > 0 else "?"


class RunsScreen(ModalScreen[Any]):
    """Returns the chosen run's Path, NEW, or None (closed)."""

    CSS_PATH = "runs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="runs.close"),
                Binding("n", "new", "New run", id="runs.new_run")]

    def __init__(self, runs: list, home: Path, current: Path | None = None, problem: str | None = None) -> None:
        super().__init__()
        self.runs = runs
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
        table.add_columns("name", "epochs", "val", "state", "model", "corpus", "updated")
        for run in self.runs:
            name = f"{run.name} (bundled)" if run.bundled else run.name
            if self.current is not None and Path(run.path) == Path(self.current):
                name = f"▸ {name}"
            corpus = run.corpus if len(run.corpus) <= 20 else "…" + run.corpus[-19:]
            best = "—" if run.best_val is None else f"{run.best_val:.3f}"
            model = run.model.split(",")[0]  # "1×LSTM 256": the embedding width would not fit at 80 columns
            table.add_row(name, str(run.epochs), best, run.state, model, corpus, _when(run.updated), key=run.path)
        if self.problem:
            self.notify(self.problem, severity="error", timeout=8)
        elif not self.runs:
            self.notify("no runs yet: press n to start one", severity="warning")
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        run = next((r for r in self.runs if r.path == event.row_key.value), None)
        if run is not None and run.state == "damaged":
            self.notify(f"{run.name} cannot be opened: {run.problem}", severity="error")
            return
        self.dismiss(Path(event.row_key.value))

    def action_new(self) -> None:
        self.dismiss(NEW)


class ConfirmSwitch(YesNoDialog):
    """Training is running: stop it (with a checkpoint) before switching to another run?"""

    CSS_PATH = "runs.tcss"
    BINDINGS = [Binding("y,enter", "answer(True)", "Switch", id="switch.yes"),
                Binding("n,escape", "answer(False)", "Stay", id="switch.no")]
    yes_label, yes_variant, no_label = "Stop and switch (y)", "warning", "Keep training (n)"

    def __init__(self, what: str) -> None:
        super().__init__()
        self.question = f"Training is running. Stop it (a checkpoint is saved) and {what}?"
