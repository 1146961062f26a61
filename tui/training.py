"""Training runs in `chargen train` processes of its own: the app starts one (F2, F12), follows the open run's
events log a few times a second, signals it (pause, resume, stop with a checkpoint) and, at each checkpoint,
loads that checkpoint's numpy weights into the live generator. Quitting the app leaves the processes training."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from chargen_core.errors import one_line
from chargen_core.train import TrainingFinished

from .live_generator import LiveGenerator
from .messages import Failed, GeneratorReady, RunCopied, TrainingLaunched
from .train_command import new_run_argv, resume_argv

POLL_SECONDS = 0.25  # how often the events log is read: the pane's pace, and a few file reads a second at most
ALIVE_EVERY = 4  # polls between checks that the followed process still runs (about once a second)
TRAIN_NICE = 10  # the trainer yields the CPU to the app's keys and drawing (and to no one else): as the old worker thread did


@dataclass
class Followed:
    """The run whose events the pane shows."""

    run_path: Path
    follower: Any  # .poll() -> the events written since the last poll
    process: Any = None  # the Popen of a trainer this app started; None: attached to a run another process trains
    command: str = ""
    started: bool = False  # its TrainingStarted was read
    ended: bool = False  # its TrainingFinished or TrainingFailed was read
    polls: int = 0


class TrainingControl:
    """Starts trainers, follows the open run's, signals it; `on_event` (the screen's) shows each event."""

    def __init__(self, host: Any, services: Any, live: LiveGenerator, run_root: Path,
                 on_event: Callable[[Any], None] | None = None, on_ended: Callable[[Followed], None] | None = None,
                 ) -> None:
        self.host = host
        self.services = services
        self.live = live
        self.run_root = run_root
        self.on_event = on_event or (lambda event: None)
        self.on_ended = on_ended or (lambda followed: None)
        self.followed: Followed | None = None
        self.starting = False  # a trainer is being started in a worker
        self.token = 0  # bumped by every start and detach: an answer to an older start is not followed
        self.paused = False
        self.started_here: list = []  # every trainer this app started (quitting asks about those still training)
        self.own_generator = False  # True once the live generator samples from the followed run's model
        self.first_checkpoint: int | None = None  # global step of a fresh run's first checkpoint, once known
        self.loading_weights: tuple[Path, str] | None = None  # the checkpoint being loaded (one at a time)
        self.next_weights: tuple[Path, str] | None = None  # the newest one saved since

    @property
    def running(self) -> bool:
        return self.starting or self.followed is not None

    @property
    def run_path(self) -> Path | None:
        return self.followed.run_path if self.followed is not None else None

    # --- starting ------------------------------------------------------------------------------------------------
    def start_new(self, corpus: Any, spec: Any = None) -> None:
        """Start a new run on `corpus` (planned as the new-run form's spec says) in a trainer of its own."""
        services = self.services
        model_config = getattr(services, "model_config", None)

        def plan() -> tuple[Path, list[str]]:
            path = services.new_run_path(self.run_root, corpus, getattr(model_config, "arch", "lstm"))
            return path, new_run_argv(corpus, path, model_config=model_config, spec=spec,
                                      train_config=getattr(services, "train_config", None))

        self.own_generator = False
        self._launch(plan)

    def start_resume(self, path: Path, copy_first: bool = False) -> None:
        """Continue the run at path; copy_first: it is read-only (the bundled model): continue a copy of it."""
        def plan() -> tuple[Path, list[str]]:
            target = path
            if copy_first:
                target = self.services.copy_run(path, self.run_root)
                self.host.post_message(RunCopied(target))
            return target, resume_argv(target, self.services.resume_epochs(target))

        self.own_generator = self.live.ready
        self._launch(plan)

    def _launch(self, plan: Callable[[], tuple[Path, list[str]]]) -> None:
        self.detach()
        self.starting, self.paused, self.first_checkpoint = True, False, None
        token = self.token

        def job() -> None:
            try:
                path, argv = plan()
                follower = self.services.follow(path, from_start=False)  # before the trainer can write a line
                launched = self.services.launch(argv, path, nice=TRAIN_NICE)
            except Exception as exc:  # bad input, a read-only home...: a notification, the app carries on
                self.host.post_message(TrainingLaunched(None, one_line(exc), token))
                return
            self.host.post_message(TrainingLaunched(launched, None, token, follower))

        self.host.run_worker(job, thread=True, exit_on_error=False, group="training", name="launch")

    def on_launched(self, message: TrainingLaunched) -> bool:
        """A start answered: True when it is the one to follow (the trainer's process exists; it may still be
        importing TensorFlow), False when it failed or the user has moved on to another run meanwhile."""
        current = message.token == self.token
        if current:
            self.starting = False
        if message.launched is None:
            return False
        self.started_here.append(message.launched)
        if current:
            launched = message.launched
            self.follow(launched.run_path, process=launched.process, command=launched.command,
                        follower=message.follower)
        return current

    # --- following -------------------------------------------------------------------------------------------
    def follow(self, run_path: Path, process: Any = None, command: str = "", follower: Any = None) -> None:
        follower = follower if follower is not None else self.services.follow(run_path)
        self.followed = Followed(Path(run_path), follower, process, command)
        self.paused = False

    def attach(self, run_path: Path, own_generator: bool) -> Any:
        """Follow the run at run_path live when a process trains it now; its LiveRun, or None."""
        status = self.services.live_status(run_path)
        if status is None:
            return None
        mine = next((launched for launched in self.started_here if Path(launched.run_path) == Path(run_path)), None)
        self.follow(run_path, process=getattr(mine, "process", None), command=getattr(status, "command", "") or "")
        self.paused, self.own_generator, self.first_checkpoint = status.state == "paused", own_generator, None
        return status

    def detach(self) -> None:
        """Stop following (another run is open now); the process trains on, a trainer starting starts."""
        self.followed, self.paused, self.starting = None, False, False
        self.token += 1

    def poll(self) -> None:
        """Timer: show the events written since the last poll; notice when the process has gone."""
        followed = self.followed
        if followed is None:
            return
        self._read(followed)
        followed.polls += 1
        if followed is self.followed and followed.polls % ALIVE_EVERY == 0 and not self._alive(followed):
            self._read(followed)  # what it wrote just before it ended
            if followed is self.followed:
                self.followed, self.paused = None, False
                self.on_ended(followed)

    def _read(self, followed: Followed) -> None:
        try:
            events = followed.follower.poll()
        except OSError as exc:
            self.host.post_message(Failed("reading the training log", one_line(exc)))
            return
        for event in events:
            if followed is not self.followed:  # an event's handler opened another run: the rest is not shown
                return
            self.on_event(event)
        self.load_newest_checkpoint()

    def _alive(self, followed: Followed) -> bool:
        if followed.process is not None:
            return followed.process.poll() is None
        return self.services.live_status(followed.run_path) is not None

    def alive_launched(self) -> list:
        """Run paths of the trainers this app started or follows that still train (asked about when quitting)."""
        paths = [Path(launched.run_path) for launched in self.started_here if launched.process.poll() is None]
        if self.followed is not None and self.followed.run_path not in paths:
            paths.append(self.followed.run_path)
        return paths

    # --- signals -------------------------------------------------------------------------------------------------
    def pause(self) -> bool | None:
        """Toggle pause; the new paused state, None when nothing is training (or it is still starting)."""
        followed = self.followed
        if followed is None or not followed.started:
            return None
        pid = self.services.signal(followed.run_path, "resume" if self.paused else "pause")
        if pid is None:
            return None
        self.paused = not self.paused
        return self.paused

    def stop(self, path: Path | None = None) -> bool:
        """Ask the trainer of `path` (default: the followed run) to stop after its batch, saving a checkpoint."""
        path = path or self.run_path
        return path is not None and self.services.signal(path, "stop") is not None

    # --- what the events mean here -------------------------------------------------------------------------------
    def started(self, steps_per_epoch: int, checkpoint_every: int) -> None:
        """Note when a run without weights (it starts at step 0) gets its first checkpoint: the first epoch's end,
        or the checkpoint interval's when that comes sooner."""
        if self.followed is not None:
            self.followed.started = True
        every = checkpoint_every or 0
        self.first_checkpoint = min(every, steps_per_epoch) if every else steps_per_epoch

    def ended(self) -> None:
        """The followed run's TrainingFinished or TrainingFailed was read."""
        if self.followed is not None:
            self.followed.ended = True
        self.paused = False

    def checkpoint_saved(self, model_path: str) -> None:
        """Note a checkpoint to load; the newest of a poll's events is loaded once they are all shown (catching up
        with a run's session reads many, most of them pruned since)."""
        if self.followed is not None:
            self.next_weights = (self.followed.run_path, model_path)

    def load_newest_checkpoint(self) -> None:
        """Load the newest noted checkpoint's weights off the UI thread into the live generator, one load at a
        time (one saved meanwhile waits its turn; those between are skipped)."""
        if self.next_weights is None or self.loading_weights is not None:
            return
        target, self.next_weights = self.next_weights, None
        if target[0] != self.run_path:
            return
        self.loading_weights = target
        self.host.run_worker(lambda: self._load(*target), thread=True, exit_on_error=False, group="refresh",
                             name="refresh")

    def _load(self, run_path: Path, model_path: str) -> None:
        try:
            weights = self.services.weights_at(run_path, model_path)
            if self.run_path != run_path:  # another run is open now: its generator stays
                return
            if self.own_generator:
                self.live.offer(weights)
            else:  # a new run has its own vocabulary: a generator over its model, not a refresh of the old one
                generator = self.services.generator_with(run_path, weights)
                self.live.replace(generator)
                self.own_generator = True
                self.host.post_message(GeneratorReady(generator.vocab.size, run_path.name))
        except Exception as exc:
            if self.services.checkpoint_exists(model_path):  # else pruned meanwhile: a newer one is loaded next
                self.host.post_message(Failed("loading the checkpoint's weights", one_line(exc)))
        finally:
            self.host.app.call_from_thread(self._loaded)

    def _loaded(self) -> None:
        self.loading_weights = None
        self.load_newest_checkpoint()

    def untrained_note(self, model_name: str) -> str:
        """What generating says while the run in use has no checkpoint yet: whose text it is, when weights come."""
        if not self.running:
            if self.own_generator:  # trained for a while, then stopped or failed before saving
                return "this run stopped before its first checkpoint: its model had barely started to learn"
            return (f"{model_name} has no trained weights yet: it stopped before its first checkpoint; "
                    "press F2 to train it from the start")
        when = f"at step {self.first_checkpoint:,}" if self.first_checkpoint else "soon (training is still starting)"
        if not self.live.ready:
            return f"this run has no trained weights yet: its first checkpoint comes {when}"
        if self.own_generator:
            return f"this run has no checkpoint yet: its model has barely started to learn (the first comes {when})"
        return (f"the new run has no trained weights yet (its first checkpoint comes {when}): this text comes "
                f"from {model_name}")


def finished_text(event: TrainingFinished) -> str:
    """"training stopped: 55 epochs, best val loss 1.270 nats/char": a user's stop skips the final validation, so the
    best one stands in for the last when there is none (and is named too when it is the better one)."""
    losses = []
    if event.val_loss is not None:
        losses.append(f"val loss {event.val_loss:.3f}")
    if event.best_val_loss is not None and (event.val_loss is None or event.best_val_loss < event.val_loss - 5e-4):
        losses.append(f"best val loss {event.best_val_loss:.3f}")
    return f"training {event.outcome}: {event.epochs} epochs" + (f", {', '.join(losses)} nats/char" if losses else "")


def ended_reason(lines: list[str]) -> str:
    """A trainer that ended without saying how: the error line of its log (`chargen: error: ...`) when there is
    one, else its last lines, joined into one."""
    lines = [line.strip() for line in lines if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    if errors:
        return errors[-1].removeprefix("chargen: error: ")
    return " / ".join(lines[-3:]) or "it wrote nothing to its log"
