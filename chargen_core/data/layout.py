"""How a text is cut into examples, in numpy alone: the validation tail, sequence and window counts, the
parallel streams of a carried state, and the contiguous pieces validation scores. The tf.data pipelines
(datasets.py) and evaluation use the same arithmetic, so they agree on what is trained and scored."""
from __future__ import annotations

import math

import numpy as np

from ..errors import CorpusError

# Characters scored with one carried state when the default model is evaluated: validation and `chargen eval`
# score the text the way the model reads it when generating, with everything before it as context.
EVAL_CONTEXT = 1000


def split_ids(ids: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Hold out a contiguous tail of the text for validation (no leakage through overlapping windows)."""
    n_val = int(round(len(ids) * val_fraction))
    return ids[: len(ids) - n_val], ids[len(ids) - n_val :]


def count_sequences(n_ids: int, seq_len: int) -> int:
    return n_ids // (seq_len + 1)


def count_windows(n_ids: int, window: int, step: int) -> int:
    return 0 if n_ids <= window else math.ceil((n_ids - window) / step)


def too_short(n_ids: int, span: int, count, val_fraction: float) -> str | None:
    """Why a text of n_ids characters cannot be trained on (None: it can): it needs one training and one
    validation example of `span` characters; count(n) says how many examples n characters hold."""
    n_val = int(round(n_ids * val_fraction))  # as split_ids cuts it
    if count(n_ids - n_val) > 0 and count(n_val) > 0:
        return None
    total = math.ceil(span / val_fraction) + span
    return (f"corpus of {n_ids} characters is too short: one training and one validation sequence of {span} "
            f"characters need about {total} characters")


def stream_layout(n_ids: int, seq_len: int, batch_size: int) -> tuple[int, int, int, int]:
    """(streams, stream length, offset slack, steps per epoch) for carrying state through the text."""
    streams = max(1, min(batch_size, n_ids // (seq_len + 1)))
    length = n_ids // streams
    slack = max(0, min(seq_len - 1, length - 1 - seq_len))  # each epoch starts at a random offset up to this
    return streams, length, slack, (length - 1 - slack) // seq_len


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
