"""The tf.data pipelines: whole sequences shifted by one (lstm) and 20-char windows (the tutorial's seed arch)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from .config import SEED_STEP, SEED_WINDOW, ModelConfig, TrainConfig
from .errors import CorpusError


# Characters scored with one carried state when the default model is evaluated: validation and `chargen eval`
# score the text the way the model reads it when generating, with everything before it as context.
EVAL_CONTEXT = 1000


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


def stream_layout(n_ids: int, seq_len: int, batch_size: int) -> tuple[int, int, int, int]:
    """(streams, stream length, offset slack, steps per epoch) for carrying state through the text."""
    streams = max(1, min(batch_size, n_ids // (seq_len + 1)))
    length = n_ids // streams
    slack = max(0, min(seq_len - 1, length - 1 - seq_len))  # each epoch starts at a random offset up to this
    return streams, length, slack, (length - 1 - slack) // seq_len


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


def context_pieces(ids: np.ndarray, length: int = EVAL_CONTEXT) -> list[tuple[np.ndarray, np.ndarray]]:
    """The text as contiguous (x, y) pieces of `length` targets (and a shorter last one); every character after
    the first is a target once, scored with the whole piece before it as context."""
    ids = np.asarray(ids, dtype=np.int32)
    n, rest = divmod(len(ids) - 1, length)
    pieces = [(ids[:n * length].reshape(n, length), ids[1:n * length + 1].reshape(n, length))] if n else []
    if rest:
        pieces.append((ids[n * length:-1][None], ids[n * length + 1:][None]))
    return pieces


def even_pieces(ids: np.ndarray, replicas: int, length: int = EVAL_CONTEXT) -> list[tuple[np.ndarray, np.ndarray]]:
    """Like context_pieces, but a multiple of `replicas` pieces of one length, so no replica gets an empty
    batch; the last (n - 1) mod pieces characters (fewer than the number of pieces) are not scored."""
    ids = np.asarray(ids, dtype=np.int32)
    rows = replicas * math.ceil((len(ids) - 1) / (replicas * length))
    length = (len(ids) - 1) // rows
    if length < 1:
        raise CorpusError(f"a validation text of {len(ids)} characters cannot be split across {replicas} replicas")
    return [(ids[:rows * length].reshape(rows, length), ids[1:rows * length + 1].reshape(rows, length))]


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


def too_short(n_ids: int, model_cfg: ModelConfig, val_fraction: float) -> str | None:
    """Why a text of n_ids characters cannot be trained on with these settings (None: it can): it needs one
    training and one validation sequence (the seed arch: window)."""
    n_val = int(round(n_ids * val_fraction))  # as split_ids cuts it
    n_train = n_ids - n_val
    if model_cfg.arch == "seed":
        need, enough = SEED_WINDOW + 1, count_windows(n_train) > 0 and count_windows(n_val) > 0
    else:
        need = model_cfg.seq_len + 1
        enough = count_sequences(n_train, model_cfg.seq_len) > 0 and count_sequences(n_val, model_cfg.seq_len) > 0
    if enough:
        return None
    total = math.ceil(need / val_fraction) + need
    return (f"corpus of {n_ids} characters is too short: one training and one validation sequence of {need} "
            f"characters need about {total} characters")


def batch_notice(splits: DataSplits, batch_size: int, window: int) -> list[str]:
    """A notice when the training text has fewer sequences than a batch holds: each batch is then smaller than
    asked, and the run should say so rather than train on it silently."""
    if splits.batch_rows >= batch_size:
        return []
    return [f"batch size {batch_size:,} is more than the {splits.batch_rows:,} sequences of {window} characters "
            f"in the training text: each batch holds {splits.batch_rows:,}"]


def make_datasets(ids: np.ndarray, model_cfg: ModelConfig, train_cfg: TrainConfig, *,
                  carry: bool = False, replicas: int = 1, data_seed: int | None = None) -> DataSplits:
    """Train/validation datasets for an architecture, with the step counts fit() needs.

    carry: the lstm model carries its state between batches (stream batches); otherwise it trains on shuffled
    independent sequences. Either way the lstm model is validated with EVAL_CONTEXT characters of context.
    data_seed: fixes the order of the batches (default: train_cfg.seed); a resumed run passes its own so
    train_from(step) continues the very sequence it stopped in.
    """
    train_ids, val_ids = split_ids(ids, train_cfg.val_fraction)
    batch = train_cfg.batch_size
    seed = train_cfg.seed if data_seed is None else data_seed
    if model_cfg.arch == "seed":
        n_train, n_val = count_windows(len(train_ids)), count_windows(len(val_ids))
        build = lambda part, shuffle: window_dataset(part, batch, shuffle=shuffle, seed=seed)
        targets_per_example = 1
    else:
        seq = model_cfg.seq_len
        n_train, n_val = count_sequences(len(train_ids), seq), count_sequences(len(val_ids), seq)
        build = lambda part, shuffle: sequence_dataset(part, seq, batch, shuffle=shuffle, seed=seed)
        targets_per_example = seq
    if n_train == 0 or n_val == 0:
        raise CorpusError(too_short(len(ids), model_cfg, train_cfg.val_fraction))
    steps = max(1, n_train // batch) if n_train >= batch else 1
    if train_cfg.steps_per_epoch:
        steps = min(steps, train_cfg.steps_per_epoch)
    if model_cfg.arch == "seed":
        val, val_steps, val_chars = build(val_ids, False), math.ceil(n_val / batch), n_val
    else:
        val, val_steps, val_chars = context_dataset(val_ids, batch, replicas=replicas)
    if carry and model_cfg.arch != "seed":
        rows, _, _, max_steps = stream_layout(len(train_ids), model_cfg.seq_len, batch)
        steps = min(max_steps, train_cfg.steps_per_epoch or max_steps)
        def streams_from(start: int) -> tf.data.Dataset:
            return stream_dataset(train_ids, model_cfg.seq_len, batch, steps=steps, seed=seed,
                                  start=start).prefetch(tf.data.AUTOTUNE)

        return DataSplits(train=streams_from(0), val=val.prefetch(tf.data.AUTOTUNE),
                          steps_per_epoch=steps, val_steps=val_steps,
                          train_targets_per_epoch=steps * rows * model_cfg.seq_len, val_chars=val_chars,
                          carry_rows=rows, train_from=streams_from, batch_rows=rows)

    def shuffled_from(start: int) -> tf.data.Dataset:
        # The shuffle order is a function of the seed alone, so skipping replays nothing the model trains on.
        return build(train_ids, True).repeat().skip(start).prefetch(tf.data.AUTOTUNE)

    return DataSplits(
        train=shuffled_from(0),
        val=val.prefetch(tf.data.AUTOTUNE),
        steps_per_epoch=steps,
        val_steps=val_steps,
        train_targets_per_epoch=steps * min(batch, n_train) * targets_per_example,
        val_chars=val_chars,
        train_from=shuffled_from,
        batch_rows=min(batch, n_train),
    )
