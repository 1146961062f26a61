"""The new-run screen: corpus (checked with the corpus pane's preview), size, budget or epochs, standardization,
fine-tune source and TensorBoard. Bad values are shown on the form; it returns a NewRunSpec when all is well.
Until the user picks a size it follows `chargen train`'s default: auto with a time budget, else default."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from chargen_core.config import STANDARDIZE_MODES
from chargen_core.train import MIN_AUTO_BUDGET, resolve_size

from ..generation import one_line
from ..services import NewRunSpec
from ..train_command import SIZES
from ..widgets.corpus_pane import CorpusPane

SIZE_LABELS = {"auto": "auto: sized for the time budget", "small": "small: 1×LSTM 128",
               "default": "default: 1×LSTM 256", "large": "large: 2×LSTM 512"}


def default_size(budget: float | None, fine_tune: bool, services: Any = None) -> str:
    """The size `chargen train` trains when --size is not given, by its own rule (resolve_size): auto with a time
    budget long enough for the speed probe, else default; a fine-tuned run keeps its source's model."""
    if fine_tune:
        return "default"
    model_config, train_config = getattr(services, "model_config", None), getattr(services, "train_config", None)
    return resolve_size(None, time_budget=budget, arch=getattr(model_config, "arch", "lstm"),
                        distribute=getattr(train_config, "distribute", "auto"))


def parse_form(values: dict, auto_min: float | None) -> tuple[dict, list[tuple[str, str]]]:
    """Checked values and [(field id, problem)] from the form's raw strings (no textual: unit-testable)."""
    problems, out = [], {}
    for name, kind in (("epochs", int), ("budget", float)):
        raw = (values.get(name) or "").strip()
        if not raw:
            out[name] = None
            continue
        try:
            value = kind(raw)
            if not 0 < value < float("inf"):  # as TrainConfig.validate: "inf" and "nan" are not numbers of seconds
                raise ValueError
            out[name] = value
        except ValueError:
            what = "whole number of epochs" if kind is int else "number of seconds"
            problems.append((name, f"{name}: {raw!r} is not a positive {what}"))
    size, init_from = values.get("size") or "default", values.get("init_from")
    if size == "auto":
        if init_from:
            problems.append(("size", "size: a fine-tuned run keeps its source's model; choose default"))
        elif auto_min is None:
            problems.append(("size", "size: auto sizing is not available in this version"))
        elif out.get("budget") is None or out["budget"] < auto_min:
            problems.append(("budget", f"budget: auto sizing needs a time budget of at least {auto_min:g} s"))
    if not (values.get("corpus") or "").strip():
        problems.append(("corpus", "corpus: give a preset (builtin, nietzsche), a file, a folder or a URL"))
    out.update(size=size, init_from=init_from)
    return out, problems


class NewRunScreen(ModalScreen[Any]):
    CSS_PATH = "new_run.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="new_run.cancel")]

    def __init__(self, corpus_source: str = "builtin", runs: list | None = None) -> None:
        super().__init__()
        self.corpus_source = corpus_source
        self.runs = [r for r in (runs or []) if r.state != "damaged"]
        self.checked: tuple[str, str, Any] | None = None  # (source, standardize, corpus) that loaded
        self.checking: tuple[str, str] | None = None
        self.start_when_checked = False
        self.auto_min = float(MIN_AUTO_BUDGET)  # the shortest budget --size auto accepts
        self.size_chosen = False  # the user picked a size: the rule stops setting it
        self.rule_size = "default"  # the size the rule set last (its own Changed message is not the user's pick)

    def compose(self) -> ComposeResult:
        sizes = [(SIZE_LABELS[k], k) for k in ("auto", *SIZES) if k != "auto" or self.auto_min is not None]
        runs = [(f"{r.name}{' (bundled)' if r.bundled else ''}", r.path) for r in self.runs]
        with VerticalScroll():
            yield Static("[b]New run[/b]  (enter in the corpus field checks it)")
            with Horizontal():
                yield Label("corpus")
                yield Input(self.corpus_source, placeholder="builtin | nietzsche | file | folder | URL", id="source",
                            compact=True)
                yield Button("Check", id="check", compact=True)
            yield CorpusPane(id="corpus-preview")
            with Horizontal():
                yield Label("standardize")
                yield Select([(m, m) for m in STANDARDIZE_MODES], value="none", allow_blank=False, id="standardize",
                             compact=True)
            with Horizontal():
                yield Label("model size")
                yield Select(sizes, value="default", allow_blank=False, id="size", compact=True)
            with Horizontal():
                yield Label("time budget")
                yield Input(placeholder="seconds (blank: no limit)", id="budget", compact=True)
            with Horizontal():
                yield Label("epochs")
                yield Input(placeholder="blank: chargen train's default", id="epochs", compact=True)
            with Horizontal():
                yield Label("fine-tune from")
                yield Select(runs, prompt="none: a new model", id="init_from", compact=True)
            with Horizontal():
                yield Label("tensorboard")
                yield Checkbox("write TensorBoard logs under the run's logs/", id="tensorboard", compact=True)
            yield Static("", id="problems")
            with Horizontal():
                yield Button("Start training", id="start", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#corpus-preview", CorpusPane).show_source(self.corpus_source, "press Check (or enter)")
        self.query_one("#source", Input).focus()

    # --- corpus check (a worker thread, like the corpus pane's own loading) -------------------------------
    def _key(self) -> tuple[str, str]:
        return self.query_one("#source", Input).value.strip(), str(self.query_one("#standardize", Select).value)

    def check_corpus(self) -> None:
        source, standardize = key = self._key()
        if not source or self.checking == key:
            return
        self.checking = key
        self.query_one("#corpus-preview", CorpusPane).show_source(source, "checking…")
        services = self.app.services

        def job() -> None:
            try:
                corpus, error = services.load_corpus(source, standardize), None
            except Exception as exc:  # bad input: shown on the form
                corpus, error = None, one_line(exc)
            self.app.call_from_thread(self._checked, key, corpus, error)  # runs on the UI thread

        self.run_worker(job, thread=True, exit_on_error=False, group="new-run-corpus")

    def _checked(self, key: tuple[str, str], corpus: Any, error: str | None) -> None:
        if self.checking == key:
            self.checking = None
        if key != self._key():  # the field changed meanwhile: that answer is stale
            return
        pane, field = self.query_one("#corpus-preview", CorpusPane), self.query_one("#source", Input)
        if error:
            self.checked, self.start_when_checked = None, False
            pane.show_source(key[0], f"not loaded: {error}")
            field.add_class("-bad")
            self.show_problems([f"corpus: {error}"])
            return
        self.checked = (*key, corpus)
        field.remove_class("-bad")
        pane.show_corpus(corpus)
        self.show_problems([])
        if self.start_when_checked:
            self.start_when_checked = False
            self.call_later(self.action_start)  # on the screen's own message loop (dismiss needs it)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "source":
            self.check_corpus()
        else:
            self.action_start()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.input.remove_class("-bad")
        if event.input.id == "budget":
            self.follow_size_rule()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "size" and event.value != self.rule_size:
            self.size_chosen = True
        elif event.select.id == "init_from":
            self.follow_size_rule()

    def follow_size_rule(self) -> None:
        """Until the user picks a size, show (and train) the one `chargen train` would for this budget."""
        if self.size_chosen:
            return
        values = self.form_values()
        budget = parse_form(values, self.auto_min)[0].get("budget")  # a bad budget: none (the form says why)
        size = default_size(budget, bool(values["init_from"]), self.app.services)
        self.rule_size = size if self.auto_min is not None else "default"
        select = self.query_one("#size", Select)
        if select.value != self.rule_size:
            with self.prevent(Select.Changed):
                select.value = self.rule_size

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check":
            self.check_corpus()
        elif event.button.id == "start":
            self.action_start()
        else:
            self.dismiss(None)

    # --- start -------------------------------------------------------------------------------------------------
    def show_problems(self, problems: list[str]) -> None:
        self.query_one("#problems", Static).update("\n".join(problems))

    def form_values(self) -> dict:
        init_from = self.query_one("#init_from", Select).value
        return {"corpus": self.query_one("#source", Input).value, "epochs": self.query_one("#epochs", Input).value,
                "budget": self.query_one("#budget", Input).value, "size": self.query_one("#size", Select).value,
                "init_from": init_from if isinstance(init_from, str) else None}  # blank: a new model

    def action_start(self) -> None:
        self.follow_size_rule()  # for the values as they stand: their Changed messages may not be handled yet
        values, problems = parse_form(self.form_values(), self.auto_min)
        for field, widget in (("corpus", "#source"), ("epochs", "#epochs"), ("budget", "#budget")):
            self.query_one(widget, Input).set_class(any(f == field for f, _ in problems), "-bad")
        if problems:
            self.show_problems([text for _, text in problems])
            return
        if self.checked is None or self.checked[:2] != self._key():
            self.start_when_checked = True  # start once the corpus has loaded (and only if it does)
            self.check_corpus()
            return
        self.dismiss(NewRunSpec(
            corpus=self.checked[2], size=values["size"], epochs=values["epochs"], time_budget=values["budget"],
            init_from=Path(values["init_from"]) if values["init_from"] else None,
            tensorboard=self.query_one("#tensorboard", Checkbox).value,
        ))
