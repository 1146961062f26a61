"""The speed probe behind --size auto: train the reference shape for a few seconds and measure targets/s.

It runs the real training step (CarryLSTM with the carried state, the loop unrolled on a CPU as the trainer
does, Adam with clipping) on random ids, so what it measures is what the trainer will get on this machine,
under whatever else is running on it now.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..config import ModelConfig, TrainConfig
from . import sizing


@dataclass(frozen=True)
class ProbeResult:
    targets_per_second: float
    seconds: float  # wall time in all: building, tracing and the timed steps
    steps: int  # timed steps
    device: str


def run_probe(vocab_size: int, device: str, *, seconds: float | None = None, seed: int | None = None) -> ProbeResult:
    """Train 1 x probe_units of the device's profile on random ids; time `seconds` (PROBE_SECONDS) of steps."""
    from ..model import build_model, carry_layers, compile_model  # Keras: only when a probe runs

    start = time.perf_counter()
    profile = sizing.device_profile(device)
    seconds = sizing.PROBE_SECONDS if seconds is None else seconds
    cfg = ModelConfig(units=profile.probe_units, layers=1, seq_len=profile.seq_len)
    model = build_model(cfg, vocab_size)
    compile_model(model, cfg, TrainConfig(batch_size=profile.batch_size))
    for layer in carry_layers(model):
        layer.start_carry(profile.batch_size, unroll=device == "CPU" and cfg.seq_len <= 64)
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab_size, size=(profile.batch_size, cfg.seq_len), dtype=np.int32)
    y = np.roll(x, -1, axis=1)
    model.train_on_batch(x, y)  # traces the step: counted in the wall time, not in the speed
    model.train_on_batch(x, y)
    steps, timed_start = 0, time.perf_counter()
    while True:
        model.train_on_batch(x, y)
        steps += 1
        elapsed = time.perf_counter() - timed_start
        if elapsed >= seconds and steps >= 3:
            break
    tps = steps * profile.batch_size * cfg.seq_len / elapsed
    return ProbeResult(tps, time.perf_counter() - start, steps, device)
