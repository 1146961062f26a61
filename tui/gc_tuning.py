"""Keeps Python's cyclic garbage collector from pausing the app for a quarter of a second at a time.

TensorFlow and a Keras model leave about a million long-lived objects on the heap. Every full collection walks
them all (~250 ms on a laptop core, holding the GIL, so keys and frames wait), and while a stream and training
run, full collections come every few seconds. Objects that will live as long as the model are moved out of the
collector's sight (`gc.freeze`) at the moments they come into being: a model opened, training started, its
functions traced. Reference counting still frees them when they die; only cyclic garbage among frozen objects
waits for the next `settle`, which collects before it freezes again.
"""
from __future__ import annotations

import gc


def settle() -> None:
    """Collect everything (one full pause, at a moment the user is waiting anyway), then freeze what survived."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def freeze() -> None:
    """Freeze what is alive now, without a pause (any cyclic garbage among it waits for the next settle)."""
    gc.freeze()
