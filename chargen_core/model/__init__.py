"""The models: one object per architecture (`lstm`, the tutorial's `seed`), their Keras graphs, compiling for
training, scoring a text, the numpy step port generation runs on, and TensorFlow's native start-up kept off stderr.
Only CarryLSTM's module imports Keras at load time, so it loads on first use; the builders import Keras when
called."""
from typing import TYPE_CHECKING

from .._lazy import lazy_attribute
from .architectures import (ARCHITECTURES, LSTM, SEED, Architecture, architecture, build_model, count_params,
                            describe_model, lstm_param_count)
from .compiling import build_with_precision, compile_if_weights_only, compile_model
from .keras_models import EMBEDDING_LAYER
from .lstm_step import LstmStack, SeedWindowModel
from .memory import check_fits, memory_error, readable_bytes
from .quiet import quiet_native_stderr
from .scoring import log_probs

if TYPE_CHECKING:
    from .layers import CarryLSTM, carry_layers, fresh_row_count

_LAZY = {  # name -> module, imported on first use (Keras)
    "CarryLSTM": "layers", "carry_layers": "layers", "fresh_row_count": "layers",
}

__all__ = ["ARCHITECTURES", "LSTM", "SEED", "Architecture", "architecture", "build_model", "count_params",
           "describe_model", "lstm_param_count", "build_with_precision", "compile_if_weights_only", "compile_model",
           "EMBEDDING_LAYER", "LstmStack", "SeedWindowModel", "check_fits", "memory_error", "readable_bytes",
           "log_probs", "quiet_native_stderr", *_LAZY]


def __getattr__(name: str):
    return lazy_attribute(__name__, _LAZY, name)
