"""Text in: corpus sources (built-in, presets, file, folder, URL), standardization, the vocabulary, how a text is
cut into examples, and the tf.data pipelines (loaded on first use: they import TensorFlow)."""
from typing import TYPE_CHECKING

from .._lazy import lazy_attribute
from .corpus import BUILTIN, PRESETS, Corpus, corpus_name, load_corpus, read_file
from .download import is_url
from .layout import (EVAL_CONTEXT, context_pieces, count_sequences, count_windows, even_pieces, split_ids,
                     stream_layout, too_short)
from .standardize import standardize_text
from .vocab import Vocab

if TYPE_CHECKING:
    from .datasets import (DataSplits, SequenceExamples, WindowExamples, batch_notice, context_dataset,
                           make_datasets, sequence_dataset, stream_dataset, window_dataset)

_LAZY = {  # name -> module, imported on first use (TensorFlow)
    "DataSplits": "datasets", "SequenceExamples": "datasets", "WindowExamples": "datasets",
    "batch_notice": "datasets", "context_dataset": "datasets", "make_datasets": "datasets",
    "sequence_dataset": "datasets", "stream_dataset": "datasets", "window_dataset": "datasets",
}

__all__ = ["BUILTIN", "PRESETS", "Corpus", "corpus_name", "load_corpus", "read_file", "is_url", "EVAL_CONTEXT", "context_pieces",
           "count_sequences", "count_windows", "even_pieces", "split_ids", "stream_layout", "too_short",
           "standardize_text", "Vocab", *_LAZY]


def __getattr__(name: str):
    return lazy_attribute(__name__, _LAZY, name)
