"""bench/wire.py's training-pane case: the pane alone, fed batches faster than this CPU trains, in a headless app,
its updates rendered as the app would write them to a terminal."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tmux_screen import Result, compressed_size


def fast_training(case, code: str, rate: float = 50.0, seconds: float = 10.0) -> Result:
    """The training pane alone (38×18, as beside the output at 100×30) fed batches at `rate` steps/s, an epoch
    every 100 steps, in a headless app: this CPU trains a few steps a second, a GPU tens. Its updates are rendered
    as the app would write them to a 256-colour terminal: through the Wire where the code has one, else Textual's
    own output."""
    import asyncio

    sys.path.insert(0, code)
    try:  # chargen_core before it was split by stage, then after (its events live in chargen_core.train)
        from chargen_core.events import BatchEnded, EpochEnded, TrainingStarted
    except ImportError:
        from chargen_core.train import BatchEnded, EpochEnded, TrainingStarted
    from rich.console import Console
    from textual.app import App

    from chargen_tui.widgets.training_pane import TrainingPane
    try:
        from chargen_tui.wire import Wire
    except ImportError:  # the code before the Wire
        Wire = None

    console = Console(width=case.width, height=case.height, color_system="256", force_terminal=True)
    wire, written = Wire() if Wire else None, []

    class Host(App):
        CSS = "TrainingPane { border: round $primary-darken-2; padding: 0 1; }"

        def compose(self):
            yield TrainingPane()

        def _display(self, screen, renderable) -> None:
            if renderable is not None:
                update = wire.wrap(renderable) if wire else renderable
                written.append((time.monotonic(), update.render_segments(console).encode()))

    async def feed() -> float:
        host = Host()
        async with host.run_test(size=(case.width, case.height)) as pilot:
            pane = host.query_one(TrainingPane)
            pane.started(TrainingStarted("r", 20, 0, 100, 1, "GPU", "Default", 1, "float32"))
            await pilot.pause(1.0)
            written.clear()
            start, step = time.monotonic(), 0
            while time.monotonic() - start < seconds:
                step += 1
                epoch, within = divmod(step - 1, 100)
                pane.batch(BatchEnded(epoch, within + 1, step, 100, 2.0 / (1 + step / 500), 50_000.0 + step, 1.0))
                if within == 99:
                    pane.epoch(EpochEnded(epoch, 1.8, 1.9, 2.7, 0.4, 0.4, 2.0, step))
                    pane.preview(epoch, f"epoch {epoch} wrote this preview of what the model says now, " * 2)
                await asyncio.sleep(max(0.0, start + step / rate - time.monotonic()))
            return time.monotonic() - start

    elapsed = asyncio.run(feed())
    result = Result(case.label, 0, sum(len(b) for _, b in written), elapsed)
    result.peak = max((sum(len(b) for t, b in written if t0 <= t < t0 + 1) for t0, _ in written), default=0)
    result.compressed = compressed_size([b for _, b in written])
    if os.environ.get("WIRE_DUMP"):
        Path(os.environ["WIRE_DUMP"]).write_bytes(b"\n=====\n".join(b for _, b in written))
    result.note = f"{len(written)} frames; {'the Wire' if wire else 'Textual'}'s output"
    return result
