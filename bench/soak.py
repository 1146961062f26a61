"""Soak: the Textual app, headless, following a trainer process while generations stream and keys arrive, for long.

    python bench/soak.py [--minutes 30] [--every 30] [--units 256] [--corpus nietzsche]

Runs the app the way bench/ui_latency.py does (real services, real training on the corpus, real generation from
the bundled model and then from the model being trained), keeps a generation streaming at all times, and presses
↑/↓ (temperature) at random intervals. Every --every seconds it prints one row: RSS, keypress → screen-updated
latency (p50/p95/max over that window), training steps, generations started. A finished training is started
again, so training runs throughout. At the end: RSS drift after warm-up (first quarter excluded), the worst
window p95, and whether anything crashed. Targets: RSS within ±10% after warm-up, p95 ≤ 50 ms in every window.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from ui_latency import BenchServices, PaintedStatus, count_batches, count_frames, pct, press, rss_mb, wait  # noqa: E402

from chargen_tui.app import ChargenApp  # noqa: E402
from chargen_tui.widgets.status_line import StatusLine  # noqa: E402

PROMPTS = ("The ", "What is ", "Thus ", "In the ", "He who ", "Man ", "We ")


def keep_streaming(screen, rng: random.Random) -> int:
    """Start a new generation when the last one ended; returns 1 if one was started."""
    if screen.generation.jobs.busy or screen.generation.buffer.pending:
        return 0
    screen.generation.generate(rng.choice(PROMPTS))
    return 1


def keep_training(screen) -> int:
    if screen.train.running:
        return 0
    screen.action_train_start()
    return 1


async def soak(args) -> int:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="chargen-soak-"))
    app = ChargenApp(BenchServices(args.units), corpus_source=args.corpus, config_dir=tmp, export_dir=tmp,
                     run_root=tmp / "runs")
    rows: list[dict] = []
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        await wait(pilot, lambda: screen.run.corpus is not None and screen.state != "loading")
        await wait(pilot, lambda: screen.generation.live.ready)
        screen.settings = screen.settings.__class__(length=args.length)
        frames = count_frames(app)
        painted = PaintedStatus(screen.query_one(StatusLine))
        batches = count_batches(screen)
        screen.action_train_start()
        await wait(pilot, lambda: len(batches) >= 1, timeout=900)
        print(f"soak: {args.minutes:g} min, a row every {args.every:g} s; training a {args.units}-unit LSTM on "
              f"{args.corpus} (device {screen.device}), generations of {args.length} chars back to back, ↑/↓ "
              f"every 0.1-1 s; {os.cpu_count()} CPUs", flush=True)
        print(f"{'min':>5} {'RSS MB':>7} {'keys':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'lost':>4} "
              f"{'steps':>6} {'gens':>5} {'trains':>6}", flush=True)
        start = time.monotonic()
        end = start + args.minutes * 60
        window: list[float] = []
        lost = generations = trainings = 0
        next_row = start + args.every
        while time.monotonic() < end:
            generations += keep_streaming(screen, rng)
            trainings += keep_training(screen)
            low, high = screen.settings.temperature <= 0.35, screen.settings.temperature >= 1.45
            key = "up" if low else "down" if high else rng.choice(("up", "down"))
            ms = await press(app, frames, painted, key)
            if ms is None:
                lost += 1
            else:
                window.append(ms)
            await asyncio.sleep(rng.uniform(0.1, 1.0))
            if time.monotonic() >= next_row:
                row = {"minute": (time.monotonic() - start) / 60, "rss": rss_mb(), "keys": len(window),
                       "p50": statistics.median(window) if window else float("nan"),
                       "p95": pct(window, 0.95) if window else float("nan"),
                       "max": max(window) if window else float("nan"), "lost": lost,
                       "steps": batches[-1].global_step if batches else 0, "gens": generations,
                       "trains": trainings}
                rows.append(row)
                print(f"{row['minute']:5.1f} {row['rss']:7.0f} {row['keys']:5d} {row['p50']:7.1f} {row['p95']:7.1f} "
                      f"{row['max']:7.1f} {row['lost']:4d} {row['steps']:6d} {row['gens']:5d} "
                      f"{row['trains']:6d}", flush=True)
                window, lost, next_row = [], 0, next_row + args.every
        screen.action_train_stop()
        await wait(pilot, lambda: not screen.train.running)
        crashed = not app.is_running
    return summarize(rows, crashed)


def summarize(rows: list[dict], crashed: bool) -> int:
    if len(rows) < 2:
        print("soak: too short for a drift figure (fewer than 2 rows)")
        return 1
    warm = rows[max(1, len(rows) // 4):]  # the first quarter is warm-up (model load, first traces, buffers)
    rss = [r["rss"] for r in warm]
    drift = (rss[-1] - rss[0]) / rss[0] * 100
    spread = (max(rss) - min(rss)) / rss[0] * 100
    p95s = [r["p95"] for r in rows if r["keys"]]
    lost = sum(r["lost"] for r in rows)
    print(f"soak summary: {len(rows)} rows, app {'CRASHED' if crashed else 'alive'}; RSS after warm-up "
          f"{rss[0]:.0f} -> {rss[-1]:.0f} MB (drift {drift:+.1f}%, range {min(rss):.0f}-{max(rss):.0f} MB = "
          f"{spread:.1f}% of the first); keypress p95 per window: median {statistics.median(p95s):.1f} ms, "
          f"worst {max(p95s):.1f} ms; {lost} presses unanswered within 10 s")
    ok = not crashed and abs(drift) <= 10 and spread <= 20 and max(p95s) <= 50 and lost == 0
    print(f"targets (no crash, RSS drift within ±10%, every window p95 ≤ 50 ms, no lost key): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between rows")
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--corpus", default="nietzsche")
    parser.add_argument("--length", type=int, default=2000, help="characters per generation")
    parser.add_argument("--seed", type=int, default=0)
    sys.exit(asyncio.run(soak(parser.parse_args())))


if __name__ == "__main__":
    main()
