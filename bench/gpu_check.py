"""GPU check for a lent accelerator machine: device, cuDNN LSTM path, training targets/s, generation chars/s, and
training in its own process (only the trainer touches the GPU: its starter never imports TensorFlow).

    python bench/gpu_check.py [--corpus nietzsche] [--steps 30] [--batches 64,256,1024] [--json]

Runs in a few minutes. On a CPU-only machine it still runs (and says the cuDNN path is not taken).
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # as chargen's trainers: leave GPU memory to the one it starts
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from chargen_core.config import ModelConfig, TrainConfig  # noqa: E402
from chargen_core.data import Vocab, load_corpus, sequence_dataset  # noqa: E402
from chargen_core.generate import Generator, SamplerSettings  # noqa: E402
from chargen_core.model import build_with_precision, compile_model  # noqa: E402
from chargen_core.train import describe_device, resolve_precision  # noqa: E402



def cudnn_ops(model, batch: int, seq_len: int) -> list[str]:
    """Op types in the traced forward pass that belong to cuDNN's fused RNN kernels."""
    fn = tf.function(lambda x: model(x, training=False))
    graph = fn.get_concrete_function(tf.TensorSpec((batch, seq_len), tf.int32)).graph
    found = {op.type for op in graph.get_operations() if "Cudnn" in op.type}
    for function in graph._functions.values():  # the LSTM's loop body is a nested function
        found.update(node.op for node in function.definition.node_def if "Cudnn" in node.op)
    return sorted(found)


def train_speed(ids: np.ndarray, vocab_size: int, batch: int, steps: int, precision: str) -> dict:
    cfg = ModelConfig()
    model = build_with_precision(cfg, vocab_size, precision)
    compile_model(model, cfg, TrainConfig(batch_size=batch))
    ds = sequence_dataset(ids, cfg.seq_len, batch, shuffle=True, seed=0).repeat().prefetch(tf.data.AUTOTUNE)
    it = iter(ds)
    for _ in range(3):  # tracing and autotuning happen here
        model.train_on_batch(*next(it))
    start = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(*next(it))
    float(np.asarray(loss).ravel()[0])  # wait for the device
    seconds = time.perf_counter() - start
    return {"batch": batch, "steps": steps, "seconds": seconds,
            "targets_per_second": steps * batch * cfg.seq_len / seconds, "cudnn_ops": cudnn_ops(model, batch, 16)}


def generation_speed(ids: np.ndarray, vocab: Vocab, length: int) -> dict:
    cfg = ModelConfig()
    model = build_with_precision(cfg, vocab.size, "float32")
    gen = Generator.from_model(model, vocab, cfg)
    prompt = vocab.decode(ids[:1000])
    start = time.perf_counter()
    first = None
    for i, _ in enumerate(gen.stream(prompt, SamplerSettings(), length, seed=0)):
        if i == 0:
            first = time.perf_counter() - start
    seconds = time.perf_counter() - start
    return {"chars": length, "chars_per_second": length / seconds, "first_char_ms": first * 1000}


# Run in a fresh interpreter: the starter of a background trainer, as the app is. It must never import TensorFlow.
STARTER = r"""
import json, sys, time
from pathlib import Path
from chargen_core.train import (EventLogFollower, TrainingFailed, TrainingFinished, TrainingStarted,
                                launch_training)
run, corpus = Path(sys.argv[1]), sys.argv[2]
launched = launch_training(["train", "--corpus", corpus, "--epochs", "1", "--steps-per-epoch", "20",
                            "--preview-length", "0"], run)
follower, events = EventLogFollower(run), []
deadline = time.monotonic() + 900
while launched.process.poll() is None and time.monotonic() < deadline:
    events += follower.poll()
    time.sleep(0.2)
if launched.process.poll() is None:
    launched.process.kill()
events += follower.poll()
started = next((e for e in events if isinstance(e, TrainingStarted)), None)
end = next((e for e in events if isinstance(e, (TrainingFinished, TrainingFailed))), None)
print(json.dumps({"returncode": launched.process.wait(), "command": launched.command,
                  "device": started.device if started else None, "end": getattr(end, "reason", None),
                  "starter_imported": sorted(m for m in ("tensorflow", "keras") if m in sys.modules)}))
"""


def process_path(corpus: str, gpus: int) -> dict:
    """A short training started through launch_training by a fresh starter process, followed to its end."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CHARGEN_HOME": home, "PYTHONPATH": str(root)}
        proc = subprocess.run([sys.executable, "-c", STARTER, str(Path(home) / "run"), corpus], capture_output=True,
                              text=True, env=env, timeout=1000)
        log = (Path(home) / "run" / "train.log")
        tail = log.read_text(errors="replace").splitlines()[-5:] if log.exists() else []
    try:
        row = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"ok": False, "error": proc.stderr[-2000:], "log_tail": tail}
    on_gpu = row["device"] is not None and (gpus == 0 or row["device"] != "CPU")
    row["ok"] = row["returncode"] == 0 and row["end"] == "completed" and not row["starter_imported"] and on_gpu
    row["log_tail"] = [] if row["ok"] else tail
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="nietzsche", help="any chargen corpus source (default: nietzsche)")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per batch size")
    parser.add_argument("--batches", default="64,256,1024")
    parser.add_argument("--length", type=int, default=20000, help="characters generated for the speed test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    gpus = tf.config.list_physical_devices("GPU")
    precision = resolve_precision("auto", gpus)
    corpus = load_corpus(args.corpus)
    vocab = Vocab.from_text(corpus.text)
    ids = vocab.encode(corpus.text)
    report = {"device": describe_device(gpus), "gpus": len(gpus), "tensorflow": tf.__version__,
              "built_with_cuda": tf.test.is_built_with_cuda(), "precision": precision, "training": []}
    print(f"device: {report['device']}  tensorflow {tf.__version__}  cuda build: {report['built_with_cuda']}  "
          f"precision (auto): {precision}", flush=True)
    for batch in (int(b) for b in args.batches.split(",")):
        row = train_speed(ids, vocab.size, batch, args.steps, precision)
        report["training"].append(row)
        path = "cuDNN (" + ", ".join(row["cudnn_ops"]) + ")" if row["cudnn_ops"] else "generic loop (no cuDNN op)"
        print(f"train batch {batch:5d}: {row['targets_per_second']:12,.0f} targets/s   LSTM path: {path}",
              flush=True)
    report["generation"] = generation_speed(ids, vocab, args.length)
    g = report["generation"]
    print(f"generation (numpy step, batch 1): {g['chars_per_second']:,.0f} chars/s, first char "
          f"{g['first_char_ms']:.1f} ms after a 1,000-char prompt", flush=True)
    p = report["process"] = process_path(args.corpus, len(gpus))
    print(f"training in its own process: {'ok' if p['ok'] else 'FAILED'}: trainer on {p.get('device')}, "
          f"ended {p.get('end')}, starter imported {p.get('starter_imported') or 'no TensorFlow'}", flush=True)
    for line in p.get("log_tail") or []:
        print(f"  | {line}", flush=True)
    if args.json:
        print(json.dumps(report))
    return 0 if p["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
