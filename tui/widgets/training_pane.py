"""The training pane: state, epoch/step, progress with time left and ETA, losses in nats and bits/char, speed, curve,
preview. The time left, the ETA and the bar's fill come from chargen_core.train.estimate, as on the command line.

Batches can end tens of times a second on a GPU; the pane shows the latest of them at most twice a second (a state
change the user caused shows at once), so what it writes to the terminal does not grow with the step rate."""
from __future__ import annotations

import math
import time

from chargen_core.train import BatchEnded, EpochEnded, TrainingStarted, estimate, format_clock, format_duration
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.widgets import ProgressBar, Static

from .loss_curve import LossCurve
from .throttle import Throttle

LIVE_STATES = ("training", "paused", "stopping")  # a session is under way: its time left means something
STATE_STYLES = {"idle": "bright_black", "loading": "bright_black", "starting": "green", "training": "green bold",
                "paused": "yellow bold", "stopping": "yellow", "stopped": "cyan", "done": "cyan bold", "failed": "red bold"}


def bpc(nats: float | None) -> str:
    return "—" if nats is None or nats != nats else f"{nats / math.log(2):.2f}"


def nats(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.3f}"


class TrainingPane(Vertical):
    REDRAW_INTERVAL = 0.5  # seconds between redraws of the lines that change at every batch
    PREVIEW_INTERVAL = 2.0  # epochs of a small corpus end every second or two: show the latest preview
    DEFAULT_CSS = """
    TrainingPane { height: 1fr; }
    TrainingPane > Static { height: auto; }
    TrainingPane #bar-line { height: 1; }
    TrainingPane ProgressBar { height: 1; width: 1fr; }
    TrainingPane ProgressBar Bar { width: 1fr; }
    TrainingPane #time-left { width: 9; height: 1; content-align-horizontal: right; }
    TrainingPane LossCurve { height: 1fr; min-height: 3; }
    TrainingPane #preview { height: auto; max-height: 4; color: $text-muted; }
    TrainingPane #command { height: auto; max-height: 6; color: $text-muted; display: none; }
    """

    # What the state and metrics lines show: assigning any of them redraws those lines, within REDRAW_INTERVAL
    # (`var`: the watcher updates the two Statics; a reactive would also repaint the whole pane at every batch).
    state: var[str] = var("idle", init=False)
    position: var[str] = var("epoch –", init=False)
    loss: var[float | None] = var(None, init=False)
    val_loss: var[float | None] = var(None, init=False)
    speed: var[float] = var(0.0, init=False)
    placement: var[str] = var("", init=False)  # where training runs: strategy, replicas, precision, device

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Training"
        self.epochs = 0
        self._session: TrainingStarted | None = None  # the session training now (or last), for its estimate
        self._last_batch: BatchEnded | None = None
        self._redraw_due = False
        self._state_changed = False
        self._throttle = Throttle(self, self.REDRAW_INTERVAL, self._redraw)
        self._preview: Text | None = None
        self._preview_throttle = Throttle(self, self.PREVIEW_INTERVAL, self._show_preview)
        self._shapes: dict[str, tuple[int, ...]] = {}  # line lengths last shown by each Static this pane updates

    def compose(self) -> ComposeResult:
        yield Static(id="state")
        with Horizontal(id="bar-line"):
            yield ProgressBar(show_eta=False, show_percentage=True, id="progress")
            yield Static("–", id="time-left")
        yield Static(id="metrics")
        yield LossCurve(id="curve")
        yield Static(id="preview")
        yield Static(id="command")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).update(total=1, progress=0)  # determinate: no animation while idle
        self._throttle.now()

    def watch_state(self) -> None:
        self._state_changed = True
        self._changed()

    def _changed(self) -> None:
        # One redraw request after the current message, however many of the reactives it changed.
        if not self._redraw_due and self.is_mounted:
            self._redraw_due = True
            self.call_next(self._request_redraw)

    watch_position = watch_loss = watch_val_loss = watch_speed = watch_placement = _changed

    def _request_redraw(self) -> None:
        self._redraw_due = False
        if self._state_changed:  # started, paused, done...: shows at once, with the latest preview
            self._throttle.now()
            if self._preview is not None:
                self._preview_throttle.now()
        else:
            self._throttle.request()

    def set_state(self, state: str) -> None:
        self.state = state

    def started(self, event: TrainingStarted) -> None:
        self.epochs = event.epochs
        self._session, self._last_batch = event, None
        self._state_changed = True  # a run starting shows at once
        self.query_one(ProgressBar).update(total=estimate(event, None).total_steps, progress=0)
        if event.initial_epoch == 0:  # a new run: the opened run's losses and curve are not its past
            self.query_one(LossCurve).set_history([], [])
            self.loss = self.val_loss = None
        self.position = self._epoch_text(event.initial_epoch, budget_ends_first=False)
        replicas = f"{event.replicas} replica{'s' if event.replicas != 1 else ''}"
        self.placement = f"{event.strategy}, {replicas}, {event.precision}, {event.device}"
        notes = []  # short: the preview area has four lines (the notification says more)
        if event.fresh_optimizer:
            notes.append("weights only: a fresh optimizer")
        if event.continued_rate is not None:
            notes.append(f"a finished run: trains on at its final rate {event.continued_rate:.2g}, not its peak")
        self._preview = None  # a preview of the run before is not shown now
        if notes:  # until the first epoch's preview replaces them
            self.query_one("#preview", Static).update(Text("\n".join(notes), "yellow"))
        self.set_state("training")

    def set_command(self, command: str) -> None:
        """The exact `chargen train ...` line of the process this pane follows ("": none)."""
        static = self.query_one("#command", Static)
        static.update(Text(f"$ {command}" if command else "", overflow="fold"))
        static.display = bool(command)  # no blank line taken from the curve while nothing is followed

    def batch(self, event: BatchEnded) -> None:
        self.loss, self.speed = event.loss, event.chars_per_second
        self._last_batch = event
        # Whichever ends the run first, the epochs or the budget, sets the bar and the time left.
        budget_ends_first = self._session is not None and estimate(self._session, event).budget_ends_first
        # The step right-aligned to the width of the total: the line keeps its length through an epoch, so where a
        # narrow pane wraps it stays put and the pane below does not jump (and get sent again) at steps 10 and 100.
        total = str(event.steps_per_epoch)
        self.position = (f"{self._epoch_text(event.epoch, budget_ends_first)}  "
                         f"step {event.step:>{len(total)}}/{total}")
        self._changed()
        self.query_one(LossCurve).add_train(event.global_step, event.loss)

    def _epoch_text(self, epoch: int, budget_ends_first: bool) -> str:
        """"epoch 3/9"; just "epoch 3" while the time budget, not the epoch cap, is what will end the run
        (a budgeted run's cap is often far out of reach: continuing a run adds a thousand)."""
        return f"epoch {epoch + 1}" if budget_ends_first else f"epoch {epoch + 1}/{self.epochs}"

    def epoch(self, event: EpochEnded) -> None:
        self.loss, self.val_loss = event.loss, event.val_loss
        self.query_one(LossCurve).add_val(event.global_step, event.val_loss)

    def preview(self, epoch: int, text: str) -> None:
        flat = " ".join(text.split())
        self._preview = Text(f"epoch {epoch + 1}: {flat}", overflow="ellipsis")
        self._preview_throttle.request()

    def _show_preview(self) -> None:
        if self._preview is not None:
            self.query_one("#preview", Static).update(self._preview)
            self._preview = None

    def history(self, rows: list[dict]) -> None:
        """Curve and losses of a run's earlier epochs (history.jsonl rows)."""
        train = [(r.get("global_step", i + 1), r["loss"]) for i, r in enumerate(rows) if "loss" in r]
        val = [(r.get("global_step", i + 1), r["val_loss"]) for i, r in enumerate(rows) if "val_loss" in r]
        self.query_one(LossCurve).set_history(train, val)
        if rows:
            self.loss, self.val_loss = train[-1][1] if train else None, val[-1][1] if val else None
            self.position = f"{len(rows)} epochs trained"
        else:  # another run (or a new one) is open now: nothing of the previous one stays
            self.loss = self.val_loss = None
            self.position, self.placement = "no epochs yet", ""

    def _redraw(self) -> None:
        self._state_changed = False
        ends = self._show_estimate()
        state = Text.assemble((self.state, STATE_STYLES.get(self.state, "")), "  ", self.position)
        self.update_static("#state", state)
        metrics = Text.assemble(
            ("loss  ", "bright_black"), nats(self.loss), (" nats  ", "bright_black"), bpc(self.loss),
            (" bpc\n", "bright_black"), ("val   ", "bright_black"), nats(self.val_loss), (" nats  ", "bright_black"),
            bpc(self.val_loss), (" bpc\n", "bright_black"), ("speed ", "bright_black"),
            f"{self.speed:,.0f} chars/s" if self.speed else "—",  # nothing measured yet (idle, or starting)
        )
        if ends:
            metrics.append_text(Text.assemble(("  ETA ", "bright_black"), ends))
        if self.placement:
            metrics.append_text(Text.assemble(("\non    ", "bright_black"), (self.placement, "")))
        self.update_static("#metrics", metrics)

    def _show_estimate(self) -> str:
        """Fill the bar and write the time left from the session's estimate; returns the ETA ("" when none)."""
        if self._session is None:
            return ""
        est = estimate(self._session, self._last_batch)
        self.query_one(ProgressBar).update(total=est.total_steps, progress=est.fraction * est.total_steps)
        live = self.state in LIVE_STATES
        # Its size is fixed: no layout pass for a new text.
        self.query_one("#time-left", Static).update(format_duration(est.seconds_left if live else None), layout=False)
        now = time.time()
        eta = est.eta(now) if live and self.state != "paused" else None
        return format_clock(eta, now) if eta is not None else ""

    def update_static(self, selector: str, text: Text) -> None:
        # These lines change at every batch, and a layout pass costs the UI thread several ms. Where a narrow
        # pane wraps them depends on the lengths of their lines (the digits change, the words stay), so lay
        # out only when one of those lengths changes.
        shape = tuple(len(line) for line in text.plain.split("\n"))
        self.query_one(selector, Static).update(text, layout=self._shapes.get(selector) != shape)
        self._shapes[selector] = shape
