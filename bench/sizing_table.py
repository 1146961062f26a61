"""What `--size auto` picks for a few probe speeds and budgets: the rule's arithmetic, printed as a Markdown table.

No training happens here: the probe's targets/s are given, not measured (the rule's own measurements are in
bench/README.md). Default corpus: raw Nietzsche's training split.

    python bench/sizing_table.py
    python bench/sizing_table.py --train-chars 100000000 --vocab 200
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chargen_core.train import choose  # noqa: E402

ROWS = (("CPU", 15_000, (150, 600, 3600)), ("CPU", 33_000, (150, 600, 3600)), ("CPU", 50_000, (150, 190, 600, 3600)),
        ("GPU", 200_000, (150, 600, 3600)), ("GPU", 1_000_000, (150, 600)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-chars", type=int, default=540_826, help="training characters (raw Nietzsche)")
    parser.add_argument("--vocab", type=int, default=86, help="symbols in the vocabulary")
    parser.add_argument("--probe-seconds", type=float, default=10.0)
    args = parser.parse_args()
    print("| device | probe targets/s | budget s | layers × units | batch × seq | lr | dropout | recurrent dropout "
          "| weight decay | plateau decay | final decay | predicted targets/s | epochs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for device, tps, budgets in ROWS:
        for budget in budgets:
            s = choose(budget=budget, probe_tps=tps, probe_seconds=args.probe_seconds,
                       train_chars=args.train_chars, vocab_size=args.vocab, device=device)
            print(f"| {device} | {tps:,} | {budget} | {s.layers} × {s.units} | {s.batch_size} × {s.seq_len} "
                  f"| {s.learning_rate:g} | {s.dropout:g} | {s.recurrent_dropout:g} | {s.weight_decay:g} | {s.plateau_decay or '—'} "
                  f"| {s.decay_fraction:.0%} | {s.predicted_targets_per_second:,.0f} | {s.planned_epochs:.0f} |")


if __name__ == "__main__":
    main()
