"""MultiWorkerMirroredStrategy: who resumes, state shared from the chief, agreed stops, Keras 3 workarounds."""
from __future__ import annotations

from pathlib import Path

from .config import ModelConfig, TrainConfig
from .distribute import is_chief
from .errors import SettingsError
from .model import compile_if_weights_only
from .runs import CONFIG, RunDir


# Keras 3 internals that fix_symbolic_build and fix_multiworker_logs replace or call (see pyproject's keras bound).
PATCHED_KERAS_NAMES = (("keras.Model", "_maybe_symbolic_build"),
                       ("keras.src.backend.tensorflow.trainer", "reduce_per_replica"),
                       ("keras.src.backend.tensorflow.trainer", "_collective_all_reduce_multi_worker"))


def declared_keras() -> str:
    """The keras requirement chargen is installed with (its tested range), e.g. 'keras<4,>=3.15'."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        found = [r.split(";")[0].replace(" ", "") for r in requires("chargen") or () if r.startswith("keras")]
    except PackageNotFoundError:
        found = []
    return found[0] if found else "keras 3"


def check_keras_internals() -> None:
    """Fail with one line, before any worker connects, when this Keras lacks a name the workarounds patch."""
    import importlib

    import keras

    missing = []
    for owner, name in PATCHED_KERAS_NAMES:
        try:
            found = hasattr(keras.Model if owner == "keras.Model" else importlib.import_module(owner), name)
        except ImportError:
            found = False
        if not found:
            missing.append(f"{owner}.{name}")
    if missing:
        raise SettingsError(f"multi-worker training patches Keras internals this Keras {keras.__version__} lacks "
                            f"({', '.join(missing)}); install {declared_keras()}")


def writes_run_dir(train_config: TrainConfig) -> bool:
    """Multi-worker jobs may pass the same --run-dir to every worker: only the chief ever writes it."""
    return train_config.distribute != "multiworker" or is_chief()


def restarted_chief_run(run_path: Path, model_config: ModelConfig) -> RunDir | None:
    """The chief of a multi-worker job restarted with the same command continues its run from the checkpoint.

    (Every worker runs the same command again; the other workers take the chief's state over the network.)
    """
    if not is_chief() or not (run_path / CONFIG).is_file():
        return None
    run = RunDir.open(run_path)
    if run.model_config != model_config:
        raise SettingsError(f"{run_path} holds a run with other model settings; restart the workers with the "
                            "command that started it, or pick another --run-dir")
    return run


def model_and_optimizer_variables(model) -> list:
    return [*model.variables, *model.optimizer.variables]


def load_checkpoint_into(run: RunDir, model, model_config: ModelConfig, train_config: TrainConfig,
                         precision: str) -> tuple[object, bool]:
    """Copy the run's newest good checkpoint (loaded outside the strategy: no collectives) into `model`, optimizer
    state included. Returns (its manifest, whether it held weights only and so the optimizer starts fresh)."""
    loaded, manifest, _ = run.load_checkpoint("last", compile=True)
    fresh_optimizer = compile_if_weights_only(loaded, model_config, train_config, precision)
    if not loaded.optimizer.built:
        loaded.optimizer.build(loaded.trainable_variables)
    source, target = model_and_optimizer_variables(loaded), model_and_optimizer_variables(model)
    if [tuple(v.shape) for v in source] != [tuple(v.shape) for v in target]:
        raise SettingsError(f"{run.path}: the checkpoint does not match the model settings")
    for dst, src in zip(target, source):
        dst.assign(src.numpy())
    return manifest, fresh_optimizer


def broadcast_from_chief(strategy, variables, numbers: list[float]) -> list[float]:
    """Give every worker the chief's variable values and numbers (e.g. epoch and step); returns the numbers.

    The chief (global replica 0) alone holds the run directory, so after a restart it loads the checkpoint
    and the other workers take its state from here instead of from a file they cannot see. One all-reduce
    in float64 (exact for float16/32 and for step counters): replica 0 sends its values, all others zeros.
    """
    import numpy as np
    import tensorflow as tf

    shapes = [tuple(v.shape) for v in variables]
    sizes = [int(np.prod(s)) for s in shapes]

    @tf.function
    def gather():
        def replica_fn():
            ctx = tf.distribute.get_replica_context()
            flat = tf.concat([tf.constant(numbers, tf.float64)]
                             + [tf.reshape(tf.cast(v.value, tf.float64), [-1]) for v in variables], axis=0)
            mine = tf.where(tf.equal(ctx.replica_id_in_sync_group, 0), flat, tf.zeros_like(flat))
            return ctx.all_reduce(tf.distribute.ReduceOp.SUM, mine)

        return strategy.run(replica_fn)

    flat = strategy.experimental_local_results(gather())[0].numpy()
    offset = len(numbers)
    for variable, shape, size in zip(variables, shapes, sizes):
        variable.assign(flat[offset:offset + size].reshape(shape).astype(variable.dtype))
        offset += size
    return [float(x) for x in flat[: len(numbers)]]


def stop_agreement(strategy):
    """fn(budget_spent, stop_requested) -> (any worker's budget spent, any worker asked to stop).

    Under MultiWorkerMirroredStrategy every worker must stop at the same batch: a worker that stops
    alone leaves the others waiting in a collective op forever (the peer is alive, so no health check
    fires). One tiny all-reduce between batches settles it.
    """
    import tensorflow as tf

    @tf.function
    def total(flags):
        def replica_fn():  # every replica adds its worker's flags; only "> 0" matters
            mine = tf.identity(flags)  # a copy on this replica's device (all_reduce needs one)
            return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, mine)

        return strategy.run(replica_fn)

    def agree(budget_spent: bool, stop_requested: bool) -> tuple[bool, bool]:
        flags = tf.constant([float(budget_spent), float(stop_requested)], tf.float32)
        summed = strategy.experimental_local_results(total(flags))[0].numpy()
        return bool(summed[0] > 0), bool(summed[1] > 0)

    return agree


def fix_symbolic_build(model) -> None:
    """Work around keras-team/keras#20585 on one model instance.

    Keras 3's fit() reduces the first (x, y) batch across replicas only to learn its shapes, and
    MultiWorkerMirroredStrategy cannot reduce a nested value. This worker's own slice has the right
    shapes, so build from it instead (no cross-worker traffic either).
    """
    import tensorflow as tf

    original = model._maybe_symbolic_build

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return model.distribute_strategy.experimental_local_results(value)[0]
        return value

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(local, next(it))
                break
        return original(data_batch=data_batch)

    model._maybe_symbolic_build = maybe_symbolic_build


def fix_multiworker_logs() -> None:
    """Work around Keras 3 reducing each worker's scalar logs with axis=0 under MultiWorkerMirroredStrategy.

    The train/test step returns per-replica scalars (loss, metrics) and Keras asks for a MEAN over axis 0,
    which a scalar does not have; a mean over the replicas (axis=None) is what it means. Patched once, in
    the Keras TensorFlow trainer module, and only for that strategy in multi-worker mode.
    """
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica
    if getattr(original, "chargen_fixed", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            import tensorflow as tf

            def mean(value):
                if isinstance(value, tf.distribute.DistributedValues):
                    return strategy.reduce("MEAN", value, axis=None)
                return value

            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)

    reduce_per_replica.chargen_fixed = True
    tf_trainer.reduce_per_replica = reduce_per_replica
