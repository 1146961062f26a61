"""The stepped generator against the Keras model, prompt policy, seeds, refresh and compare mode."""
import numpy as np
import pytest

from chargen_core.model import lstm_step
from chargen_core.config import ModelConfig
from chargen_core.errors import SettingsError
from chargen_core.generate import GeneratedChar, Generator
from chargen_core.model import build_model
from chargen_core.generate import COMPARE_SET, LiveSettings, SamplerSettings
from chargen_core.data import Vocab

TEXT = "the quick brown fox jumps over the lazy dog.\nto be, or not to be: that is the question.\n"
VOCAB = Vocab.from_text(TEXT)


def tiny_model(cfg: ModelConfig, seed: int = 0):
    """A small model with random weights scaled up, so the probabilities are far from uniform."""
    model = build_model(cfg, VOCAB.size)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.4, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def lstm():
    cfg = ModelConfig(embedding_dim=8, units=24, layers=2)
    model = tiny_model(cfg)
    return model, Generator.from_model(model, VOCAB, cfg)


@pytest.fixture(scope="module")
def gen(lstm):
    return lstm[1]


def without_unk(probs):
    """Probabilities as generation sees them: [UNK] (id 0) never generated, the rest renormalised."""
    probs = np.array(probs, np.float64)
    probs[..., 0] = 0
    return probs / probs.sum(axis=-1, keepdims=True)


def keras_probs(model, text):
    import keras

    logits = model(VOCAB.encode(text)[None])
    return without_unk(keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))[0])


@pytest.mark.parametrize("layers", [1, 2])
def test_stepped_probabilities_match_keras_on_a_whole_sequence(layers):
    cfg = ModelConfig(embedding_dim=8, units=24, layers=layers)
    model = tiny_model(cfg, seed=layers)
    got = Generator.from_model(model, VOCAB, cfg).probabilities(TEXT)
    np.testing.assert_allclose(got, keras_probs(model, TEXT), atol=1e-4)


def test_seed_window_model_matches_keras():
    cfg = ModelConfig(arch="seed")
    model = tiny_model(cfg)
    gen = Generator.from_model(model, VOCAB, cfg)
    windows = np.stack([VOCAB.encode(TEXT[i: i + 20]) for i in range(0, 60, 7)])
    net = gen._net
    logits = net.logits(windows)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    np.testing.assert_allclose(probs, without_unk(model(windows, training=False)), atol=1e-4)
    text = gen.generate("to be, or not", SamplerSettings("greedy"), 10).text
    assert len(text) == 10


def test_greedy_stream_follows_the_keras_argmax(lstm):
    model, gen = lstm
    prompt = "to be, or"
    chars = list(gen.stream(prompt, SamplerSettings("greedy"), 8))
    assert all(isinstance(c, GeneratedChar) for c in chars)
    text = prompt
    for c in chars:
        p = keras_probs(model, text)[-1]
        assert c.char == VOCAB.id_to_char(int(p.argmax()))
        assert c.prob == pytest.approx(p.max(), abs=1e-4)
        assert c.candidates[0] == (c.char, pytest.approx(c.prob)) and len(c.candidates) == 5
        assert [q for _, q in c.candidates] == sorted((q for _, q in c.candidates), reverse=True)
        text += c.char


def test_priming_in_chunks_equals_one_pass(gen, monkeypatch):
    prompt = TEXT * 3
    whole = gen.probabilities(prompt)[-1]
    monkeypatch.setattr(lstm_step, "PRIME_CHUNK", 7)
    state = gen._net.new_state(1)
    logits = state.prime(VOCAB.encode(prompt))
    chunked = np.exp(logits[0] - logits[0].max())
    np.testing.assert_allclose(chunked / chunked.sum(), whole, atol=1e-5)


def test_fixed_seed_reproduces(gen):
    settings = SamplerSettings("temperature", temperature=1.0)
    a = gen.generate("the ", settings, 60, seed=5).text
    assert a == gen.generate("the ", settings, 60, seed=5).text
    assert a != gen.generate("the ", settings, 60, seed=6).text


@pytest.mark.parametrize("strategy", ["greedy", "temperature", "top-k", "top-p", "min-p", "beam"])
def test_every_strategy_streams_the_requested_length(gen, strategy):
    result = gen.generate("the ", SamplerSettings(strategy, repetition_penalty=1.3), 25, seed=1)
    assert result.chars == 25 == len(result.text) and set(result.text) <= set(VOCAB.chars)
    assert result.strategy == strategy and result.settings["repetition_penalty"] == 1.3


def test_stream_can_be_cancelled(gen):
    stream = gen.stream("the ", SamplerSettings("beam", beams=3), 1000)
    first = next(stream)
    stream.close()
    assert isinstance(first, GeneratedChar)


def test_unknown_prompt_chars_are_dropped_and_reported(gen):
    prepared = gen.prepare_prompt("the Ωquick€")
    assert prepared.text == "the quick" and prepared.unknown == "Ω€"
    result = gen.generate("the Ωquick€", SamplerSettings("greedy"), 5)
    assert any("'Ω€'" in n for n in result.notices)
    assert result.text == gen.generate("the quick", SamplerSettings("greedy"), 5).text


def test_empty_prompt_starts_from_newline(gen):
    result = gen.generate("", SamplerSettings("greedy"), 10)
    assert result.text == gen.generate("\n", SamplerSettings("greedy"), 10).text
    assert any("empty prompt" in n for n in result.notices)


def test_prompt_is_standardized_like_the_corpus(lstm):
    model, _ = lstm
    cfg = ModelConfig(embedding_dim=8, units=24, layers=2)
    gen = Generator.from_model(model, VOCAB, cfg, standardize="lower")
    prepared = gen.prepare_prompt("THE Quick")
    assert prepared.text == "the quick" and prepared.standardized and prepared.unknown == ""


def test_long_prompt_works(gen):
    prompt = (TEXT * 1200)[:100_000]
    result = gen.generate(prompt, SamplerSettings("greedy"), 5)
    assert result.chars == 5


def test_refresh_swaps_in_new_weights(lstm):
    model, _ = lstm
    cfg = ModelConfig(embedding_dim=8, units=24, layers=2)
    gen = Generator.from_model(model, VOCAB, cfg)
    other = tiny_model(cfg, seed=9)
    before = gen.probabilities(TEXT)
    gen.refresh(other.get_weights())
    np.testing.assert_allclose(gen.probabilities(TEXT), keras_probs(other, TEXT), atol=1e-4)
    assert not np.allclose(before, gen.probabilities(TEXT), atol=1e-3)


def test_compare_returns_every_strategy_matching_single_runs(gen):
    results = gen.compare("to be", 30, seed=3)
    assert [label for label, _ in results] == [label for label, _ in COMPARE_SET]
    assert all(r.chars == 30 for _, r in results)
    by_label = dict(results)
    assert by_label["greedy"].text == gen.generate("to be", SamplerSettings("greedy"), 30).text
    assert by_label["beam 4"].text == gen.generate("to be", SamplerSettings("beam", beams=4), 30).text


def test_bad_length_is_a_settings_error(gen):
    with pytest.raises(SettingsError, match="--length"):
        gen.generate("the", SamplerSettings(), -1)
    with pytest.raises(SettingsError, match="--k"):
        list(gen.stream("the", SamplerSettings("top-k", k=0), 3))


def test_tutorial_loop_agrees_with_the_fast_seed_path():
    from chargen_core.generate import tutorial_loop

    cfg = ModelConfig(arch="seed")
    model = tiny_model(cfg, seed=4)
    slow = "".join(tutorial_loop(model, VOCAB, "to be, or not", SamplerSettings("greedy"), 6))
    fast = Generator.from_model(model, VOCAB, cfg).generate("to be, or not", SamplerSettings("greedy"), 6).text
    assert slow == fast


def test_weights_that_do_not_fit_the_config_are_a_run_dir_error(lstm):
    from chargen_core.errors import RunDirError

    model, _ = lstm
    with pytest.raises(RunDirError, match="do not match"):
        Generator.from_model(model, VOCAB, ModelConfig(embedding_dim=8, units=24, layers=1))
    with pytest.raises(RunDirError, match="vocabulary"):
        Generator.from_model(model, Vocab.from_text("abc"), ModelConfig(embedding_dim=8, units=24, layers=2))


def test_compare_entries_equal_their_single_runs_with_the_same_seed(gen):
    results = dict(gen.compare("to be", 20, seed=11))
    for label in ("temperature 1.2", "top-p 0.9"):
        settings = dict(COMPARE_SET)[label]
        assert results[label].text == gen.generate("to be", settings, 20, seed=11).text


STRATEGY_SETTINGS = [SamplerSettings("greedy"), SamplerSettings("temperature", temperature=1.3),
                     SamplerSettings("top-k", k=3), SamplerSettings("top-p", p=0.8),
                     SamplerSettings("min-p", min_p=0.2), SamplerSettings("beam", beams=3),
                     SamplerSettings("temperature", repetition_penalty=1.5)]


@pytest.mark.parametrize("before", STRATEGY_SETTINGS, ids=lambda s: s.label() + f" r{s.repetition_penalty}")
@pytest.mark.parametrize("after", [SamplerSettings("greedy"), SamplerSettings("beam", beams=2),
                                   SamplerSettings("top-k", k=2, repetition_penalty=2.0)], ids=lambda s: s.label())
def test_live_settings_apply_from_the_next_character(gen, before, after):
    live = LiveSettings(before)
    out = []
    for char in gen.stream("to be", live, 40, seed=2):
        out.append(char)
        if len(out) == 15:
            live.set(after)
    assert len(out) == 40
    used = [c.settings for c in out]
    if before == after:
        assert set(used) == {after}
        return
    first_after = used.index(after)
    assert all(u == before for u in used[:first_after]) and all(u == after for u in used[first_after:])
    # Sampled strategies switch at the very next char; beam first commits the chars it had decided.
    assert first_after == 15 or before.strategy == "beam"
    if before.strategy != "beam" and after.strategy == "greedy":
        # From the switch on the text is the greedy continuation of what was shown.
        shown = "".join(c.char for c in out[:15])
        rest = gen.generate("to be" + shown, SamplerSettings("greedy"), 25).text
        assert "".join(c.char for c in out[15:]) == rest


@pytest.mark.parametrize("settings", STRATEGY_SETTINGS, ids=lambda s: s.label())
def test_an_untouched_handle_reproduces_the_fixed_settings_run(gen, settings):
    fixed = gen.generate("the ", settings, 30, seed=4).text
    assert "".join(c.char for c in gen.stream("the ", LiveSettings(settings), 30, seed=4)) == fixed


def test_continue_keeps_the_state(gen):
    settings = SamplerSettings("temperature", temperature=1.0)
    stream = gen.open("to be", settings, seed=8)
    first = "".join(c.char for c in stream.take(12))
    more = "".join(c.char for c in stream.take(18))
    assert first + more == gen.generate("to be", settings, 30, seed=8).text


def test_beam_cut_short_continues_from_the_shown_text(gen):
    live = LiveSettings(SamplerSettings("beam", beams=3))
    stream = gen.open("to be", live)
    taking = stream.take(None)
    shown = "".join(next(taking).char for _ in range(7))
    taking.close()
    live.set(SamplerSettings("greedy"))
    after = "".join(c.char for c in stream.take(10))
    assert after == gen.generate("to be" + shown, SamplerSettings("greedy"), 10).text


def test_feed_and_candidates_continue_from_chosen_text(gen):
    stream = gen.open("to b", SamplerSettings("greedy"))
    probs = gen.probabilities("to b")[-1]
    best = [c for c, _ in stream.candidates()]
    assert best[0] == VOCAB.chars[int(probs.argmax()) - 1] and len(best) == 5
    assert stream.feed("eΩ") == "e"
    after = "".join(c.char for c in stream.take(8))
    assert after == gen.generate("to be", SamplerSettings("greedy"), 8).text


def test_stop_strings_end_the_stream(gen):
    text = gen.generate("the ", SamplerSettings("greedy"), 200).text
    stop = text[20:22]
    cut = gen.generate("the ", SamplerSettings("greedy"), 200, stop=[stop]).text
    assert cut.endswith(stop) and text.startswith(cut) and len(cut) <= 22
    live = LiveSettings(SamplerSettings("greedy"), stop=(stop,))
    assert "".join(c.char for c in gen.stream("the ", live, 200)) == cut


def test_until_stopped_streams_without_a_length(gen):
    taking = gen.stream("the ", SamplerSettings("top-k", k=3), None, seed=1)
    assert len([next(taking) for _ in range(500)]) == 500
    taking.close()
