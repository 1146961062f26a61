"""chargen_core: corpus → vocabulary → tf.data → LSTM → trainer → generator, with no user interface."""

__version__ = "0.1.0"
