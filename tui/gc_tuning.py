"""Keeps Python's cyclic garbage collector from pausing the app at a moment the user would notice.

Objects that live as long as the open model (its weights, vocabulary, Textual's widgets) are moved out of the
collector's sight (`gc.freeze`) once a model has opened, so the full collections that come while a stream runs
do not walk them again and again. Reference counting still frees them when they die; only cyclic garbage among
frozen objects waits for the next `settle`, which collects before it freezes again. (With TensorFlow in the app,
before training moved into processes of its own, this mattered most: a million long-lived objects.)
"""
from __future__ import annotations

import gc


def settle() -> None:
    """Collect everything (one full pause, at a moment the user is waiting anyway), then freeze what survived."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
