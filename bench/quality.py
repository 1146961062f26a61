"""Validation loss and training speed of the tutorial's model vs the default model, same time budget each.

Runs `chargen train --json` then `chargen eval --which last --json` in fresh processes and prints a table.
Usage: python bench/quality.py [--budget 150] [--corpus PATH] [--only seed,default,raw] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "nietzsche.txt"
# name -> (chargen train flags, standardize); the seed model gets the tutorial's recipe from `--arch seed`
# (batch 64, Adam at its default rate, constant, 20-char windows every 3 chars).
CASES = {
    "seed": (["--arch", "seed"], "seed"),
    "default": ([], "seed"),
    "raw": ([], "none"),
}
TARGETS = {"default": 1.35, "raw": 1.55}  # nats/char the default model should reach


def chargen(*argv: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "chargen_core", *argv], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"chargen {' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_case(name: str, corpus: Path, budget: float, out: Path) -> dict:
    flags, standardize = CASES[name]
    run_dir = out / f"{name}-{time.strftime('%H%M%S')}"
    print(f"[{name}] training for {budget:g} s -> {run_dir}", file=sys.stderr, flush=True)
    train = chargen("train", "--corpus", str(corpus), "--standardize", standardize, *flags, "--time-budget",
                    str(budget), "--epochs", "1000", "--preview-length", "0", "--seed", "1", "--run-dir",
                    str(run_dir), "--json")
    # Score the model as it is at the end of the budget (a budget stop can land mid-epoch).
    evaluation = chargen("eval", str(run_dir), "--which", "last", "--json")
    return {"case": name, "arch": "seed" if name == "seed" else "lstm", "standardize": standardize,
            "params": train["params"], "epochs": train["epochs"], "steps": train["steps"],
            "train_seconds": train["train_seconds"], "targets_per_second": train["targets_per_second"],
            "val_nats": evaluation["nats_per_char"], "val_bpc": evaluation["bits_per_char"],
            "run_dir": str(run_dir)}


def table(rows: list[dict]) -> str:
    seed_speed = next((r["targets_per_second"] for r in rows if r["case"] == "seed"), None)
    lines = ["| arch | standardize | params | epochs | steps | val nats/char | val bpc | targets/s | × seed speed |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r['targets_per_second'] / seed_speed:.1f}×" if seed_speed else "n/a"
        target = TARGETS.get(r["case"])
        mark = "" if target is None else (" ✓" if r["val_nats"] <= target else f" (target ≤ {target})")
        lines.append(f"| {r['arch']} | {r['standardize']} | {r['params']:,} | {r['epochs']} | {r['steps']} | "
                     f"{r['val_nats']:.3f}{mark} | {r['val_bpc']:.3f} | {r['targets_per_second']:,.0f} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=150.0, help="training seconds per model (150)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus file (nietzsche.txt)")
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases: seed,default,raw")
    parser.add_argument("--out", type=Path, default=None, help="keep the runs here (default: a temp folder)")
    args = parser.parse_args()
    if not args.corpus.is_file():
        parser.error(f"corpus not found: {args.corpus}")
    cases = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    with tempfile.TemporaryDirectory(prefix="chargen-bench-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        rows = [run_case(name, args.corpus, args.budget, out) for name in cases]
    print(f"corpus {args.corpus.name}, {args.budget:g} s training budget per model\n")
    print(table(rows))
    for row in rows:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
