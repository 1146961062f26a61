"""The run in use: opening it (at start-up and from the runs screen), its corpus, switching to another run or a new
one, and continuing the bundled model. Owned by the main screen, which routes the run's messages here."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from . import gc_tuning, messages as msg
from .generation import one_line
from .widgets.corpus_pane import CorpusPane


class RunController:
    """State of the run in use and of its corpus; loading happens in thread workers that post messages back."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.info: Any = None  # the RunInfo of the run in use (None until one opened)
        self.untrained = False  # the run in use has no checkpoint yet (new, or killed before its first)
        self.model_failed: str | None = None  # why the opening model did not load (None: loaded or loading)
        self.pending_prompt: str | None = None  # typed while the model loads: generated once it is open
        self.open_serial = 0  # bumped by every open: a slower, older open (e.g. the one at start-up) is dropped
        self.corpus: Any = None
        self.corpus_loading = False
        self.corpus_source = ""
        self.corpus_failed: str | None = None

    @property
    def app(self) -> Any:
        return self.screen.app

    # --- start-up work (threads) ---------------------------------------------------------------------------------
    def open(self, path: Path | None = None, serial: int = 0) -> None:
        services, path, info = self.app.services, path or self.app.run_path, None
        try:
            path = path or services.default_run()
            if path is None:
                self.screen.post_message(msg.Failed("opening the bundled model", "assets/default is missing; "
                                                    "press F2 to train a model on the corpus"))
            else:
                info, generator = services.open_run(path)
                if serial != self.open_serial:  # the user opened another run meanwhile: that one wins
                    return
                self.screen.generation.live.replace(generator)
                gc_tuning.settle()  # the model's objects live as long as it is open: out of the collector's way
                self.screen.post_message(msg.RunOpened(info, generator))
        except Exception as exc:
            self.screen.post_message(msg.Failed(f"opening run {path}", one_line(exc)))
        own = self.app.corpus_source is None and info is not None
        source = self.app.corpus_source or (info.corpus_source if info else "builtin")
        self.load_corpus(source, info.standardize if own else "none", in_thread=True)

    def load_corpus(self, source: str, standardize: str = "none", in_thread: bool = False) -> None:
        def job() -> None:
            try:
                self.screen.post_message(msg.CorpusLoaded(self.app.services.load_corpus(source, standardize)))
            except Exception as exc:
                self.screen.post_message(msg.Failed(f"loading corpus {source!r}", one_line(exc)))

        self.corpus_loading, self.corpus_source, self.corpus_failed = True, source, None
        if in_thread:
            job()
        else:
            self.screen.run_worker(job, thread=True, exit_on_error=False, group="corpus")

    # --- what the threads report (routed here by the screen) ------------------------------------------------------
    def opened(self, info: Any) -> None:
        screen = self.screen
        self.info = info
        self.model_failed = None
        self.untrained = not info.trained
        screen.train.own_generator = False  # the live generator is this run's now, not the last trainer's
        screen.vocab_size, screen.model_name = info.vocab_size, info.name
        screen.pane.history(list(info.history))
        screen.set_state("idle")
        self.attach(info)
        for notice in info.notices:
            screen.notify(notice, severity="warning")
        if self.untrained:
            screen.notify(self.untrained_note(), severity="warning", timeout=10)
        if self.corpus is None and self.corpus_failed is None:
            screen.query_one(CorpusPane).show_source(info.corpus_source, f"{info.model}; loading corpus…")
        if self.pending_prompt is not None:
            prompt, self.pending_prompt = self.pending_prompt, None
            screen.generation.generate(prompt)

    def attach(self, info: Any) -> None:
        """A process trains this run now (started here, or from another terminal): follow it live."""
        train = self.screen.train
        if train.running or info.is_default:
            return
        try:
            status = train.attach(info.path, own_generator=info.trained)
        except Exception as exc:  # its status cannot be read: the run opens as it is on disk
            self.screen.notify(f"cannot tell whether {info.name} is training: {one_line(exc)}", severity="warning")
            return
        if status is not None:
            self.screen.set_state("paused" if status.state == "paused" else "training")
            self.screen.pane.set_command(getattr(status, "command", "") or "")
            self.screen.notify(f"{info.name} is training in process {status.pid}: following it live")

    def corpus_loaded(self, corpus: Any) -> None:
        self.corpus, self.corpus_loading = corpus, False
        fraction = self.info.val_fraction if self.info else 0.1
        self.screen.query_one(CorpusPane).show_corpus(corpus, fraction)
        if self.screen.state == "loading":
            self.screen.set_state("idle")

    def failed(self, what: str, reason: str) -> None:
        if what.startswith("opening"):
            self.model_failed = reason
            self.pending_prompt = None
        if what.startswith("loading corpus"):
            self.corpus_loading, self.corpus_failed = False, reason
            self.screen.query_one(CorpusPane).show_source(self.corpus_source, f"not loaded: {reason}")

    def copied(self, path: Path) -> None:
        """The bundled model was copied into the runs home: the copy is the run in use now."""
        if self.info is not None:
            self.info = dataclasses.replace(self.info, path=path, name=path.name, is_default=False)
        self.app.run_path = path

    def untrained_note(self) -> str | None:
        """Said when generating while the run in use has no checkpoint yet; None when its weights are trained."""
        if not self.untrained:
            return None
        train = self.screen.train
        if self.screen.generation.live.ready and not train.own_generator and not train.running:
            return None  # a new run that never got going: the model in use is still the one before it
        return train.untrained_note(self.screen.model_name)

    # --- the runs screen --------------------------------------------------------------------------------------
    def show_runs(self) -> None:
        from .screens.runs import NEW, RunsScreen

        root = Path(self.app.run_root)
        try:
            runs, problem = self.app.services.list_runs(root), None
        except Exception as exc:  # e.g. a runs home that is a file: say so on the screen
            runs, problem = [], one_line(exc)

        def chosen(choice: Any) -> None:
            if choice == NEW:
                self.ask_new_run()
            elif choice is not None:
                self.switch_to(("open", Path(choice)))

        current = self.info.path if self.info is not None else None
        self.app.push_screen(RunsScreen(runs, root, current, problem, self.live_statuses(runs)), chosen)

    def live_statuses(self, runs: list) -> dict:
        """{run path: LiveRun} for the runs a process trains right now."""
        live = {}
        for run in runs:
            if getattr(run, "bundled", False) or getattr(run, "state", "") == "damaged":
                continue
            try:
                status = self.app.services.live_status(Path(run.path))
            except Exception:  # an unreadable status file: listed as it is on disk
                status = None
            if status is not None:
                live[str(run.path)] = status
        return live

    def ask_new_run(self) -> None:
        from .screens.new_run import NewRunScreen

        try:
            runs = self.app.services.list_runs(Path(self.app.run_root))
        except Exception:
            runs = []
        source = self.corpus_source or (self.info.corpus_source if self.info else "builtin")

        def chosen(spec: Any) -> None:
            if spec is not None:
                self.switch_to(("new", spec))

        self.app.push_screen(NewRunScreen(source, runs), chosen)

    # --- switching (training goes on in its own process) ----------------------------------------------------
    def switch_to(self, target: tuple[str, Any]) -> None:
        """Open another run or start a new one; a run training now keeps training (the pane follows the new one)."""
        train = self.screen.train
        if train.run_path is not None:
            name = train.run_path.name
            train.detach()
            self.screen.notify(f"{name} keeps training in its own process; the runs screen shows it")
        self._switch(target)

    def _switch(self, target: tuple[str, Any]) -> None:
        kind, value = target
        self.screen.generation.jobs.stop()
        self.screen.generation.jobs.stream = None  # continue and candidates must not run on the previous run's model
        if kind == "open":
            self.open_run(value)
        else:
            self.start_new_run(value)

    def open_run(self, path: Path) -> None:
        """Swap generator, corpus pane and training pane to the run at path (in a worker; no restart)."""
        self.app.run_path, self.app.corpus_source = path, None  # F2 now continues this run
        self.corpus = None
        self.corpus_failed = None
        self.screen.set_state("loading")
        self.screen.notify(f"opening {path.name}…")
        self.open_serial += 1
        serial = self.open_serial
        self.screen.run_worker(lambda: self.open(path, serial), thread=True, exit_on_error=False, group="open-run")

    def start_new_run(self, spec: Any) -> None:
        screen = self.screen
        self.app.corpus_source = spec.corpus.source
        self.corpus, self.corpus_source, self.corpus_failed, self.corpus_loading = spec.corpus, spec.corpus.source, \
            None, False
        screen.post_message(msg.CorpusLoaded(spec.corpus))
        screen.pane.history([])
        screen.train.start_new(spec.corpus, spec=spec)
        self.untrained = True
        screen.set_state("starting")
        tuned = f", fine-tuning {spec.init_from.name}" if spec.init_from else ""
        screen.notify(f"new run on {spec.corpus.name}{tuned}: starting its trainer (it runs on if you quit)")

    # --- F2 ------------------------------------------------------------------------------------------------------
    def start_training(self) -> None:
        """F2 while nothing trains: continue the run in use, or train a new one on the corpus shown."""
        screen, info, corpus = self.screen, self.info, self.corpus
        resumable = info is not None and self.app.corpus_source is None
        if resumable and info.is_default:
            self.continue_bundled()  # never trained in place: a copy in the runs home is continued
            return
        if resumable:
            self.attach(info)  # trained from another terminal since it was opened: follow that one
            if screen.train.running:
                return
            screen.train.start_resume(info.path)
        elif corpus is not None:
            screen.train.start_new(corpus)
            self.untrained = True
        else:
            reason = "the corpus is still loading" if self.corpus_loading else "no corpus loaded"
            screen.notify(f"cannot train yet: {reason}", severity="warning")
            return
        screen.set_state("starting")
        screen.notify("starting a trainer in its own process (it runs on if you quit)")

    def continue_bundled(self) -> None:
        """The bundled model is read-only: copy it into the runs home, then continue the copy."""
        self.screen.train.start_resume(self.info.path, copy_first=True)
        self.screen.set_state("starting")
        self.screen.notify("copying the bundled model into the runs home; a trainer continues the copy")
