"""The tf.data pipelines: whole sequences shifted by one (lstm) and 20-char windows (the tutorial's seed arch)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .config import SEED_STEP, SEED_WINDOW, ModelConfig, TrainConfig
from .errors import CorpusError


@dataclass(frozen=True)
class DataSplits:
    train: tf.data.Dataset  # repeats forever: fit() is driven by steps_per_epoch
    val: tf.data.Dataset  # one pass over the validation tail
    steps_per_epoch: int
    val_steps: int
    train_targets_per_epoch: int  # characters predicted per epoch (what targets/s counts)
    val_chars: int  # characters in the validation tail


def split_ids(ids: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Hold out a contiguous tail of the text for validation (no leakage through overlapping windows)."""
    n_val = int(round(len(ids) * val_fraction))
    return ids[: len(ids) - n_val], ids[len(ids) - n_val :]


def count_sequences(n_ids: int, seq_len: int) -> int:
    return n_ids // (seq_len + 1)


def count_windows(n_ids: int, window: int = SEED_WINDOW, step: int = SEED_STEP) -> int:
    return 0 if n_ids <= window else math.ceil((n_ids - window) / step)


def _finish(ds: tf.data.Dataset, n: int, batch_size: int, shuffle: bool, seed: int | None) -> tf.data.Dataset:
    if not shuffle:  # evaluation: every sequence counts, the last batch may be short
        return ds.batch(batch_size)
    ds = ds.shuffle(min(n, 50_000), seed=seed, reshuffle_each_iteration=True)
    # Fixed batch shapes when there is enough data (stable graphs, cuDNN); a short corpus keeps its remainder.
    return ds.batch(batch_size, drop_remainder=n >= batch_size)


def sequence_dataset(
    ids: np.ndarray, seq_len: int, batch_size: int, *, shuffle: bool, seed: int | None = None
) -> tf.data.Dataset:
    """(x, y) batches of int32[B, seq_len] where y is x shifted left by one character."""
    n = count_sequences(len(ids), seq_len)
    if n == 0:
        raise CorpusError(f"text of {len(ids)} characters is shorter than one sequence of {seq_len + 1}")
    chunks = np.asarray(ids[: n * (seq_len + 1)], dtype=np.int32).reshape(n, seq_len + 1)
    ds = tf.data.Dataset.from_tensor_slices((chunks[:, :-1], chunks[:, 1:]))
    return _finish(ds, n, batch_size, shuffle, seed)


def window_dataset(
    ids: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int | None = None,
    window: int = SEED_WINDOW,
    step: int = SEED_STEP,
) -> tf.data.Dataset:
    """The tutorial's pairs: a window of ids every `step` characters and the character after it."""
    n = count_windows(len(ids), window, step)
    if n == 0:
        raise CorpusError(f"text of {len(ids)} characters is shorter than one window of {window + 1}")
    ids = np.asarray(ids, dtype=np.int32)
    starts = np.arange(n) * step
    x = np.lib.stride_tricks.sliding_window_view(ids[:-1], window)[starts]
    y = ids[starts + window]
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return _finish(ds, n, batch_size, shuffle, seed)


def make_datasets(ids: np.ndarray, model_cfg: ModelConfig, train_cfg: TrainConfig) -> DataSplits:
    """Train/validation datasets for an architecture, with the step counts fit() needs."""
    train_ids, val_ids = split_ids(ids, train_cfg.val_fraction)
    batch = train_cfg.batch_size
    if model_cfg.arch == "seed":
        n_train, n_val = count_windows(len(train_ids)), count_windows(len(val_ids))
        build = lambda part, shuffle: window_dataset(part, batch, shuffle=shuffle, seed=train_cfg.seed)
        targets_per_example = 1
        need = SEED_WINDOW + 1
    else:
        seq = model_cfg.seq_len
        n_train, n_val = count_sequences(len(train_ids), seq), count_sequences(len(val_ids), seq)
        build = lambda part, shuffle: sequence_dataset(part, seq, batch, shuffle=shuffle, seed=train_cfg.seed)
        targets_per_example = seq
        need = seq + 1
    if n_train == 0 or n_val == 0:
        total = math.ceil(need / train_cfg.val_fraction) + need
        raise CorpusError(
            f"corpus of {len(ids)} characters is too short: one training and one validation "
            f"sequence of {need} characters need about {total} characters"
        )
    steps = max(1, n_train // batch) if n_train >= batch else 1
    if train_cfg.steps_per_epoch:
        steps = min(steps, train_cfg.steps_per_epoch)
    train = build(train_ids, True).repeat().prefetch(tf.data.AUTOTUNE)
    val = build(val_ids, False).prefetch(tf.data.AUTOTUNE)
    return DataSplits(
        train=train,
        val=val,
        steps_per_epoch=steps,
        val_steps=math.ceil(n_val / batch),
        train_targets_per_epoch=steps * min(batch, n_train) * targets_per_example,
        val_chars=n_val * targets_per_example,
    )
