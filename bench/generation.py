"""Generation speed: the stepped numpy generator vs the tutorial's model.predict loop, side by side.

    python bench/generation.py [--corpus nietzsche] [--run RUN_DIR] [--units 512] [--layers 1] [--embedding-dim 64] [--json]

Prints chars/s at batch 1, time to the first char after a 1,000-char prompt, compare-mode chars/s (all 12
strategies together), a compiled tf.function step for reference, and the speed-up over the tutorial.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from chargen_core.config import ModelConfig  # noqa: E402
from chargen_core.data import Vocab  # noqa: E402
from chargen_core.generate import STRATEGIES, Generator, SamplerSettings, tutorial_loop  # noqa: E402
from chargen_core.model import LstmStack, architecture, build_model  # noqa: E402



def corpus_text(source: str) -> str:
    from chargen_core.data import load_corpus

    return load_corpus(source).text


def timed(fn, repeats: int = 1) -> tuple[float, float]:
    """Best (wall seconds, CPU seconds) of repeats calls. CPU time is what an idle core would need: on a
    shared machine the wall clock also counts time spent waiting for a core."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def rates(chars: int, wall: float, cpu: float) -> dict:
    return {"chars_per_second": chars / wall, "cpu_chars_per_second": chars / cpu if cpu > 0 else float("inf")}


def bench_generator(gen: Generator, prompt: str, length: int, repeats: int) -> dict:
    def run(settings, n, text):
        for _ in gen.stream(text, settings, n, seed=0):
            pass

    default, greedy = SamplerSettings(), SamplerSettings("greedy")  # temperature 0.8 is the default
    out = rates(length, *timed(lambda: run(default, length, prompt[:40]), repeats))
    out["greedy_chars_per_second"] = rates(length, *timed(lambda: run(greedy, length, prompt[:40]), repeats))[
        "chars_per_second"]
    wall, cpu = timed(lambda: run(default, 1, prompt), repeats)
    out.update(first_char_ms=wall * 1000, cpu_first_char_ms=cpu * 1000)
    compare_length = max(length // 10, 50)
    wall, cpu = timed(lambda: gen.compare(prompt[:40], compare_length, seed=0), repeats)
    out.update({f"compare_{k}": v for k, v in rates(12 * compare_length, wall, cpu).items()})
    return out


def bench_strategies(gen: Generator, prompt: str, length: int, repeats: int) -> dict:
    """Best chars/s (wall) of each strategy at batch 1, with its default settings."""
    out = {}
    for strategy in STRATEGIES:
        def run():
            for _ in gen.stream(prompt, SamplerSettings(strategy), length, seed=0):
                pass
        out[strategy] = length / timed(run, repeats)[0]
    return out


def bench_tutorial(model, vocab: Vocab, prompt: str, chars: int) -> dict:
    settings = SamplerSettings("temperature", temperature=1.0)
    wall, cpu = time.perf_counter(), time.process_time()
    stream = tutorial_loop(model, vocab, prompt, settings, chars + 1, seed=0)
    next(stream)  # the first predict call also traces the function
    first_wall, first_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = timed(lambda: sum(1 for _ in stream))
    return {**rates(chars, wall, cpu), "first_char_ms": first_wall * 1000, "cpu_first_char_ms": first_cpu * 1000}


def bench_keras_prompt(model, ids, repeats: int) -> float:
    """ms for the Keras model (a compiled tf.function) over the whole prompt: the alternative way to prime."""
    import tensorflow as tf

    forward = tf.function(lambda x: model(x, training=False))
    batch = tf.constant(ids[None])
    forward(batch)  # trace
    return timed(lambda: forward(batch).numpy(), repeats)[0] * 1000


def bench_tf_step(net: LstmStack, steps: int = 500) -> float:
    """Steps/s of the same LSTM step as a compiled tf.function (the alternative to the numpy port)."""
    import tensorflow as tf

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
    parser.add_argument("--corpus", default="nietzsche", help="prompt text and vocabulary source (default: nietzsche)")
    parser.add_argument("--run", help="a run directory to benchmark instead of a fresh default model")
    parser.add_argument("--units", type=int, default=None, help="units of the fresh model (ModelConfig default)")
    parser.add_argument("--layers", type=int, default=None, help="layers of the fresh model (ModelConfig default)")
    parser.add_argument("--embedding-dim", type=int, default=None, help="embedding width of the fresh model")
    parser.add_argument("--length", type=int, default=2000, help="chars per timed generation")
    parser.add_argument("--prompt-chars", type=int, default=1000, help="prompt length for time to first char")
    parser.add_argument("--tutorial-chars", type=int, default=60, help="chars timed for the tutorial loop")
    parser.add_argument("--repeats", type=int, default=7, help="best of N (a shared machine has bursts of load)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    text = corpus_text(args.corpus)
    prompt = text[1000: 1000 + args.prompt_chars]
    if args.run:
        from chargen_core.runs import RunDir

        run = RunDir.open(args.run)
        model = run.load_model()
        gen = Generator.from_model(model, run.vocab, run.model_config, run.corpus_config.standardize)
        label = f"run {args.run}"
    else:
        given = {k: getattr(args, k) for k in ("units", "layers", "embedding_dim") if getattr(args, k) is not None}
        cfg = ModelConfig(**given)
        vocab = Vocab.from_text(text)
        model = build_model(cfg, vocab.size)
        gen = Generator.from_model(model, vocab, cfg)
        label = f"fresh lstm {cfg.layers}x{cfg.units} (embedding {cfg.embedding_dim}), vocab {vocab.size}"
    seed_cfg = ModelConfig(arch="seed")
    seed_model = build_model(seed_cfg, gen.vocab.size)
    seed_gen = Generator.from_model(seed_model, gen.vocab, seed_cfg)

    fast = bench_generator(gen, prompt, args.length, args.repeats)
    seed_fast = bench_generator(seed_gen, prompt, max(args.length // 10, 100), args.repeats)
    strategies = bench_strategies(gen, prompt[:40], args.length, args.repeats)
    tutorial = bench_tutorial(seed_model, gen.vocab, prompt, args.tutorial_chars)
    net = architecture(gen.model_config).numpy_net(model.get_weights(), gen.model_config)
    tf_step = bench_tf_step(net) if isinstance(net, LstmStack) else float("nan")  # the fused layout of the LSTM
    keras_prompt_ms = bench_keras_prompt(model, gen.vocab.encode(prompt), args.repeats)
    ratio = fast["chars_per_second"] / tutorial["chars_per_second"]
    cpu_ratio = fast["cpu_chars_per_second"] / tutorial["cpu_chars_per_second"]
    rows = [
        ("chargen stepped (numpy), batch 1", fast),
        ("seed model, numpy window re-run", seed_fast),
        ("tutorial loop (model.predict/char)", tutorial),
    ]
    print(f"model: {label}; prompt {len(prompt)} chars; cpus {os.cpu_count()}; load {os.getloadavg()[0]:.1f}")
    print("wall = clock time; cpu = process CPU time (what an idle core needs; the machine may be shared)")
    print(f"{'path':36s} {'chars/s':>9s} {'cpu c/s':>9s} {'greedy':>8s} {'1st ms':>7s} {'cpu 1st':>7s} "
          f"{'compare':>8s} {'cpu cmp':>8s}")
    for name, r in rows:
        print(f"{name:36s} {r['chars_per_second']:9,.0f} {r['cpu_chars_per_second']:9,.0f} "
              f"{r.get('greedy_chars_per_second', 0):8,.0f} {r['first_char_ms']:7.1f} {r['cpu_first_char_ms']:7.1f} "
              f"{r.get('compare_chars_per_second', 0):8,.0f} {r.get('compare_cpu_chars_per_second', 0):8,.0f}")
    print(f"{'compiled tf.function step (XLA)':36s} {tf_step:9,.0f}  (steps/s wall: step + argmax only)")
    print(f"priming alternative: the Keras model over the {len(prompt)}-char prompt takes {keras_prompt_ms:.1f} ms "
          f"(tf.function), vs the numpy scan inside '1st ms' above")
    print("per strategy (chars/s wall, batch 1): " + ", ".join(f"{k} {v:,.0f}" for k, v in strategies.items()))
    print(f"speed-up over the tutorial loop: {ratio:,.0f}x wall, {cpu_ratio:,.0f}x cpu")
    if args.json:
        print(json.dumps({"model": label, "fast": fast, "seed_fast": seed_fast, "tutorial": tutorial, "strategies": strategies,
                          "tf_step_per_second": tf_step, "keras_prompt_ms": keras_prompt_ms, "speedup": ratio, "cpu_speedup": cpu_ratio}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
