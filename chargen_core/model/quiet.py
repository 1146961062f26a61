"""TensorFlow's native start-up kept off stderr: its C++ start-up and CUDA probe lines ignore TF_CPP_MIN_LOG_LEVEL
and would bury chargen's one-line messages (or draw over the app's screen)."""
from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_native_stderr():
    """Point fd 2 at /dev/null while TensorFlow starts (or Keras loads a model).

    Python exceptions still propagate; CHARGEN_DEBUG=1 keeps everything visible.
    """
    if os.environ.get("CHARGEN_DEBUG") == "1":
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
