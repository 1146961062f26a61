"""Evaluation: nats/char, bits/char and perplexity of a run's model on a text (default: its validation split)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..data import read_file, split_ids, standardize_text
from ..errors import ChargenError, CorpusError
from ..model import architecture, log_probs
from ..runs import RunDir

START_CHARS = 10  # predictions from the start state that start_and_warm_loss scores
START_CONTEXT = 200  # characters of context the same predictions get for comparison
START_TEXT = 2000  # texts shorter than this are too short to sample start positions from


@dataclass(frozen=True)
class EvalResult:
    nats_per_char: float
    bits_per_char: float
    perplexity: float
    chars: int  # characters scored
    unknown_chars: int  # characters outside the vocabulary: counted here, not scored
    unknown: str  # the distinct unknown characters
    text_source: str  # "validation split" or the file evaluated
    # lstm: nats/char of the first START_CHARS predictions from the start state (zeros), and of the same
    # predictions read with context (start_and_warm_loss); None for the seed model or a short text.
    start_nats: float | None = None
    start_warm_nats: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def start_and_warm_loss(model, ids: np.ndarray, *, chars: int = START_CHARS, context: int = START_CONTEXT,
                        samples: int = 256, seed: int = 0) -> tuple[float, float]:
    """Mean nats/char of the first `chars` predictions read from the start state (zeros), and of the same
    predictions read with `context` characters before them, at `samples` random places in ids (lstm only).

    The gap is what a prompt pays for starting from nothing: a model that never trained from a zero state pays
    far more than the missing context explains."""
    ids = np.asarray(ids, dtype=np.int32)
    if len(ids) < context + chars + 2:
        raise ChargenError(f"{len(ids)} characters are too few to compare {chars} cold and warm predictions")
    starts = np.random.default_rng(seed).integers(context, len(ids) - chars, size=samples)
    cold_x = np.stack([ids[s:s + chars] for s in starts])
    warm_x = np.stack([ids[s - context:s + chars] for s in starts])
    y = np.stack([ids[s + 1:s + chars + 1] for s in starts])[..., None]
    cold = -np.take_along_axis(log_probs(model, cold_x, True), y, axis=-1)
    warm = -np.take_along_axis(log_probs(model, warm_x, True)[:, -chars:], y, axis=-1)
    return float(cold.mean()), float(warm.mean())


def evaluate_text(model, vocab, model_config, text: str, text_source: str = "text") -> EvalResult:
    ids = vocab.encode(text).astype(np.int32)
    arch = architecture(model_config)
    if len(ids) < arch.min_eval_chars:
        raise ChargenError(f"{text_source} has {len(ids)} characters; at least {arch.min_eval_chars} are needed to "
                           "evaluate")
    nll, targets = arch.nll(model, ids, model_config)
    known = targets != vocab.UNK_ID  # an unknown target has no meaningful probability: count it, don't score it
    scored = int(known.sum())
    if scored == 0:
        raise ChargenError(f"{text_source} has no characters from the model's vocabulary")
    nats = float(nll[known].mean())
    start = (None, None)
    if arch.scores_start_state and len(ids) >= START_TEXT:
        start = start_and_warm_loss(model, ids)
    return EvalResult(nats, nats / math.log(2), math.exp(nats), scored, int((~known).sum()),
                      vocab.unknown_chars(text), text_source, *start)


def validation_text(run: RunDir) -> str:
    """The run's validation tail, cut from its corpus reloaded with the run's settings."""
    try:
        corpus = run.load_corpus()
    except CorpusError as exc:
        raise CorpusError(f"the run's corpus is not available ({exc}); pass --text FILE to evaluate") from None
    n = len(corpus.text)
    _, val = split_ids(np.arange(n), run.train_config.val_fraction)
    return corpus.text[n - len(val):]


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """A text file read by the corpus rules: binary and undecodable files are refused."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"text file not found: {path}")
    return read_file(path, encoding)


def evaluate_run(run_dir, text_file: str | Path | None = None, which: str = "best",
                 encoding: str = "utf-8") -> tuple[EvalResult, list[str]]:
    """Evaluate a run; returns the result and any notices (e.g. a damaged checkpoint skipped)."""
    run = RunDir.open(run_dir)
    if text_file is None:
        text, source = validation_text(run), "validation split"
    else:
        text, source = standardize_text(read_text(text_file, encoding), run.corpus_config.standardize), str(text_file)
    model = run.load_model(which)
    return evaluate_text(model, run.vocab, run.model_config, text, source), run.notices
