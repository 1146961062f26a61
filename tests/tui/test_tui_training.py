"""Training in processes of its own, seen from the app: real `chargen train` processes (tiny models) for the
no-TensorFlow checks, attaching, pause/resume/stop and a killed app; fake ones for crashes and failed starts."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import wait_for
from test_tui_app import notes, ready
from tui_fakes import FakeServices

PROBE = Path(__file__).with_name("app_probe.py")
TINY_FLAGS = ["--units", "16", "--embedding-dim", "8", "--seq-len", "20", "--batch-size", "8", "--seed", "1",
              "--preview-length", "0", "--size", "default"]


def probe(mode: str, home: Path, corpus: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROBE.parent)}
    return subprocess.Popen([sys.executable, str(PROBE), mode, str(home), str(corpus)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def events(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def live_state(run: Path) -> str | None:
    from chargen_core.train import live_status

    status = live_status(run)
    return status.state if status is not None else None


def wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # our child in some tests: reap it
        except ChildProcessError:
            pass
        time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_the_app_never_imports_tensorflow(tmp_path, tiny_corpus_file):
    """Opening, generating, another run, the new-run form's corpus check, and training started, paused, resumed,
    stopped and watched: the app's process has imported neither tensorflow nor keras after any of them."""
    process = probe("no-tf", tmp_path / "runs", tiny_corpus_file)
    out, err = process.communicate(timeout=600)
    steps = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [s["step"] for s in steps] == [
        "app open with the bundled model", "generating", "opening another run", "new-run form with a corpus check",
        "training started", "paused", "resumed", "stopped and watched"], err[-2000:]
    assert not any(s["tensorflow"] or s["keras"] for s in steps), steps
    started, done = steps[4], steps[-1]
    assert started["command"].startswith("chargen train --corpus") and started["device"] == "CPU"
    assert done["state"] == "stopped" and done["curve"] >= 1 and any("training stopped" in n for n in done["notes"])


async def test_the_app_attaches_to_a_run_another_process_trains_and_pauses_resumes_stops_it(
        make_app, tmp_path, tiny_corpus_file):
    from chargen_core.train import launch_training
    from chargen_tui.services import Services

    run = tmp_path / "runs" / "elsewhere"
    launched = launch_training(["--corpus", str(tiny_corpus_file), "--epochs", "200", "--steps-per-epoch", "20",
                                "--checkpoint-every", "0", *TINY_FLAGS], run)
    try:
        deadline = time.monotonic() + 180
        while not (run / "events.jsonl").exists() and time.monotonic() < deadline:  # it imports TensorFlow first
            time.sleep(0.2)
        app = make_app(Services(), run_path=run)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.main_screen
            await wait_for(pilot, lambda: screen.train.running and screen.pane.position.startswith("epoch"),
                           timeout=120)
            assert screen.model_name == "elsewhere" and screen.device == "CPU"
            assert any(f"training in process {launched.pid}" in n for n in notes(app))
            assert "chargen train --corpus" in str(screen.pane.query_one("#command").render())
            await pilot.press("f3")
            await wait_for(pilot, lambda: live_state(run) == "paused", timeout=60)
            assert screen.state == "paused"
            await pilot.press("f3")
            await wait_for(pilot, lambda: live_state(run) == "training" and screen.state == "training", timeout=60)
            await pilot.press("f4")
            await wait_for(pilot, lambda: not screen.train.running, timeout=120)
            assert screen.state == "stopped" and any("training stopped" in n for n in notes(app))
        finished = [e for e in events(run) if e["type"] == "TrainingFinished"]
        assert finished and finished[-1]["reason"] == "stopped"
        assert [e["paused"] for e in events(run) if e["type"] == "TrainingPaused"] == [True, False]
    finally:
        if launched.process.poll() is None:
            launched.process.kill()
        launched.process.wait(30)


def test_killing_the_app_with_9_while_a_run_trains_loses_nothing(tmp_path, tiny_corpus_file):
    process = probe("start-and-wait", tmp_path / "runs", tiny_corpus_file)
    try:
        fact: dict = {}
        while fact.get("step") != "training":
            line = process.stdout.readline()
            assert line.startswith("{"), process.stderr.read()[-2000:] if process.poll() is not None else line
            fact = json.loads(line)
        assert not fact["tensorflow"]
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        run, pid = Path(fact["run"]), fact["pid"]
        wait_gone(pid, timeout=300)  # the trainer goes on to the end of its epochs
        finished = [e for e in events(run) if e["type"] == "TrainingFinished"]
        assert finished and finished[-1]["reason"] == "completed" and finished[-1]["epochs"] == 3
        saved = [e for e in events(run) if e["type"] == "CheckpointSaved"]
        assert len(saved) >= 3 and (run / "best.weights.npz").is_file()
    finally:
        if process.poll() is None:
            process.kill()


async def test_a_trainer_that_crashes_is_said_with_its_log_and_f2_starts_again(make_app):
    services = FakeServices(train_delay=0.05)
    services.crash_at = 3
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        await pilot.press("f2")
        await wait_for(pilot, lambda: services.trainers and not screen.train.running and screen.state == "failed")
        said = notes(app)
        assert any("training crashed: Fatal Python error: Segmentation fault" in n for n in said), said
        services.crash_at = None
        await pilot.press("f2")  # a run whose process is gone is continued again
        await wait_for(pilot, lambda: len(services.trainers) == 2 and screen.state == "done", timeout=10)


async def test_a_trainer_that_cannot_start_is_said_in_one_line(make_app):
    services = FakeServices()
    services.launch_error = "cannot start training in /runs/x: No space left on device"
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main_screen.state == "failed")
        assert any(n == "training could not start: cannot start training in /runs/x: No space left on device"
                   for n in notes(app))
        assert not app.main_screen.train.running
        services.launch_error = None
        services.tail = ["chargen: error: corpus 'gone.txt': no such file"]
        services.crash_at = 0  # the trainer exits before its TrainingStarted, as a bad corpus does
        await pilot.press("f2")
        await wait_for(pilot, lambda: any("training could not start: corpus 'gone.txt': no such file" in n
                                          for n in notes(app)), timeout=10)


async def test_attaching_mid_session_loads_only_its_newest_checkpoint(make_app, tmp_path):
    from chargen_core.train import CheckpointSaved

    services = FakeServices(train_delay=0.01)
    alpha = tmp_path / "runs" / "alpha"
    trainer = services.start_trainer(alpha, initial_epoch=5, epochs=20)
    log = services.logs[alpha]
    deadline = time.monotonic() + 10
    while sum(isinstance(e, CheckpointSaved) for e in log.events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    trainer.pause()  # alive, and no checkpoint more until the app has caught up
    saved = [e.path for e in log.events if isinstance(e, CheckpointSaved)]
    app = make_app(services, run_path=alpha)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.main_screen
            await wait_for(pilot, lambda: screen.train.running and services.weights_loaded)
            await pilot.pause(0.3)
            assert services.weights_loaded == [saved[-1]] and len(saved) >= 3  # the ones before were pruned
            shown_epoch = int(screen.pane.position.split()[1].split("/")[0])  # "epoch 9/25  step 1/5"
            assert screen.state == "paused" and shown_epoch >= 5 + len(saved)  # caught up with the session
    finally:
        trainer.request_stop()
