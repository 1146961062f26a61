"""Beam search against exhaustive search on a tiny stub model, and its streaming of agreed prefixes."""
import itertools
from typing import Callable, Iterator

import numpy as np
import pytest

from chargen_core.generate.beam import BeamSearch, length_normaliser

VOCAB = 3


def beam_search(
    step: Callable[[np.ndarray], np.ndarray], start_logp: np.ndarray, width: int, length: int,
    length_penalty: float = 0.0,
) -> Iterator[int]:
    """Stream the ids of a beam search over a stateless stub: step(prefixes (B, t)) -> log-probs (B, V).

    (The Generator drives BeamSearch itself with a batched recurrent state; this drives it over a stub.)
    """
    search = BeamSearch(width, length_penalty)
    logp = np.repeat(start_logp[None], width, axis=0)
    prefixes = np.zeros((width, 0), np.int64)
    for _ in range(length):
        parents, ids = search.advance(logp)
        prefixes = np.concatenate([prefixes[parents], ids[:, None]], axis=1)
        for token in search.agreed():
            yield token.id
        if search.steps < length:
            logp = step(prefixes)
    for token in search.finish():
        yield token.id


def stub_logp(prefix: tuple[int, ...]) -> np.ndarray:
    """A fixed, history-dependent distribution (a tiny 'model' with no ties)."""
    rng = np.random.default_rng(hash(prefix) % (2 ** 32))
    p = rng.dirichlet(np.ones(VOCAB))
    return np.log(p)


def step(prefixes: np.ndarray) -> np.ndarray:
    return np.stack([stub_logp(tuple(row.tolist())) for row in prefixes])


def exhaustive(length: int) -> tuple[int, ...]:
    def score(seq):
        return sum(stub_logp(seq[:i])[seq[i]] for i in range(length))

    return max(itertools.product(range(VOCAB), repeat=length), key=score)


@pytest.mark.parametrize("length", [1, 2, 4])
def test_wide_beam_equals_exhaustive_search(length):
    width = VOCAB ** max(length - 1, 1)  # keeps every prefix alive, so nothing is pruned
    got = tuple(beam_search(step, stub_logp(()), width, length))
    assert got == exhaustive(length)


def test_width_one_is_greedy():
    prefix = ()
    for _ in range(5):
        prefix += (int(np.argmax(stub_logp(prefix))),)
    assert tuple(beam_search(step, stub_logp(()), 1, 5)) == prefix


def test_emits_exactly_length_tokens_and_best_last():
    tokens = list(beam_search(step, stub_logp(()), 2, 6))
    assert len(tokens) == 6


def test_disagreeing_beams_wait_for_the_end():
    # After the first id, each hypothesis can only repeat it: "0000" and "1111" stay the two best.
    calls = []

    def repeat_first(prefixes):
        calls.append(len(prefixes[0]))
        logp = np.full((len(prefixes), 3), np.log(1e-6))
        logp[np.arange(len(prefixes)), prefixes[:, 0]] = 0.0
        return logp

    start = np.log(np.array([0.5, 0.5 - 1e-6, 1e-6]))
    emitted = []
    for token in beam_search(repeat_first, start, 2, 4):
        emitted.append((token, len(calls)))
    assert emitted == [(0, 3)] * 4  # nothing until the end (3 model calls), then the best beam


def test_agreeing_beams_stream_at_once():
    calls = []

    def always_one(prefixes):
        calls.append(1)
        return np.log(np.tile([0.05, 0.9, 0.05], (len(prefixes), 1)))

    got = [(token, len(calls)) for token in beam_search(always_one, np.log(np.array([0.05, 0.9, 0.05])), 2, 5)]
    assert [t for t, _ in got] == [1] * 5
    assert got[0][1] <= 1  # the first id streams after one or two steps, not at the end


def test_length_normaliser():
    assert length_normaliser(10, 0.0) == 1.0
    assert length_normaliser(1, 1.0) == 1.0
    assert length_normaliser(7, 1.0) == pytest.approx(2.0)
    search = BeamSearch(1, length_penalty=1.0)
    for _ in range(7):
        search.advance(np.log(np.array([[0.5, 0.5]])))
    assert search.score() == pytest.approx(7 * np.log(0.5) / 2.0)


def test_commit_oldest_bounds_how_far_beams_run_ahead():
    rng = np.random.default_rng(0)
    search = BeamSearch(3)
    emitted = []
    for _ in range(60):
        search.advance(np.log(rng.dirichlet(np.full(6, 0.5), size=3)))  # flat-ish rows: beams keep disagreeing
        if search.steps - search.emitted > 4:
            search.commit_oldest()
        emitted += [t.id for t in search.agreed()]
        assert search.steps - search.emitted <= 4
    emitted += [t.id for t in search.finish()]
    assert len(emitted) == 60
