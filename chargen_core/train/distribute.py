"""tf.distribute strategy and precision selection, and who may write the run directory."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..errors import SettingsError
from ..model import quiet_native_stderr
from .keras_fixes import check_keras_internals


@dataclass
class StrategyInfo:
    strategy: object  # a tf.distribute.Strategy
    name: str  # class name of the strategy, e.g. "MirroredStrategy"
    replicas: int  # replicas in sync
    device: str  # "CPU" or the GPU name(s)
    precision: str  # "float32" or "mixed_float16"
    is_chief: bool  # only the chief writes the run directory


def _gpus():
    with quiet_native_stderr():
        import tensorflow as tf

        return tf.config.list_physical_devices("GPU")


def describe_device(gpus) -> str:
    if not gpus:
        return "CPU"
    import tensorflow as tf

    names = []
    for gpu in gpus:
        try:
            names.append(tf.config.experimental.get_device_details(gpu).get("device_name") or gpu.name)
        except Exception:  # details are cosmetic; never fail training over them
            names.append(gpu.name)
    if len(set(names)) == 1 and len(names) > 1:
        return f"{len(names)}x {names[0]}"
    return ", ".join(names)


def tf_config() -> dict:
    raw = os.environ.get("TF_CONFIG", "")
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"TF_CONFIG is not valid JSON: {exc}") from None


def is_chief(config: dict | None = None) -> bool:
    """The chief is task 'chief', or worker 0 when the cluster has no chief (MultiWorkerMirroredStrategy rule)."""
    config = tf_config() if config is None else config
    task = config.get("task") or {}
    cluster = config.get("cluster") or {}
    kind, index = task.get("type"), int(task.get("index", 0))
    if not kind:
        return True
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def _make_strategy(name: str, gpus):
    import tensorflow as tf

    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # Without GPUs, mirror across the logical CPU devices (what tests and CPU-only boxes configure).
        devices = None if gpus else [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multiworker":
        if not tf_config().get("cluster"):
            raise SettingsError("--distribute multiworker needs TF_CONFIG with a 'cluster' and a 'task' (see README)")
        check_keras_internals()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise SettingsError(f"unknown --distribute {name!r}; choose one of auto, default, mirrored, multiworker")


def _strategy_name(strategy) -> str:
    name = type(strategy).__name__
    if name.startswith("_Default"):
        return "DefaultStrategy"
    # MultiWorkerMirroredStrategy's class is still called CollectiveAllReduceStrategy.
    return "MultiWorkerMirroredStrategy" if name == "CollectiveAllReduceStrategy" else name


def is_multiworker(strategy) -> bool:
    return _strategy_name(strategy) == "MultiWorkerMirroredStrategy"


def shardable(dataset):
    """Let tf.distribute shard a from_tensor_slices pipeline by element across workers (no files to split)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def resolve_precision(precision: str, gpus) -> str:
    """'auto' turns mixed precision on only on GPUs with tensor cores (compute capability 7.0+)."""
    if precision == "float32":
        return "float32"
    if precision == "mixed":
        return "mixed_float16"
    if precision != "auto":
        raise SettingsError(f"unknown --precision {precision!r}; choose one of auto, float32, mixed")
    if not gpus:
        return "float32"
    import tensorflow as tf

    try:
        capabilities = [tf.config.experimental.get_device_details(g).get("compute_capability") for g in gpus]
    except Exception:
        return "float32"
    if capabilities and all(c and tuple(c) >= (7, 0) for c in capabilities):
        return "mixed_float16"
    return "float32"


def select_strategy(name: str = "auto", precision: str = "auto") -> StrategyInfo:
    gpus = _gpus()
    strategy = _make_strategy(name, gpus)
    return StrategyInfo(
        strategy=strategy,
        name=_strategy_name(strategy),
        replicas=int(strategy.num_replicas_in_sync),
        device=describe_device(gpus),
        precision=resolve_precision(precision, gpus),
        is_chief=is_chief(),
    )
