"""The tf.data pipelines of training and validation, with the step counts fit() needs.

A model trains on examples of one layout: whole sequences shifted by one (SequenceExamples, the default LSTM),
or the tutorial's windows (WindowExamples); its architecture (chargen_core.model) picks the layout. Sequences
are either shuffled or, when the LSTM carries its state between batches, read as parallel streams.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from ..config import TrainConfig
from ..errors import CorpusError
from .layout import (EVAL_CONTEXT, context_pieces, count_sequences, count_windows, even_pieces, split_ids,
                     stream_layout, too_short)


@dataclass(frozen=True)
class DataSplits:
    train: tf.data.Dataset  # repeats forever: fit() is driven by steps_per_epoch
    val: tf.data.Dataset  # one pass over the validation tail
    steps_per_epoch: int
    val_steps: int
    train_targets_per_epoch: int  # characters predicted per epoch (what targets/s counts)
    val_chars: int  # characters in the validation tail
    carry_rows: int | None = None  # streams per batch when the state is carried between batches (else None)
    # The same training batches from optimizer step n on (n batches skipped): an exact resume.
    train_from: Callable[[int], tf.data.Dataset] | None = None
    batch_rows: int = 0  # rows in a training batch: the batch size, or fewer when the text holds fewer sequences


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


def stream_dataset(ids: np.ndarray, seq_len: int, batch_size: int, *, steps: int | None = None,
                   seed: int | None = None, start: int = 0) -> tf.data.Dataset:
    """Batches for truncated BPTT, forever: the text is cut into parallel streams, row i of each batch is the next
    seq_len characters of stream i. Every epoch is `steps` batches from its own random offset, so the model
    reads the text with the batch edges in new places each time. start: begin at that batch of the sequence
    (epoch start // steps, same offset, same stream positions) without producing the ones before it."""
    streams, length, slack, max_steps = stream_layout(len(ids), seq_len, batch_size)
    if max_steps < 1:
        raise CorpusError(f"text of {len(ids)} characters is shorter than one sequence of {seq_len + 1}")
    steps = min(steps or max_steps, max_steps)
    grid = tf.constant(np.asarray(ids[: streams * length], dtype=np.int32).reshape(streams, length))
    seed = int(np.random.default_rng(seed).integers(2**31))
    shape = [streams, seq_len]
    first_epoch, first_batch = divmod(start, steps)

    def one_epoch(epoch):
        offset = tf.random.stateless_uniform([], seed=tf.stack([tf.constant(seed, tf.int64), epoch]),
                                             minval=0, maxval=slack + 1, dtype=tf.int64)

        def batch(i):
            start = offset + i * seq_len
            x = tf.ensure_shape(grid[:, start:start + seq_len], shape)
            return x, tf.ensure_shape(grid[:, start + 1:start + 1 + seq_len], shape)

        skip = tf.where(epoch == first_epoch, tf.constant(first_batch, tf.int64), tf.constant(0, tf.int64))
        return tf.data.Dataset.range(skip, steps).map(batch)

    return tf.data.Dataset.range(first_epoch, 2**62).flat_map(one_epoch)


def context_dataset(ids: np.ndarray, batch_size: int, length: int = EVAL_CONTEXT,
                    replicas: int = 1) -> tuple[tf.data.Dataset, int, int]:
    """Validation batches of context_pieces (even_pieces on several replicas), how many batches there are, and
    how many characters they score."""
    if replicas > 1:
        pieces = even_pieces(ids, replicas, length)
        batch_size = replicas * max(1, batch_size // replicas)
    else:
        pieces = context_pieces(ids, length)
    parts = [tf.data.Dataset.from_tensor_slices(piece).batch(batch_size) for piece in pieces]
    steps = sum(math.ceil(len(x) / batch_size) for x, _ in pieces)
    ds = parts[0]
    for part in parts[1:]:
        ds = ds.concatenate(part)
    return ds, steps, sum(y.size for _, y in pieces)


def window_dataset(ids: np.ndarray, batch_size: int, *, shuffle: bool, seed: int | None = None, window: int,
                   step: int) -> tf.data.Dataset:
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


@dataclass(frozen=True)
class SequenceExamples:
    """Rows of seq_len characters, each predicting the row shifted by one; validated with long context, and
    readable as parallel streams when the model carries its state between batches."""

    seq_len: int
    carries = True  # may be read as parallel streams (a carried state)

    @property
    def span(self) -> int:
        """Characters one example needs."""
        return self.seq_len + 1

    @property
    def targets_per_example(self) -> int:
        return self.seq_len

    def count(self, n_ids: int) -> int:
        return count_sequences(n_ids, self.seq_len)

    def dataset(self, ids: np.ndarray, batch_size: int, *, shuffle: bool, seed: int | None) -> tf.data.Dataset:
        return sequence_dataset(ids, self.seq_len, batch_size, shuffle=shuffle, seed=seed)

    def validation(self, ids: np.ndarray, batch_size: int, replicas: int) -> tuple[tf.data.Dataset, int, int]:
        return context_dataset(ids, batch_size, replicas=replicas)


@dataclass(frozen=True)
class WindowExamples:
    """The tutorial's examples: `window` ids every `step` characters, each predicting the character after it."""

    window: int
    step: int
    carries = False

    @property
    def span(self) -> int:
        return self.window + 1

    targets_per_example = 1

    def count(self, n_ids: int) -> int:
        return count_windows(n_ids, self.window, self.step)

    def dataset(self, ids: np.ndarray, batch_size: int, *, shuffle: bool, seed: int | None) -> tf.data.Dataset:
        return window_dataset(ids, batch_size, shuffle=shuffle, seed=seed, window=self.window, step=self.step)

    def validation(self, ids: np.ndarray, batch_size: int, replicas: int) -> tuple[tf.data.Dataset, int, int]:
        n = self.count(len(ids))
        return self.dataset(ids, batch_size, shuffle=False, seed=None), math.ceil(n / batch_size), n


Examples = SequenceExamples | WindowExamples


def batch_notice(splits: DataSplits, batch_size: int, window: int) -> list[str]:
    """A notice when the training text has fewer sequences than a batch holds: each batch is then smaller than
    asked, and the run should say so rather than train on it silently."""
    if splits.batch_rows >= batch_size:
        return []
    return [f"batch size {batch_size:,} is more than the {splits.batch_rows:,} sequences of {window} characters "
            f"in the training text: each batch holds {splits.batch_rows:,}"]


def make_datasets(ids: np.ndarray, examples: Examples, train_cfg: TrainConfig, *, carry: bool = False,
                  replicas: int = 1, data_seed: int | None = None) -> DataSplits:
    """Train/validation datasets of `examples` (the architecture's layout), with the step counts fit() needs.

    carry: read the training text as parallel streams (a layout that carries only); otherwise the examples are
    shuffled. data_seed: fixes the order of the batches (default: train_cfg.seed); a resumed run passes its own
    so train_from(step) continues the very sequence it stopped in.
    """
    train_ids, val_ids = split_ids(ids, train_cfg.val_fraction)
    batch = train_cfg.batch_size
    seed = train_cfg.seed if data_seed is None else data_seed
    n_train, n_val = examples.count(len(train_ids)), examples.count(len(val_ids))
    problem = too_short(len(ids), examples.span, examples.count, train_cfg.val_fraction)
    if problem is not None:
        raise CorpusError(problem)
    steps = max(1, n_train // batch) if n_train >= batch else 1
    if train_cfg.steps_per_epoch:
        steps = min(steps, train_cfg.steps_per_epoch)
    val, val_steps, val_chars = examples.validation(val_ids, batch, replicas)
    if carry and examples.carries:
        seq = examples.seq_len
        rows, _, _, max_steps = stream_layout(len(train_ids), seq, batch)
        steps = min(max_steps, train_cfg.steps_per_epoch or max_steps)

        def streams_from(start: int) -> tf.data.Dataset:
            return stream_dataset(train_ids, seq, batch, steps=steps, seed=seed, start=start).prefetch(tf.data.AUTOTUNE)

        return DataSplits(train=streams_from(0), val=val.prefetch(tf.data.AUTOTUNE),
                          steps_per_epoch=steps, val_steps=val_steps,
                          train_targets_per_epoch=steps * rows * seq, val_chars=val_chars,
                          carry_rows=rows, train_from=streams_from, batch_rows=rows)

    def shuffled_from(start: int) -> tf.data.Dataset:
        # The shuffle order is a function of the seed alone, so skipping replays nothing the model trains on.
        examples_ds = examples.dataset(train_ids, batch, shuffle=True, seed=seed)
        return examples_ds.repeat().skip(start).prefetch(tf.data.AUTOTUNE)

    return DataSplits(
        train=shuffled_from(0),
        val=val.prefetch(tf.data.AUTOTUNE),
        steps_per_epoch=steps,
        val_steps=val_steps,
        train_targets_per_epoch=steps * min(batch, n_train) * examples.targets_per_example,
        val_chars=val_chars,
        train_from=shuffled_from,
        batch_rows=min(batch, n_train),
    )
