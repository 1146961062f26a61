"""Memory a model needs against what this machine has: a model too large is refused in one line before it is
built, and running out of memory while building or training is said as plainly (bad input, not a bug)."""
from __future__ import annotations

import os
from pathlib import Path

from ..config import ModelConfig
from ..errors import ChargenError, SettingsError

# Training keeps four float32 copies of every parameter: the weights, their gradients and Adam's two moments.
TRAIN_BYTES_PER_PARAM = 16


def readable_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):  # missing, "max" (no limit), or unreadable
        return None


def available_bytes() -> int | None:
    """Memory this process could still get: the system's available memory, or a container's (cgroup) limit
    less its use when that is lower; None when the platform does not say."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    for limit, used in (("memory.max", "memory.current"),  # cgroup v2, then v1
                        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        cap, now = _read_int(Path("/sys/fs/cgroup") / limit), _read_int(Path("/sys/fs/cgroup") / used)
        if cap is not None and now is not None and cap < 1 << 60:  # v1 writes a huge number for "no limit"
            found.append(max(0, cap - now))
    return min(found) if found else None


def training_bytes(params: int) -> int:
    return params * TRAIN_BYTES_PER_PARAM


def check_fits(model_config: ModelConfig, vocab_size: int) -> None:
    """Raise SettingsError when the model's weights and optimizer state alone exceed the memory available."""
    from .architectures import count_params

    params = count_params(model_config, vocab_size)
    need, have = training_bytes(params), available_bytes()
    if have is not None and need > have:
        raise SettingsError(f"a model of {params:,} parameters needs about {readable_bytes(need)} of memory to "
                            f"train (weights, gradients and Adam's two moments) and {readable_bytes(have)} is "
                            "available: use fewer --units or --layers, or a smaller --embedding-dim")


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    try:
        import tensorflow as tf
    except ImportError:
        return False
    return isinstance(exc, tf.errors.ResourceExhaustedError)


def memory_error(exc: BaseException, model_config: ModelConfig, vocab_size: int) -> BaseException:
    """A SettingsError in one line when exc is running out of memory (TensorFlow's or Python's); else exc."""
    if isinstance(exc, ChargenError) or not is_out_of_memory(exc):
        return exc
    from .architectures import count_params

    params = count_params(model_config, vocab_size)
    return SettingsError(f"out of memory for a model of {params:,} parameters (about "
                         f"{readable_bytes(training_bytes(params))} to train, more for each batch): use fewer "
                         "--units or --layers, or a smaller --batch-size or --seq-len")
