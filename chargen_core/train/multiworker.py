"""MultiWorkerMirroredStrategy: who writes and who resumes, state shared from the chief, and stops every worker
agrees on (a worker that stops alone leaves the others waiting forever). Keras' own gaps: keras_fixes.py."""
from __future__ import annotations

from pathlib import Path

from ..config import ModelConfig, TrainConfig
from ..errors import SettingsError
from ..model import compile_if_weights_only
from ..runs import CONFIG, RunDir
from .distribute import is_chief


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


def sync_from_chief(strategy, model, state) -> None:
    """Every worker starts from the chief's weights, optimizer state and counters (a restart resumes)."""
    best = -1.0 if state.best_val_loss is None else state.best_val_loss
    epochs_done, global_step, best = broadcast_from_chief(
        strategy, model_and_optimizer_variables(model), [state.epochs_done, state.global_step, best])
    state.epochs_done, state.global_step = int(epochs_done), int(global_step)
    state.best_val_loss = None if best < 0 else best
