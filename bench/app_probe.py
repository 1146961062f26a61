"""The app of a source tree, headless (Textual's pilot), timed from its own process start: bench/startup.py's app
cases run it as a child. Works on this tree and on the app before issue 24 (a worktree of 1e0daab), so the two
are measured in one run with the same Python and packages.

    python bench/app_probe.py TREE ready   -> one JSON line once the model is ready to stream
    python bench/app_probe.py TREE train   -> then starts training (F2) and reports the app's RSS while it runs

"ready" is the moment the generator is loaded (the app answers Enter with text): the app's own RSS then, and
its peak since start. "train": F2 as a user presses it (the bundled model is copied and continued), the app's
RSS sampled every 0.25 s for SECONDS once batches are shown, then F4 and the end awaited. Today's app trains in
a `chargen train` process (its RSS is reported apart); the old one in a thread of its own process.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

TRAIN_SECONDS = 8.0


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def load_tree(tree: Path):
    """The tree's chargen_core, its app (tui/ imported as chargen_tui) and its bundled model (assets/ as
    chargen_assets), ahead of what is installed."""
    sys.path.insert(0, str(tree))
    import assets
    import tui

    sys.modules["chargen_tui"], sys.modules["chargen_assets"] = tui, assets
    from chargen_tui.app import ChargenApp
    from chargen_tui.services import Services

    return ChargenApp, Services


def trainer_pid(screen) -> int | None:
    """Today's app: the pid of the trainer it started (None: the old app trains in its own process)."""
    started = getattr(screen.train, "started_here", None)
    return started[-1].pid if started else None


def batches_shown(screen) -> bool:
    pump = getattr(screen.train, "pump", None)
    if pump is not None:  # the old app: batches counted by its event pump
        return pump.batches >= 3
    return screen.pane.position.startswith("epoch") and "step" in screen.pane.position


async def probe(tree: Path, mode: str, started: float) -> dict:
    ChargenApp, Services = load_tree(tree)
    home = Path(tempfile.mkdtemp(prefix="chargen-app-probe-"))
    app = ChargenApp(Services(), run_root=home / "runs", config_dir=home / "config", export_dir=home / "exports")
    out: dict = {"tree": str(tree)}
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        while not screen.generation.live.ready:
            if screen.run.model_failed:
                raise SystemExit(f"the model did not open: {screen.run.model_failed}")
            await asyncio.sleep(0.005)
        out.update(ready_s=time.time() - started, ready_rss_mb=rss_mb(), ready_peak_mb=rss_mb(field="VmHWM"),
                   tensorflow="tensorflow" in sys.modules)
        if mode == "train":
            while screen.run.info is None or screen.state != "idle":  # the run opened, as F2 needs
                await asyncio.sleep(0.01)
            screen.action_train_start()
            deadline = time.monotonic() + 240
            while not batches_shown(screen):
                if time.monotonic() > deadline or screen.state == "failed":
                    notes = [n.message for n in app._notifications]
                    raise SystemExit(f"training did not start ({screen.state}): {notes}")
                await asyncio.sleep(0.05)
            samples, trainer = [], trainer_pid(screen)
            end = time.monotonic() + TRAIN_SECONDS
            while time.monotonic() < end:
                samples.append((rss_mb(), rss_mb(trainer) if trainer else 0.0))
                await asyncio.sleep(0.25)
            out.update(train_rss_mb=max(s[0] for s in samples), trainer_rss_mb=max(s[1] for s in samples),
                       train_peak_mb=rss_mb(field="VmHWM"), tensorflow="tensorflow" in sys.modules)
            screen.action_train_stop()
            deadline = time.monotonic() + 300
            while screen.train.running and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        await pilot.pause()
    return out


def main() -> None:
    started = float(os.environ.get("CHARGEN_PROBE_START") or time.time())
    tree, mode = Path(sys.argv[1]).resolve(), sys.argv[2]
    print(json.dumps(asyncio.run(probe(tree, mode, started))), flush=True)


if __name__ == "__main__":
    main()
