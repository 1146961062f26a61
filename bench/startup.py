"""Start-up: wall time and peak memory (RSS) of a fresh process, side by side with the path it replaced.

    python bench/startup.py [--repeats 7] [--only NAME ...] [--module] [--json]

Each case starts its own child process, repeats times, the cases taking turns so a change in the machine's load
falls on all of them alike (one uncounted warm-up each first: the page cache). Wall time is from the start of the
child to its exit, peak RSS is the child's own ru_maxrss (os.wait4 on its pid). The medians are compared with the
issue's targets.

Cases (CASES below; add one with register(Case(...))):
  generate        `chargen generate --length 200` on the bundled model: numpy weights, no TensorFlow
  generate-keras  the path it replaces: import Keras, RunDir.load_model(best.keras), Generator.from_model, 200 chars
  app-ready       the app from its process start to the bundled model ready to stream; its RSS then
  app-ready-old   the same for the app before issue 24 (--old-tree: a worktree of 1e0daab)
  app-train       the app's RSS while a run trains (F2), sampled for a few seconds of training; the trainer is a
                  process of its own (its RSS shown apart, as trainer_rss_mb)
  app-train-old   the same for the old app, which trains in a thread of its own process
The app cases drive the app headless with Textual's pilot (bench/app_probe.py): no terminal is drawn on.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


@dataclass(frozen=True)
class Sample:
    wall_s: float
    rss_mb: float  # peak resident set of the child, MiB
    extra: dict = field(default_factory=dict)  # other figures a case reports (shown, not compared)


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    argv: Callable[[argparse.Namespace], list[str]]  # the child's command line
    targets: dict[str, float] = field(default_factory=dict)  # "wall_s" / "rss_mb" -> the most allowed
    measure: Callable[["Case", argparse.Namespace], Sample] | None = None  # None: run the child to its exit
    env: dict[str, str] = field(default_factory=dict)


CASES: dict[str, Case] = {}


def register(case: Case) -> Case:
    CASES[case.name] = case
    return case


def run_to_exit(case: Case, args: argparse.Namespace) -> Sample:
    """Start the child, wait for it with os.wait4: its wall time and its own peak RSS (not this process's)."""
    env = {**os.environ, **QUIET_TF, **case.env}
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty child cannot block on a full pipe
        start = time.perf_counter()
        proc = subprocess.Popen(case.argv(args), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        if proc.returncode != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{case.name}: {' '.join(case.argv(args))} exited {proc.returncode}\n{detail}")
    return Sample(wall, usage.ru_maxrss / 1024)  # ru_maxrss is KiB on Linux


def chargen_command(args: argparse.Namespace) -> list[str]:
    """The console script beside this Python (what a user types), or `python -m chargen_core` with --module."""
    script = Path(sys.executable).with_name("chargen")
    if script.is_file() and not args.module:
        return [str(script)]
    return [sys.executable, "-m", "chargen_core"]


KERAS_PATH = """
import keras  # the old path: TensorFlow and Keras first
from chargen_core.generate import Generator, SamplerSettings
from chargen_core.runs import RunDir, default_run_path
run = RunDir.open(default_run_path())
gen = Generator.from_model(run.load_model("best"), run.vocab, run.model_config, run.corpus_config.standardize)
print(gen.generate("", SamplerSettings(), 200).text)
"""

register(Case("generate", "chargen generate --length 200 (bundled model, numpy weights)",
              lambda args: [*chargen_command(args), "generate", "--length", "200"],
              targets={"wall_s": 1.0, "rss_mb": 200}))
register(Case("generate-keras", "the Keras-loading path it replaces (load_model + from_model, 200 chars)",
              lambda args: [sys.executable, "-c", KERAS_PATH]))


def app_probe(tree: Callable[[argparse.Namespace], Path], mode: str) -> Callable[[Case, argparse.Namespace], Sample]:
    """A measure for the app cases: bench/app_probe.py on a tree; wall time from the child's start (passed to it)
    to the model ready; RSS as the probe reads /proc/self/status at that moment (ready) or while training."""
    def measure(case: Case, args: argparse.Namespace) -> Sample:
        root = tree(args)
        if not (root / "tui" / "app.py").is_file():
            raise SystemExit(f"{case.name}: no app in {root} (git worktree add {root} 1e0daab)")
        env = {**os.environ, **QUIET_TF, "CHARGEN_PROBE_START": repr(time.time())}
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "app_probe.py"), str(root), mode], cwd=root,
                              env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise SystemExit(f"{case.name}: the probe failed\n{done.stderr[-2000:]}")
        facts = json.loads(lines[-1])
        rss = facts["train_rss_mb"] if mode == "train" else facts["ready_rss_mb"]
        extra = {k: round(v, 1) if isinstance(v, float) else v for k, v in facts.items()
                 if k in ("trainer_rss_mb", "ready_peak_mb", "train_peak_mb", "tensorflow")}
        return Sample(facts["ready_s"], rss, extra)

    return measure


def this_tree(args: argparse.Namespace) -> Path:
    return ROOT


def old_tree(args: argparse.Namespace) -> Path:
    return Path(args.old_tree)


for _name, _tree, _mode, _targets, _what in (
        ("app-ready", this_tree, "ready", {"wall_s": 1.5, "rss_mb": 250}, "the app: launch to the model ready to stream"),
        ("app-ready-old", old_tree, "ready", {}, "the app before issue 24: launch to the model ready"),
        ("app-train", this_tree, "train", {"rss_mb": 300}, "the app's RSS while a run trains (in its own process)"),
        ("app-train-old", old_tree, "train", {}, "the old app's RSS while a run trains (in a thread of the app)")):
    register(Case(_name, _what, lambda args: [], targets=_targets, measure=app_probe(_tree, _mode)))


def run_cases(cases: list[Case], args: argparse.Namespace) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {case.name: [] for case in cases}
    for case in cases:  # warm-up: the first start after a while reads its files from disk
        (case.measure or run_to_exit)(case, args)
    for _ in range(args.repeats):
        for case in cases:
            samples[case.name].append((case.measure or run_to_exit)(case, args))
    return samples


def summarize(case: Case, samples: list[Sample]) -> dict:
    medians = {"wall_s": statistics.median(s.wall_s for s in samples),
               "rss_mb": statistics.median(s.rss_mb for s in samples)}
    verdicts = {key: medians[key] <= limit for key, limit in case.targets.items()}
    return {"name": case.name, "description": case.description, "median": medians, "targets": case.targets,
            "met": verdicts, "samples": [asdict(s) for s in samples]}


def print_table(results: list[dict], load: tuple[float, float]) -> None:
    print(f"load average (1 min) {load[0]:.2f} before, {load[1]:.2f} after; {os.cpu_count()} CPUs")
    for result in results:
        m = result["median"]
        print(f"\n{result['name']}: {result['description']}")
        print(f"  median  {m['wall_s']:.3f} s  {m['rss_mb']:.0f} MB")
        print("  each    " + "  ".join(f"{s['wall_s']:.3f} s/{s['rss_mb']:.0f} MB" for s in result["samples"]))
        if result["samples"] and result["samples"][0].get("extra"):
            print("  also    " + "  ".join(str(s["extra"]) for s in result["samples"][:3]))
        for key, limit in result["targets"].items():
            unit = "s" if key == "wall_s" else "MB"
            print(f"  target  {key} <= {limit:g} {unit}: {'met' if result['met'][key] else 'NOT met'}")
    by_name = {r["name"]: r["median"] for r in results}
    for new_name, old_name in (("app-ready", "app-ready-old"), ("app-train", "app-train-old")):
        if {new_name, old_name} <= by_name.keys():
            new, old = by_name[new_name], by_name[old_name]
            print(f"{new_name} vs {old_name}: {old['wall_s'] / new['wall_s']:.1f}× sooner ready, "
                  f"{old['rss_mb'] / new['rss_mb']:.1f}× less memory")
    if {"generate", "generate-keras"} <= by_name.keys():
        new, old = by_name["generate"], by_name["generate-keras"]
        print(f"\ngenerate vs the Keras path: {old['wall_s'] / new['wall_s']:.1f}× faster to finish, "
              f"{old['rss_mb'] / new['rss_mb']:.1f}× less memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="counted starts per case (7)")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), help="these cases only (default: all)")
    parser.add_argument("--module", action="store_true", help="python -m chargen_core instead of the console script")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--old-tree", default="/tmp/old-app", metavar="DIR",
                        help="the app before issue 24, for the *-old cases (git worktree add DIR 1e0daab)")
    args = parser.parse_args(argv)
    cases = [CASES[name] for name in (args.only or CASES)]
    before = os.getloadavg()[0]
    samples = run_cases(cases, args)
    load = (before, os.getloadavg()[0])
    results = [summarize(case, samples[case.name]) for case in cases]
    if args.json:
        print(json.dumps({"load_average": load, "cpus": os.cpu_count(), "command": chargen_command(args),
                          "cases": results}))
    else:
        print_table(results, load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
