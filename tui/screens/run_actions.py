"""The main screen's model handling: open another run, start a new one, continue (a copy of) the bundled model."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .. import messages as msg
from ..generation import one_line


class RunActions:
    """Mixed into MainScreen next to Actions; reachable by key and from the command palette."""

    pending_switch: Any = None  # ("open", path) or ("new", spec), waiting for training to stop
    open_serial = 0  # bumped by every open: a slower, older open (e.g. the one at start-up) is dropped

    # --- the runs screen --------------------------------------------------------------------------------------
    def action_runs(self) -> None:
        from .runs import NEW, RunsScreen

        root = Path(self.app.run_root)
        try:
            runs, problem = self.app.services.list_runs(root), None
        except Exception as exc:  # e.g. a runs home that is a file: say so on the screen
            runs, problem = [], one_line(exc)

        def chosen(choice: Any) -> None:
            if choice == NEW:
                self.action_new_run()
            elif choice is not None:
                self.switch_to(("open", Path(choice)), "open another run")

        current = self.run_info.path if self.run_info is not None else None
        self.app.push_screen(RunsScreen(runs, root, current, problem), chosen)

    def action_new_run(self) -> None:
        from .new_run import NewRunScreen

        try:
            runs = self.app.services.list_runs(Path(self.app.run_root))
        except Exception:
            runs = []
        source = self.corpus_source or (self.run_info.corpus_source if self.run_info else "builtin")

        def chosen(spec: Any) -> None:
            if spec is not None:
                self.switch_to(("new", spec), "start a new run")

        self.app.push_screen(NewRunScreen(source, runs), chosen)

    # --- switching (asks first while training) -----------------------------------------------------------------
    def switch_to(self, target: tuple[str, Any], what: str) -> None:
        if not self.train.running:
            self._switch(target)
            return
        from .runs import ConfirmSwitch

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            if not self.train.running:
                self._switch(target)
                return
            self.pending_switch = target
            self.gen.stop()
            self.train.stop()
            self.set_state("stopping")
            self.notify("stopping training (a checkpoint is saved), then switching…")

        self.app.push_screen(ConfirmSwitch(what), answer)

    def after_training_stopped(self) -> None:
        """Called by on_training_stopped: carry out a switch that waited for training to end."""
        target, self.pending_switch = self.pending_switch, None
        if target is not None:
            self._switch(target)

    def _switch(self, target: tuple[str, Any]) -> None:
        kind, value = target
        self.gen.stop()
        self.gen.stream = None  # continue and candidates must not run on the previous run's model
        if kind == "open":
            self.open_run(value)
        else:
            self.start_new_run(value)

    def open_run(self, path: Path) -> None:
        """Swap generator, corpus pane and training pane to the run at path (in a worker; no restart)."""
        self.app.run_path, self.app.corpus_source = path, None  # F2 now continues this run
        self.corpus = None
        self.corpus_failed = None
        self.set_state("loading")
        self.notify(f"opening {path.name}…")
        self.open_serial += 1
        serial = self.open_serial
        self.run_worker(lambda: self._open(path, serial), thread=True, exit_on_error=False, group="open-run")

    def start_new_run(self, spec: Any) -> None:
        self.app.corpus_source = spec.corpus.source
        self.corpus, self.corpus_source, self.corpus_failed, self.corpus_loading = spec.corpus, spec.corpus.source, \
            None, False
        self.post_message(msg.CorpusLoaded(spec.corpus))
        self.pane.history([])
        self.train.start(corpus=spec.corpus, spec=spec)
        self.untrained = True
        self.set_state("training")
        tuned = f", fine-tuning {spec.init_from.name}" if spec.init_from else ""
        self.notify(f"new run on {spec.corpus.name}{tuned}: training started in the background")

    # --- F2 on the bundled model -------------------------------------------------------------------------------
    def continue_bundled(self) -> None:
        """The bundled model is read-only: copy it into the runs home, then continue the copy."""
        self.train.start(resume=self.run_info.path, copy_first=True)
        self.set_state("training")
        self.notify("copying the bundled model into the runs home; training continues the copy")

    def on_run_copied(self, message: msg.RunCopied) -> None:
        path = Path(message.path)
        if self.run_info is not None:
            self.run_info = dataclasses.replace(self.run_info, path=path, name=path.name, is_default=False)
        self.app.run_path, self.model_name = path, path.name  # model_name is a reactive: the header follows
        self.notify(f"the bundled model was copied to {path}; its files are untouched")
