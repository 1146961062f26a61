"""Keras 3 under MultiWorkerMirroredStrategy: two workarounds for its bugs, and a check, before any worker
connects, that this Keras still has the internals they patch (pyproject's keras bound is the tested range)."""
from __future__ import annotations

from ..errors import SettingsError

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
