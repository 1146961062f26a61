"""Samplers against stub distributions with readable answers, and chi-square frequency checks."""
import string

import numpy as np
import pytest

from chargen_core.errors import SettingsError
from chargen_core.generate import COMPARE_SET, STRATEGIES, SamplerSettings, make_sampler
from chargen_core.generate.probability import RepetitionPenalty
from chargen_core.generate import LiveSettings

LETTERS = string.ascii_lowercase
# A fixed distribution over 6 ids (id 0 has no mass, like [UNK]).
PROBS = np.array([0.0, 0.4, 0.25, 0.15, 0.12, 0.08])


def pick_many(settings, probs=PROBS, n=20000, seed=0):
    """Sample n ids from one row through the sampler's own step (tempered probabilities, then its choice)."""
    with np.errstate(divide="ignore"):
        logits = np.log(probs)
    sampler, rng = make_sampler(settings), np.random.default_rng(seed)
    return np.array([sampler.next_id(logits, rng) for _ in range(n)])


def chi_square(counts, expected):
    keep = expected > 0
    assert counts[~keep].sum() == 0, "sampled an id that has no mass"
    return float((((counts - expected) ** 2)[keep] / expected[keep]).sum())


def check_frequencies(settings, target):
    ids = pick_many(settings)
    counts = np.bincount(ids, minlength=len(PROBS)).astype(float)
    stat = chi_square(counts, target / target.sum() * len(ids))
    # Critical value of chi-square with <= 5 degrees of freedom at p = 0.001 is 20.5; be generous.
    assert stat < 25.0, f"chi-square {stat:.1f}: {counts}"


def one_hot_logits(text):
    """Rows whose argmax spells text over a-z (id i+1 = LETTERS[i]); mass elsewhere is small."""
    logits = np.full((len(text), 27), -3.0)
    for row, char in enumerate(text):
        logits[row, LETTERS.index(char) + 1] = 8.0
    return logits


def spell(settings, text="chargen", seed=0):
    sampler, rng = make_sampler(settings), np.random.default_rng(seed)
    ids = [sampler.next_id(row, rng) for row in one_hot_logits(text)]
    return "".join(LETTERS[i - 1] for i in ids)


@pytest.mark.parametrize("settings", [
    SamplerSettings("greedy"), SamplerSettings("temperature", temperature=0.1), SamplerSettings("top-k", k=1),
    SamplerSettings("top-p", p=0.5), SamplerSettings("min-p", min_p=0.5),
])
def test_every_sampler_reads_the_one_hot_string(settings):
    assert spell(settings) == "chargen"


def test_high_temperature_on_one_hot_rows_is_no_longer_the_string():
    assert spell(SamplerSettings("temperature", temperature=50.0)) != "chargen"


@pytest.mark.parametrize("settings", [
    SamplerSettings("top-k", k=1), SamplerSettings("top-p", p=1e-6), SamplerSettings("min-p", min_p=1.0),
    SamplerSettings("temperature", temperature=0.0), SamplerSettings("temperature", temperature=1e-4),
])
def test_degenerate_settings_equal_greedy(settings):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(200, 30))
    greedy = logits.argmax(axis=1)
    sampler = make_sampler(settings)
    assert [sampler.next_id(row, rng) for row in logits] == greedy.tolist()


def test_temperature_one_samples_the_distribution():
    check_frequencies(SamplerSettings("temperature", temperature=1.0), PROBS)


def test_temperature_half_samples_squared_distribution():
    check_frequencies(SamplerSettings("temperature", temperature=0.5), PROBS ** 2)


def test_top_k_renormalises_the_k_most_likely():
    target = PROBS.copy()
    target[4:] = 0
    check_frequencies(SamplerSettings("top-k", k=3, temperature=1.0), target)


def test_top_p_keeps_the_smallest_set_reaching_p():
    target = PROBS.copy()
    target[4:] = 0  # 0.4 + 0.25 = 0.65 < 0.7 <= 0.8: the third one is needed, the fourth is not
    check_frequencies(SamplerSettings("top-p", p=0.7, temperature=1.0), target)


def test_min_p_drops_the_unlikely():
    target = np.where(PROBS >= 0.3 * 0.4, PROBS, 0.0)
    check_frequencies(SamplerSettings("min-p", min_p=0.3, temperature=1.0), target)


def test_chi_square_catches_a_wrong_distribution():
    ids = pick_many(SamplerSettings("temperature", temperature=1.0))
    counts = np.bincount(ids, minlength=len(PROBS)).astype(float)
    uniform = np.array([0, 1, 1, 1, 1, 1.0])
    assert chi_square(counts, uniform / uniform.sum() * len(ids)) > 100


def test_same_seed_same_sample():
    a = pick_many(SamplerSettings("top-p", temperature=1.0), n=100, seed=7)
    b = pick_many(SamplerSettings("top-p", temperature=1.0), n=100, seed=7)
    c = pick_many(SamplerSettings("top-p", temperature=1.0), n=100, seed=8)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_repetition_penalty_discourages_seen_ids():
    logits = np.array([[0.0, 2.0, 1.9, -1.0, -1.2]])
    penalty = RepetitionPenalty(1, 5, np.array([1, 4]))
    out = penalty.apply(logits, 2.0)
    np.testing.assert_allclose(out, [[0.0, 1.0, 1.9, -1.0, -2.4]])
    assert make_sampler(SamplerSettings("greedy")).next_id(out[0], None) == 2


def test_repetition_penalty_forgets_after_its_window():
    from chargen_core.generate import REPETITION_WINDOW

    penalty = RepetitionPenalty(1, 5, np.array([1]))
    for _ in range(REPETITION_WINDOW):
        penalty.push(np.array([2]))
    assert penalty.counts[0, 1] == 0 and penalty.counts[0, 2] == REPETITION_WINDOW


def test_high_temperature_keeps_characters_far_below_the_top():
    # exp(l - max) underflows float32 for l 120 below the top; raised to 1/T afterwards it stays 0 and the
    # character could never be drawn. Tempering the logits first gives it exp(-120 / 20) = e^-6 of the top.
    logits = np.array([-np.inf, 0.0, -120.0], np.float32)
    sampler = make_sampler(SamplerSettings("temperature", temperature=20.0))
    expected = np.array([0.0, 1.0, np.exp(-6.0)]) / (1 + np.exp(-6.0))
    np.testing.assert_allclose(sampler.probabilities(logits), expected, rtol=1e-5)
    rng = np.random.default_rng(0)
    drawn = sum(sampler.next_id(logits, rng) == 2 for _ in range(20000))
    assert 20 < drawn < 90  # about 49 expected


@pytest.mark.parametrize("settings, fixed", [
    (SamplerSettings(k=500), {"k": 39}), (SamplerSettings(p=1.5), {"p": 1.0}), (SamplerSettings(p=0.0), {"p": 0.01}),
    (SamplerSettings(min_p=3.0), {"min_p": 1.0}), (SamplerSettings(beams=0), {"beams": 1}),
    (SamplerSettings(temperature=-1.0), {"temperature": 0.0}),
])
def test_clamp_pulls_values_into_range_with_a_notice(settings, fixed):
    clamped, notices = settings.clamp(40)
    assert len(notices) == 1 and all(getattr(clamped, name) == value for name, value in fixed.items())
    assert clamped.clamp(40) == (clamped, [])


def test_live_settings_versions_every_change():
    live = LiveSettings(SamplerSettings("greedy"), stop=("\n\n",))
    assert live.current() == (0, SamplerSettings("greedy"))
    assert live.set(SamplerSettings("top-k")) == 1 and live.settings.strategy == "top-k" and live.stop == ("\n\n",)
    assert live.set(stop=()) == 2 and live.settings.strategy == "top-k" and live.stop == ()


def test_describe_names_the_knobs_of_the_strategy():
    assert SamplerSettings("top-k", temperature=0.5, k=3).describe() == "top-k T=0.50 k=3 rep=off"
    assert SamplerSettings("beam", beams=4, repetition_penalty=1.2).describe() == "beam beams=4 rep=1.20"


@pytest.mark.parametrize("settings, message", [
    (SamplerSettings(k=0), "--k must be a positive integer"),
    (SamplerSettings(k=-3), "--k must be a positive integer"),
    (SamplerSettings(p=0.0), "--p must be in (0, 1]"),
    (SamplerSettings(p=1.5), "--p must be in (0, 1]"),
    (SamplerSettings(min_p=0.0), "--min-p must be in (0, 1]"),
    (SamplerSettings(min_p=2.0), "--min-p must be in (0, 1]"),
    (SamplerSettings(temperature=-0.1), "--temperature must be >= 0"),
    (SamplerSettings(beams=0), "--beams must be an integer >= 1"),
    (SamplerSettings(repetition_penalty=0.0), "--repetition-penalty must be > 0"),
    (SamplerSettings(strategy="nucleus"), "unknown strategy"),
])
def test_bad_settings_raise_one_line(settings, message):
    with pytest.raises(SettingsError) as info:
        settings.validate(40)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_k_larger_than_vocab_is_clamped_with_notice():
    settings, notices = SamplerSettings("top-k", k=500).validate(40)
    assert settings.k == 39 and len(notices) == 1 and "k=500" in notices[0]
    assert SamplerSettings().validate(40) == (SamplerSettings(), [])


def test_compare_set_is_the_tutorial_table_plus_three():
    labels = [label for label, _ in COMPARE_SET]
    assert labels == ["greedy", "temperature 0.2", "temperature 0.5", "temperature 1", "temperature 1.2",
                      "top-k 2", "top-k 3", "top-k 4", "top-k 5", "top-p 0.9", "min-p 0.05", "beam 4"]
    assert {s.strategy for _, s in COMPARE_SET} == set(STRATEGIES)
