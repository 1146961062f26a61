"""What the app costs on a link: the bytes it writes to a real terminal, per generated character and per second.

    python bench/wire.py [--only 100x30,scroll,...] [--train-seconds 20] [--idle-seconds 5] [--keep DIR]

Each case starts the app (`python -m chargen_tui`, the bundled model, default colours) in a detached tmux session of the
case's size; `tmux pipe-pane` copies every byte the app writes to its terminal into a file. A generation is typed
as a user would (prompt, Enter) and measured from Enter until its closing note is on the screen; length, typing
speed and colour come from the settings.json the app reads at start, in a throw-away HOME. Each row is printed
beside `cat` of the same text in a terminal of the same size, and with how much the stream shrinks under zlib
(level 6, flushed every 0.1 s as ssh flushes each packet): what `ssh -C` would send.

After each generation the screen as drawn bit by bit is compared with the screen drawn whole (F1 and back): a
difference means the app left a stale cell somewhere. The code run is the `tui` package first on PYTHONPATH, else
this checkout's. Needs tmux.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tmux_screen import Pane, Result, Tmux, Window, looks
from wire_pane import fast_training

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
END = re.compile(r"— \d[\d,]* chars|— stopped")  # the note the app adds when a generation ends (or Esc stops it)
STEP = re.compile(r"epoch (\d+)(?:/\d+)?\s+step\s+(\d+)/(\d+)")


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    width: int = 100
    height: int = 30
    length: int | None = 400  # None: until Esc
    speed: int = 200  # chars/s; 0: as fast as the model writes
    colour: bool = True
    kind: str = "generate"  # "generate" | "train" | "fast" | "idle"
    stop_after: float | None = None  # seconds after Enter when Esc stops the generation


CASES = (
    Case("100x30", "400 chars at 200 chars/s, 100×30"),
    Case("80x24", "the same at 80×24", 80, 24),
    Case("200x60", "the same at 200×60", 200, 60),
    Case("scroll", "3,200 chars at 200 chars/s (scrolls)", length=3200),
    Case("plain", "400 chars, colour off", colour=False),
    Case("max", "as fast as the model writes, 3,200 chars", length=3200, speed=0),
    Case("max10", "as fast as the model writes, for 10 s (then Esc)", length=None, speed=0, stop_after=10.0),
    Case("train", "training pane alone, no generation", kind="train"),
    Case("fast", "training pane at 50 steps/s (a GPU's rate; fed in-process, see below)", 38, 18, kind="fast"),
    Case("idle", "idle", kind="idle"),
)


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.tmp = Path(args.keep or tempfile.mkdtemp(prefix="chargen-wire-"))
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.tmux = Tmux(self.tmp)
        self.code = os.environ.get("PYTHONPATH") or str(ROOT)

    def app_command(self, home: Path, extra: list[str]) -> str:
        env = {"HOME": home, "XDG_CONFIG_HOME": home / "config", "XDG_DATA_HOME": home / "data",
               "XDG_CACHE_HOME": home / "cache", "CHARGEN_HOME": home / "chargen", "PYTHONPATH": self.code,
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        # COLORTERM unset: ssh does not forward it, so over a link the app draws with 256 colours.
        assigns = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in env.items())
        args = " ".join(shlex.quote(a) for a in extra)
        return f"env -u COLORTERM -u TMUX {assigns} {shlex.quote(sys.executable)} -m chargen_tui {args}"

    def start_app(self, case: Case, extra: list[str] = ()) -> Pane:
        home = self.tmp / case.key
        shutil.rmtree(home, ignore_errors=True)
        (home / "config" / "chargen").mkdir(parents=True)
        settings = {"speed": case.speed, "colour": case.colour, "length": case.length, "stop": []}
        (home / "config" / "chargen" / "settings.json").write_text(json.dumps(settings))
        pane = Pane(self.tmux, self.app_command(home, list(extra)), case.width, case.height, home / "wire.bin")
        pane.go()
        pane.wait_for(lambda s: " · idle" in s.splitlines()[0] and "vocab" in s, "the model and corpus to load")
        pane.wait_quiet(1.0)
        return pane

    # --- cases ----------------------------------------------------------------------------------------------------
    def generate(self, case: Case) -> tuple[Result, str]:
        pane = self.start_app(case)
        try:
            pane.keys("The ", literal=True)
            pane.wait_quiet(0.5)
            window = Window(pane)
            window.start()
            start = time.monotonic()
            pane.keys("Enter")
            last_look, seen, stopped = 0.0, None, False
            while seen is None:
                time.sleep(0.05)
                window.sample()
                if case.stop_after and not stopped and time.monotonic() - start >= case.stop_after:
                    pane.keys("Escape")
                    stopped = True
                if time.monotonic() - last_look >= 0.1:
                    last_look = time.monotonic()
                    seen = END.search(pane.screen())
                if time.monotonic() - start > 300:
                    raise SystemExit(f"{case.label}: the generation did not end within 300 s")
            seconds = time.monotonic() - start
            pane.wait_quiet(0.5)
            window.sample()
            check = self.check_screen(pane)
            text, chars = self.exported(pane, case)
            result = window.result(case.label, chars, seconds)
            result.note = check
            return result, text
        finally:
            pane.close()

    def check_screen(self, pane: Pane) -> str:
        """The screen drawn change by change against the same screen drawn whole (F1 opens help, Esc closes it)."""
        before, plain = pane.screen(colours=True), pane.screen()
        pane.keys("F1")
        pane.wait_for(lambda s: s != plain, "the help screen", timeout=10, every=0.05)
        pane.wait_quiet(0.3)
        pane.keys("Escape")
        pane.wait_for(lambda s: s == plain, "the help screen to close", timeout=30, every=0.05)
        pane.wait_quiet(0.5)
        after = pane.screen(colours=True)
        if looks(after) == looks(before):
            return "screen ok"
        rows = [i for i, (a, b) in enumerate(zip(looks(before), looks(after))) if a != b]
        (pane.capture.parent / "drawn.txt").write_text(before)
        (pane.capture.parent / "redrawn.txt").write_text(after)
        return f"STALE CELLS in rows {rows[:8]}"

    def exported(self, pane: Pane, case: Case) -> tuple[str, int]:
        """The generated text (for `cat`) and how many characters were generated, from the app's export (ctrl+s)."""
        folder = self.tmp / case.key / "chargen" / "exports"
        pane.keys("C-s")
        deadline = time.monotonic() + 60
        while not list(folder.glob("*.json")):
            if time.monotonic() > deadline:
                raise SystemExit("the session export (ctrl+s) did not appear")
            time.sleep(0.1)
        time.sleep(0.2)
        generation = json.loads(next(folder.glob("*.json")).read_text())["generations"][-1]
        return generation["text"], generation["chars"]

    def cat(self, text: str, case: Case) -> Result:
        folder = self.tmp / f"cat-{case.key}"
        folder.mkdir(exist_ok=True)
        (folder / "text.txt").write_text(text)
        pane = Pane(self.tmux, f"cat {shlex.quote(str(folder / 'text.txt'))}", case.width, case.height,
                    folder / "wire.bin")
        try:
            window = Window(pane)
            window.start()
            pane.go()
            deadline = time.monotonic() + 30
            while pane.size < len(text.encode()) and time.monotonic() < deadline:  # cat may take a moment to start
                time.sleep(0.05)
            pane.wait_quiet(0.5)
            window.sample()
            return window.result(f"`cat` of the same {len(text):,} characters", len(text), 0.0)
        finally:
            pane.close()

    def train(self, case: Case) -> Result:
        corpus = self.tmp / "corpus.txt"
        corpus.write_text(tiny_corpus())
        pane = self.start_app(case, ["--corpus", str(corpus)])
        try:
            pane.keys("F2")
            pane.wait_for(lambda s: STEP.search(s) is not None, "the first training step", timeout=300)
            time.sleep(6)  # the "training started" toast fades
            window = Window(pane)
            first = steps(pane.screen())
            window.start()
            start = time.monotonic()
            while time.monotonic() - start < self.args.train_seconds:
                time.sleep(0.1)
                window.sample()
            seconds = time.monotonic() - start
            rate = (steps(pane.screen()) - first) / seconds
            result = window.result(case.label, 0, seconds)
            result.note = f"{rate:.2f} steps/s"
            return result
        finally:
            pane.close()

    def idle(self, case: Case) -> Result:
        pane = self.start_app(case)
        try:
            window = Window(pane)
            window.start()
            start = time.monotonic()
            while time.monotonic() - start < self.args.idle_seconds:
                time.sleep(0.1)
                window.sample()
            return window.result(case.label, 0, time.monotonic() - start)
        finally:
            pane.close()


def steps(screen: str) -> int:
    """The global step the training pane shows ("epoch 3/20  step 7/9" is step 2 × 9 + 7)."""
    found = STEP.search(screen)
    if found is None:
        return 0
    epoch, step, per_epoch = map(int, found.groups())
    return (epoch - 1) * per_epoch + step


def tiny_corpus(chars: int = 60_000) -> str:
    """Words in sentences, fixed seed: a corpus small enough that epochs end while the bench watches."""
    words = ("the of and to in that is it was he for on are as with his they at be this from have or by one had "
             "not but what all were when we there can an your which their said if do will each about how up out "
             "them then she many some so these would other into has more her two like him see time could no make "
             "than first been its who now people my made over did down only way find use may water long little "
             "very after words called just where most know").split()
    rng, out, size = random.Random(0), [], 0
    while size < chars:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(5, 14))).capitalize() + ". "
        if rng.random() < 0.15:
            sentence += "\n"
        out.append(sentence)
        size += len(sentence)
    return "".join(out)


def table(results: list[Result]) -> str:
    rows = ["| case | chars | bytes | bytes/char | bytes/s | peak bytes in 1 s | zlib | note |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        per_char = f"{r.per_char:,.1f}" if r.chars else "–"
        ratio = f"{r.compressed / r.bytes:.1%}" if r.bytes else "–"
        per_second = f"{r.per_second:,.0f}" if r.seconds else "–"
        rows.append(f"| {r.label} | {r.chars:,} | {r.bytes:,} | {per_char} | {per_second} | {r.peak:,.0f} | "
                    f"{ratio} | {r.note} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated cases: " + ",".join(c.key for c in CASES))
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--keep", help="keep the captured streams and homes in this folder")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("bench/wire.py: error: needs tmux", file=sys.stderr)
        return 2
    only = set(args.only.split(",")) if args.only else {c.key for c in CASES}
    unknown = only - {c.key for c in CASES}
    if unknown:
        print(f"bench/wire.py: error: unknown case(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    bench = Bench(args)
    print(f"code: {bench.code}; captures in {bench.tmp}", flush=True)
    results: list[Result] = []
    print(table([]), flush=True)
    printed = 0
    try:
        for case in CASES:
            if case.key not in only:
                continue
            if case.kind == "generate":
                result, text = bench.generate(case)
                results.append(result)
                if case.key in ("100x30", "scroll"):
                    results.append(bench.cat(text, case))
            elif case.kind == "train":
                results.append(bench.train(case))
            elif case.kind == "fast":
                results.append(fast_training(case, bench.code))
            else:
                results.append(bench.idle(case))
            for row in table(results).splitlines()[2 + printed:]:
                print(row, flush=True)
            printed = len(results)
    finally:
        bench.tmux.kill_server()
        if not args.keep:
            shutil.rmtree(bench.tmp, ignore_errors=True)
    total = sum(r.bytes for r in results if not r.label.startswith("`cat`"))
    packed = sum(r.compressed for r in results if not r.label.startswith("`cat`"))
    if total:
        print(f"\nzlib (what `ssh -C` does) sends {packed / total:.1%} of the app's bytes above: "
              f"{total:,} -> {packed:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
