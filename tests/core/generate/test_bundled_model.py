"""The bundled model: trained on raw Nietzsche, loads, has that text's vocabulary, writes English-like text."""
import math
import re

import numpy as np

from chargen_core.data import load_corpus
from chargen_core.generate import Generator
from chargen_core.runs import RunDir, default_run_path
from chargen_core.generate import SamplerSettings
from chargen_core.data import Vocab

MAX_BYTES = 10 * 1024 * 1024


def test_bundled_model_is_small_enough_to_ship():
    files = [p for p in default_run_path().rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= MAX_BYTES


def test_bundled_model_loads_with_the_raw_nietzsche_vocabulary_and_writes_200_characters():
    run = RunDir.open(default_run_path())
    assert run.corpus_config.source == "nietzsche" and run.corpus_config.standardize == "none"
    corpus = load_corpus("nietzsche")
    assert run.vocab.chars == Vocab.from_text(corpus.text).chars  # case, punctuation and newlines kept
    gen = Generator.from_run(default_run_path())
    result = gen.generate("The philosopher ", SamplerSettings(strategy="temperature", temperature=0.5), 200,
                          seed=7)
    assert len(result.text) == 200 and all(c in run.vocab for c in result.text)
    # A trained model writes words of the corpus; random weights would not.
    corpus_words = set(re.findall(r"[A-Za-z]+", corpus.text))
    words = re.findall(r"[A-Za-z]+", result.text)[1:-1]  # the first and last may be cut
    assert len(words) >= 20
    assert sum(w in corpus_words for w in words) / len(words) >= 0.8
    # And it predicts the held-out tail far better than chance (full evaluation: `chargen eval`).
    tail = corpus.text[-2001:]
    probs = gen.probabilities(tail)[:-1]
    ids = run.vocab.encode(tail)[1:]
    nats = -np.mean(np.log(probs[np.arange(len(ids)), ids] + 1e-12))
    assert nats < 1.6 < math.log(run.vocab.size)
