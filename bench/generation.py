"""Generation speed: the stepped numpy generator vs the tutorial's model.predict loop, side by side.

    python bench/generation.py [--run RUN_DIR] [--units 512] [--layers 1] [--length 5000] [--json]

Prints chars/s at batch 1, time to the first char after a 1,000-char prompt, compare-mode chars/s (all 12
strategies together), a compiled tf.function step for reference, and the speed-up over the tutorial.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from chargen_core.config import ModelConfig  # noqa: E402
from chargen_core.generate import Generator  # noqa: E402
from chargen_core.model import build_model  # noqa: E402
from chargen_core.sampling import SamplerSettings  # noqa: E402
from chargen_core.tutorial import tutorial_loop  # noqa: E402
from chargen_core.vocab import Vocab  # noqa: E402

NIETZSCHE = Path("/work/shared/corpora/nietzsche.txt")


def corpus_text() -> str:
    if NIETZSCHE.is_file():
        return NIETZSCHE.read_text(encoding="utf-8")
    from chargen_core.corpus import load_corpus

    return load_corpus("builtin").text


def best_of(repeats: int, fn):
    return [fn() for _ in range(repeats)]


def bench_generator(gen: Generator, prompt: str, length: int, repeats: int) -> dict:
    settings = SamplerSettings()  # temperature 0.8, the default
    runs = best_of(repeats, lambda: gen.generate(prompt[:40], settings, length, seed=0))
    greedy = best_of(repeats, lambda: gen.generate(prompt[:40], SamplerSettings("greedy"), length, seed=0))
    first = best_of(repeats, lambda: gen.generate(prompt, settings, 1, seed=0).first_char_ms)
    start = time.perf_counter()
    compare = gen.compare(prompt[:40], length // 10, seed=0)
    elapsed = time.perf_counter() - start
    return {
        "chars_per_second": max(r.chars_per_second for r in runs),
        "greedy_chars_per_second": max(r.chars_per_second for r in greedy),
        "first_char_ms": statistics.median(first),
        "compare_chars_per_second": sum(r.chars for _, r in compare) / elapsed,
    }


def bench_tutorial(model, vocab: Vocab, prompt: str, chars: int) -> dict:
    settings = SamplerSettings("temperature", temperature=1.0)
    start = time.perf_counter()
    stream = tutorial_loop(model, vocab, prompt, settings, chars + 1, seed=0)
    next(stream)  # the first predict call also traces the function
    first = time.perf_counter()
    count = sum(1 for _ in stream)
    return {"chars_per_second": count / (time.perf_counter() - first), "first_char_ms": (first - start) * 1000}


def bench_tf_step(gen: Generator, steps: int = 500) -> float:
    """Steps/s of the same LSTM step as a compiled tf.function (the alternative to the numpy port)."""
    import tensorflow as tf

    net = gen._net
    fused = [tf.constant(f) for f in net.fused]
    table, u = tf.constant(net.table), net.units

    @tf.function(jit_compile=True)
    def step(idx, hs, cs):
        z = tf.gather(table, idx) + hs[0] @ fused[0][:-1, : 4 * u]
        new_h, new_c, out = [], [], None
        for layer in range(net.layers):
            if layer:
                z = out + hs[layer] @ fused[layer][:-1, : 4 * u]
            t = tf.tanh(z)
            gates = 0.5 * t[:, : 3 * u] + 0.5
            c = gates[:, u: 2 * u] * cs[layer] + gates[:, :u] * t[:, 3 * u:]
            h = gates[:, 2 * u:] * tf.tanh(c)
            out = h @ fused[layer][:-1, 4 * u:] + fused[layer][-1, 4 * u:]
            new_h.append(h)
            new_c.append(c)
        return out, new_h, new_c

    hs = [tf.zeros((1, u)) for _ in range(net.layers)]
    cs = [tf.zeros((1, u)) for _ in range(net.layers)]
    idx = tf.constant([1])
    out, hs, cs = step(idx, hs, cs)
    start = time.perf_counter()
    for _ in range(steps):
        out, hs, cs = step(idx, hs, cs)
        int(tf.argmax(out[0]))  # the sampled id has to come back to Python every char
    return steps / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a run directory to benchmark instead of a fresh default model")
    parser.add_argument("--units", type=int, default=None, help="units of the fresh model (ModelConfig default)")
    parser.add_argument("--layers", type=int, default=None, help="layers of the fresh model (ModelConfig default)")
    parser.add_argument("--length", type=int, default=5000, help="chars per timed generation")
    parser.add_argument("--prompt-chars", type=int, default=1000, help="prompt length for time to first char")
    parser.add_argument("--tutorial-chars", type=int, default=60, help="chars timed for the tutorial loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    text = corpus_text()
    prompt = text[1000: 1000 + args.prompt_chars]
    if args.run:
        gen = Generator.from_run(args.run)
        label = f"run {args.run}"
    else:
        given = {k: v for k, v in (("units", args.units), ("layers", args.layers)) if v is not None}
        cfg = ModelConfig(**given)
        vocab = Vocab.from_text(text)
        gen = Generator.from_model(build_model(cfg, vocab.size), vocab, cfg)
        label = f"fresh lstm {cfg.layers}x{cfg.units} (embedding {cfg.embedding_dim}), vocab {vocab.size}"
    seed_cfg = ModelConfig(arch="seed")
    seed_model = build_model(seed_cfg, gen.vocab.size)
    seed_gen = Generator.from_model(seed_model, gen.vocab, seed_cfg)

    fast = bench_generator(gen, prompt, args.length, args.repeats)
    seed_fast = bench_generator(seed_gen, prompt, max(args.length // 10, 100), args.repeats)
    tutorial = bench_tutorial(seed_model, gen.vocab, prompt, args.tutorial_chars)
    tf_step = bench_tf_step(gen)
    ratio = fast["chars_per_second"] / tutorial["chars_per_second"]
    rows = [
        ("chargen stepped (numpy), batch 1", fast),
        ("seed model, numpy window re-run", seed_fast),
        ("tutorial loop (model.predict/char)", tutorial),
    ]
    print(f"model: {label}; prompt {len(prompt)} chars; cpus {os.cpu_count()}")
    print(f"{'path':38s} {'chars/s':>10s} {'greedy c/s':>10s} {'first ms':>9s} {'compare c/s':>12s}")
    for name, r in rows:
        print(f"{name:38s} {r['chars_per_second']:10,.0f} {r.get('greedy_chars_per_second', 0):10,.0f} "
              f"{r['first_char_ms']:9.1f} {r.get('compare_chars_per_second', 0):12,.0f}")
    print(f"{'compiled tf.function step (XLA)':38s} {tf_step:10,.0f}   (steps/s, step + argmax only)")
    print(f"speed-up over the tutorial loop: {ratio:,.0f}x")
    if args.json:
        print(json.dumps({"model": label, "fast": fast, "seed_fast": seed_fast, "tutorial": tutorial,
                          "tf_step_per_second": tf_step, "speedup": ratio}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
