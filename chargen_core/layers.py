"""CarryLSTM: a Keras LSTM that can carry its state from one training batch to the next.

Truncated backpropagation through time, the way char-rnn and the PTB language models train: the corpus is cut
into parallel streams, each batch holds the next `seq_len` characters of every stream, and the state at the end
of a batch is where the next batch starts. Gradients stop at the batch edge, but the model sees all the text
before it, so short batches (cheap on a CPU) still learn long context.

Generation and evaluation start from a zero state, which a carried row would otherwise meet only once an
epoch: at each batch a random share of the rows (`reset_rate`) restarts from zeros mid-text, so the model
also learns to read from nothing. Which rows reset is a function of the step alone, so a resumed run resets
the same ones.

Carrying is switched on by the trainer and only affects calls with training=True; inference, validation,
saving and the numpy generator see an ordinary LSTM (same weights, same config).
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="chargen")
class CarryLSTM(keras.layers.LSTM):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set with object.__setattr__: Keras must not track (and save) the carried state as weights.
        object.__setattr__(self, "_carry", None)
        object.__setattr__(self, "_unroll_training", False)
        object.__setattr__(self, "_reset", None)

    def start_carry(self, batch_size: int, *, unroll: bool = False, reset_rate: float = 0.0, seed: int = 0,
                    step: int = 0) -> None:
        """Carry state across training batches of exactly batch_size rows; unroll the loop (CPU speed).

        reset_rate: the chance that a row starts a batch from a zero state instead of its carried one. Every
        layer given the same seed resets the same rows; step: the optimizer step the next batch trains."""
        zeros = tf.zeros([batch_size, self.units], tf.float32)
        carry = (tf.Variable(zeros, trainable=False, name=f"{self.name}_h"),
                 tf.Variable(zeros, trainable=False, name=f"{self.name}_c"))
        object.__setattr__(self, "_carry", carry)
        object.__setattr__(self, "_unroll_training", unroll)
        reset = None
        if reset_rate > 0:
            reset = (float(reset_rate), int(seed) % (2**31), tf.Variable(int(step), dtype=tf.int64, trainable=False,
                                                                          name=f"{self.name}_step"))
        object.__setattr__(self, "_reset", reset)

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
        if self._reset is not None:
            h, c = self._restart_some_rows(h, c)
        # Ask the base class for the final state for this one call; the attributes are back before any save.
        self.return_state, self.unroll = True, self._unroll_training
        try:
            outputs, last_h, last_c = super().call(sequences, initial_state=[h, c], mask=mask, training=training)
        finally:
            self.return_state, self.unroll = False, False
        self._carry[0].assign(tf.cast(last_h, tf.float32))
        self._carry[1].assign(tf.cast(last_c, tf.float32))
        return outputs

    def _restart_some_rows(self, h, c):
        """h and c with the rows this step restarts set to zero (stateless: the same rows for the same step)."""
        rate, seed, step = self._reset
        draw = tf.random.stateless_uniform([h.shape[0], 1], seed=tf.stack([tf.constant(seed, tf.int64), step]))
        step.assign_add(1)
        keep = tf.cast(draw >= rate, h.dtype)
        return h * keep, c * keep


def carry_layers(model) -> list[CarryLSTM]:
    return [layer for layer in model.layers if isinstance(layer, CarryLSTM)]
