"""Validation loss per training time: `--size auto` side by side with the tutorial's model, in the same run.

Runs `chargen train --json` then `chargen eval --which last --json` in fresh processes and prints a table.
Machines differ by 2x or more, so the budgets can be scaled to the machine the targets were set on: before
each lstm case the tutorial's model trains for --reference-seconds and its targets/s is measured; with
--scale auto, that case's budget is multiplied by REFERENCE_SEED_SPEED / measured (a machine, or a load, that
trains the tutorial's model at half the reference speed gets twice the time). Every figure is printed.

Usage: python bench/quality.py [--budget 150] [--corpus nietzsche] [--only seed,auto,raw] [--scale auto|1]
       [--reference-seconds 40] [--max-seconds S] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The machine the targets were set on trained the tutorial's model at about 6,000 targets/s.
REFERENCE_SEED_SPEED = 6000.0
# name -> (chargen train flags, standardize). The seed model gets the tutorial's recipe from `--arch seed`
# (batch 64, Adam at its default rate, constant, 20-char windows every 3 chars); the others get --size auto,
# the default whenever a time budget is given.
CASES = {
    "seed": (["--arch", "seed"], "seed"),
    "auto": ([], "seed"),
    "raw": ([], "none"),
    "default": (["--size", "default"], "seed"),  # the fixed 1 x 256 defaults, for comparison
    "auto-d2": (["--dropout", "0.2"], "seed"),  # --size auto with dropout forced to 0.2 (an experiment)
    "auto-decay50": (["--decay-fraction", "0.5"], "seed"),  # --size auto, half the steps decaying (experiment)
    # The carried state without row resets (before models learned to start from a zero state), for comparison.
    "raw-noreset": (["--carry-reset", "0"], "none"),
    "auto-noreset": (["--carry-reset", "0"], "seed"),
}
TARGETS = {("auto", 150): 1.30, ("auto-d2", 150): 1.30, ("auto-decay50", 150): 1.30, ("raw", 150): 1.33, ("raw", 600): 1.27, ("default", 150): 1.35}


def chargen(*argv: str) -> tuple[dict, str]:
    proc = subprocess.run([sys.executable, "-m", "chargen_core", *argv], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"chargen {' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def train(name: str, corpus: str, budget: float, out: Path, *, evaluate: bool = True) -> dict:
    flags, standardize = CASES[name]
    run_dir = out / f"{name}-{time.strftime('%H%M%S')}"
    load = os.getloadavg()[0]
    print(f"[{name}] training for {budget:.0f} s (load {load:.1f}) -> {run_dir}", file=sys.stderr, flush=True)
    result, _ = chargen("train", "--corpus", corpus, "--standardize", standardize, *flags, "--time-budget",
                        f"{budget:.1f}", "--epochs", "10000", "--preview-length", "0", "--seed", "1",
                        "--run-dir", str(run_dir), "--json")
    # Score the model as it is at the end of the budget (a budget stop can land mid-epoch).
    evaluation = (chargen("eval", str(run_dir), "--which", "last", "--json")[0] if evaluate
                  else {"nats_per_char": float("nan"), "bits_per_char": float("nan")})
    size = result.get("size") or {}
    return {"case": name, "arch": "seed" if name == "seed" else "lstm", "standardize": standardize,
            "budget": round(budget, 1), "params": result["params"], "epochs": result["epochs"],
            "steps": result["steps"], "train_seconds": result["train_seconds"],
            "targets_per_second": result["targets_per_second"], "val_nats": evaluation["nats_per_char"],
            "val_bpc": evaluation["bits_per_char"],
            "start_nats": evaluation.get("start_nats"), "start_warm_nats": evaluation.get("start_warm_nats"), "size": size, "load_before": round(load, 2),
            "run_dir": str(run_dir)}


def shape(row: dict) -> str:
    size = row["size"]
    if not size:
        return "tutorial" if row["arch"] == "seed" else "fixed default"
    extras = "".join(f", {label} {size[key]:g}" for key, label in (
        ("recurrent_dropout", "recurrent dropout"), ("weight_decay", "weight decay"), ("plateau_decay", "plateau decay"))
        if size.get(key))
    return (f"{size['layers']}x{size['units']}, {size['batch_size']}x{size['seq_len']}, lr {size['learning_rate']:g}, "
            f"dropout {size['dropout']:g}{extras}, probe {size['probe_seconds']:.1f} s")


def table(rows: list[dict], nominal: float) -> str:
    lines = ["| case | standardize | nominal s | budget s | shape | params | epochs | steps | val nats/char | "
             "first 10 from zeros / with context | targets/s | tutorial targets/s before |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        target = TARGETS.get((r["case"], int(nominal)))
        mark = "" if target is None or r["case"] == "seed" else (
            f" (target ≤ {target} ✓)" if r["val_nats"] <= target else f" (target ≤ {target}: +{r['val_nats'] - target:.3f})")
        ref = r.get("reference_speed")
        start = (f"{r['start_nats']:.3f} / {r['start_warm_nats']:.3f}" if r.get("start_nats") is not None
                 else "n/a")
        lines.append(f"| {r['case']} | {r['standardize']} | {r.get('nominal_seconds', nominal):g} | {r['budget']:g} | {shape(r)} | "
                     f"{r['params']:,} | {r['epochs']} | {r['steps']} | {r['val_nats']:.3f}{mark} | {start} | "
                     f"{r['targets_per_second']:,.0f} | {f'{ref:,.0f}' if ref else 'n/a'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=150.0, help="nominal training seconds per model (150)")
    parser.add_argument("--corpus", default="nietzsche", help="any chargen corpus source (nietzsche)")
    parser.add_argument("--only", default="seed,auto,raw", help="comma-separated cases: " + ",".join(CASES))
    parser.add_argument("--scale", default="auto", help="auto: scale each budget by the tutorial model's speed "
                        f"against {REFERENCE_SEED_SPEED:,.0f} targets/s; or a fixed factor (1: no scaling)")
    parser.add_argument("--reference-seconds", type=float, default=40.0,
                        help="seconds the tutorial's model trains before each lstm case to measure its speed")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="cap on a scaled budget (the table then shows the nominal seconds it stands for)")
    parser.add_argument("--out", type=Path, default=None, help="keep the runs here (default: a temp folder)")
    args = parser.parse_args()
    cases = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    try:
        fixed_scale = None if args.scale == "auto" else float(args.scale)
    except ValueError:
        parser.error(f"--scale must be auto or a number, got {args.scale!r}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="chargen-bench-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for name in cases:
            if name == "seed":
                row = train("seed", args.corpus, args.budget, out)
            else:
                scale, reference = fixed_scale, None
                if fixed_scale is None:
                    reference = train("seed", args.corpus, args.reference_seconds, out,
                                      evaluate=False)["targets_per_second"]
                    scale = REFERENCE_SEED_SPEED / reference
                    print(f"[{name}] tutorial model: {reference:,.0f} targets/s -> budget x {scale:.2f}",
                          file=sys.stderr, flush=True)
                budget = args.budget * scale
                if args.max_seconds and budget > args.max_seconds:
                    print(f"[{name}] scaled budget {budget:.0f} s capped at --max-seconds {args.max_seconds:g}: "
                          f"{args.max_seconds / scale:.0f} nominal seconds", file=sys.stderr, flush=True)
                    budget = args.max_seconds
                row = train(name, args.corpus, budget, out)
                row["reference_speed"], row["scale"] = reference, scale
                row["nominal_seconds"] = round(budget / scale, 1)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print(f"corpus {args.corpus}, nominal {args.budget:g} s per model, scale {args.scale} "
          f"(reference: the tutorial's model at {REFERENCE_SEED_SPEED:,.0f} targets/s)\n")
    print(table(rows, args.budget))
    for row in rows:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
