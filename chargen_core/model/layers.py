"""CarryLSTM: a Keras LSTM that can carry its state from one training batch to the next.

Truncated backpropagation through time, the way char-rnn and the PTB language models train: the corpus is cut
into parallel streams, each batch holds the next `seq_len` characters of every stream, and the state at the end
of a batch is where the next batch starts. Gradients stop at the batch edge, but the model sees all the text
before it, so short batches (cheap on a CPU) still learn long context.

Generation and evaluation start from a zero state, which a carried row would otherwise meet only once an
epoch: a few rows of every batch (`fresh_rows`) read their text from zeros instead, so the model also learns
to read from nothing. Always the same rows, and only a few: every row that restarts trains on short context,
which costs validation loss (bench/README.md, "Starting from nothing").

Carrying is switched on by the trainer and only affects calls with training=True; inference, validation,
saving and the numpy generator see an ordinary LSTM (same weights, same config).
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="chargen")
class CarryLSTM(keras.layers.LSTM):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set with object.__setattr__: Keras must not track (and save) the carried state as weights.
        object.__setattr__(self, "_carry", None)
        object.__setattr__(self, "_unroll_training", False)
        object.__setattr__(self, "_carried_rows", None)

    def start_carry(self, batch_size: int, *, unroll: bool = False, fresh_rows: int = 0) -> None:
        """Carry state across training batches of exactly batch_size rows; unroll the loop (CPU speed).

        fresh_rows: the first rows of every batch start from a zero state instead of their carried one."""
        zeros = tf.zeros([batch_size, self.units], tf.float32)
        carry = (tf.Variable(zeros, trainable=False, name=f"{self.name}_h"),
                 tf.Variable(zeros, trainable=False, name=f"{self.name}_c"))
        object.__setattr__(self, "_carry", carry)
        object.__setattr__(self, "_unroll_training", unroll)
        carried = None
        if fresh_rows > 0:
            carried = tf.constant((np.arange(batch_size) >= fresh_rows)[:, None], tf.float32)
        object.__setattr__(self, "_carried_rows", carried)

    def reset_carry(self) -> None:
        """Start every stream from a zero state (the trainer calls this at each epoch start)."""
        for var in self._carry or ():
            var.assign(tf.zeros_like(var))

    @property
    def carrying(self) -> bool:
        return self._carry is not None

    def carried_state(self) -> tuple:
        """(h, c) as numpy arrays, batch rows first: what a checkpoint saves to continue the streams exactly."""
        return tuple(var.numpy() for var in self._carry)

    def restore_carry(self, h, c) -> None:
        """Continue the streams from a saved (h, c) (start_carry first, with the same rows)."""
        for var, value in zip(self._carry, (h, c)):
            var.assign(value)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not (training and self._carry is not None and initial_state is None):
            return super().call(sequences, initial_state=initial_state, mask=mask, training=training)
        h, c = self._carry
        if self._carried_rows is not None:
            h, c = h * self._carried_rows, c * self._carried_rows
        # Ask the base class for the final state for this one call; the attributes are back before any save.
        self.return_state, self.unroll = True, self._unroll_training
        try:
            outputs, last_h, last_c = super().call(sequences, initial_state=[h, c], mask=mask, training=training)
        finally:
            self.return_state, self.unroll = False, False
        self._carry[0].assign(tf.cast(last_h, tf.float32))
        self._carry[1].assign(tf.cast(last_c, tf.float32))
        return outputs


def carry_layers(model) -> list[CarryLSTM]:
    return [layer for layer in model.layers if isinstance(layer, CarryLSTM)]


def fresh_row_count(share: float, rows: int) -> int:
    """Rows of a carried batch that start from zeros: share of rows, at least one when share > 0, never all."""
    if share <= 0 or rows < 2:
        return 0
    return min(rows - 1, max(1, round(share * rows)))
