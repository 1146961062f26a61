"""Drives the real app (real services, a real `chargen train` process) with Textual's pilot, in a process of its
own, and prints one JSON line per step: {"step", "tensorflow", "keras", ...facts}. The tests run it with
subprocess, so what it says about sys.modules is about the app alone, not about what other tests imported.

    python app_probe.py no-tf RUNS_HOME CORPUS_FILE    every step of item 2, then training started, paused,
                                                       resumed, stopped and watched
    python app_probe.py start-and-wait RUNS_HOME CORPUS_FILE
                                                       start a new run, print its folder once it trains, then
                                                       wait (to be killed with -9)
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from chargen_core.config import ModelConfig, TrainConfig
from chargen_tui.app import ChargenApp
from chargen_tui.services import Services

TINY_MODEL = ModelConfig(embedding_dim=8, units=16, seq_len=20)


def say(step: str, **facts) -> None:
    facts.update(step=step, tensorflow="tensorflow" in sys.modules, keras="keras" in sys.modules)
    print(json.dumps(facts, default=str), flush=True)


async def until(pilot, condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            notes = [n.message for n in pilot.app._notifications]
            raise SystemExit(f"timed out waiting for {what}; notifications: {notes}")
        await pilot.pause(0.05)


async def start_new_run(pilot, corpus: str) -> None:
    """F12, the corpus checked on the form, Start."""
    from chargen_tui.screens.new_run import NewRunScreen

    await pilot.press("f12")
    await until(pilot, lambda: isinstance(pilot.app.screen, NewRunScreen), what="the new-run form")
    form = pilot.app.screen
    form.query_one("#source").value = corpus
    await pilot.pause()
    form.check_corpus()
    await until(pilot, lambda: form.checked is not None, what="the corpus check")
    say("new-run form with a corpus check", preview=str(form.query_one("#corpus-preview").render())[:60])
    form.action_start()
    await until(pilot, lambda: not isinstance(pilot.app.screen, NewRunScreen), what="the form to close")


async def no_tf(home: Path, corpus: str) -> None:
    services = Services(TINY_MODEL, TrainConfig(epochs=40, batch_size=8, steps_per_epoch=30, checkpoint_every=0,
                                                 preview_length=20, seed=1))
    app = ChargenApp(services, run_root=home, config_dir=home / "config", export_dir=home / "exports")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await until(pilot, lambda: screen.generation.live.ready and screen.run.corpus is not None, what="open")
        say("app open with the bundled model", model=screen.model_name, device=screen.device)
        await pilot.press(*"the ", "enter")
        await until(pilot, lambda: not screen.generation.busy and "chars," in screen.view.text, what="generation")
        say("generating", chars=len(screen.generation.transcript.last_output))
        copy = services.copy_run(services.default_run(), home)
        screen.run.switch_to(("open", copy))
        await until(pilot, lambda: screen.model_name == copy.name and screen.state == "idle", what="open another")
        say("opening another run", model=screen.model_name)
        await start_new_run(pilot, corpus)
        await until(pilot, lambda: screen.train.followed is not None and screen.train.followed.started,
                    timeout=120, what="TrainingStarted")
        say("training started", command=screen.train.followed.command, device=screen.device)
        await until(pilot, lambda: screen.pane.position.startswith("epoch"), what="a batch")
        await pilot.press("f3")
        await until(pilot, lambda: screen.state == "paused", what="paused")
        say("paused", live=services.live_status(screen.train.run_path).state)
        await pilot.press("f3")
        await until(pilot, lambda: screen.state == "training", what="resumed")
        say("resumed", position=screen.pane.position)
        await pilot.press("f4")
        await until(pilot, lambda: not screen.train.running, timeout=120, what="stopped")
        say("stopped and watched", state=screen.state, position=screen.pane.position,
            curve=len(screen.pane.query_one("#curve").train),
            notes=[n.message for n in app._notifications][-3:])


async def start_and_wait(home: Path, corpus: str) -> None:
    services = Services(TINY_MODEL, TrainConfig(epochs=3, batch_size=8, steps_per_epoch=40, checkpoint_every=20,
                                                preview_length=0, seed=1))
    app = ChargenApp(services, run_root=home, config_dir=home / "config", export_dir=home / "exports")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await until(pilot, lambda: screen.generation.live.ready, what="open")
        await start_new_run(pilot, corpus)
        await until(pilot, lambda: screen.train.followed is not None and screen.train.followed.started,
                    timeout=120, what="TrainingStarted")
        say("training", run=screen.train.run_path, pid=screen.train.started_here[0].pid)
        await asyncio.sleep(600)  # until killed


if __name__ == "__main__":
    mode, home, corpus = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    asyncio.run({"no-tf": no_tf, "start-and-wait": start_and_wait}[mode](home, corpus))
