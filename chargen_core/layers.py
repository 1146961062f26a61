"""CarryLSTM: a Keras LSTM that can carry its state from one training batch to the next.

Truncated backpropagation through time, the way char-rnn and the PTB language models train: the corpus is cut
into parallel streams, each batch holds the next `seq_len` characters of every stream, and the state at the end
of a batch is where the next batch starts. Gradients stop at the batch edge, but the model sees all the text
before it, so short batches (cheap on a CPU) still learn long context.

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

    def start_carry(self, batch_size: int, *, unroll: bool = False) -> None:
        """Carry state across training batches of exactly batch_size rows; unroll the loop (CPU speed)."""
        zeros = tf.zeros([batch_size, self.units], tf.float32)
        carry = (tf.Variable(zeros, trainable=False, name=f"{self.name}_h"),
                 tf.Variable(zeros, trainable=False, name=f"{self.name}_c"))
        object.__setattr__(self, "_carry", carry)
        object.__setattr__(self, "_unroll_training", unroll)

    def reset_carry(self) -> None:
        """Start every stream from a zero state (the trainer calls this at each epoch start)."""
        for var in self._carry or ():
            var.assign(tf.zeros_like(var))

    @property
    def carrying(self) -> bool:
        return self._carry is not None

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not (training and self._carry is not None and initial_state is None):
            return super().call(sequences, initial_state=initial_state, mask=mask, training=training)
        h, c = self._carry
        # Ask the base class for the final state for this one call; the attributes are back before any save.
        self.return_state, self.unroll = True, self._unroll_training
        try:
            outputs, last_h, last_c = super().call(sequences, initial_state=[h, c], mask=mask, training=training)
        finally:
            self.return_state, self.unroll = False, False
        h.assign(tf.cast(last_h, h.dtype))
        c.assign(tf.cast(last_c, c.dtype))
        return outputs


def carry_layers(model) -> list[CarryLSTM]:
    return [layer for layer in model.layers if isinstance(layer, CarryLSTM)]
