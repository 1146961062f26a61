"""Vocabulary: ids, StringLookup agreement, JSON round trip."""
import numpy as np

from chargen_core.data import Vocab


def string_lookup(vocab: Vocab, invert: bool = False):
    """Keras' StringLookup over the same characters: the reference the fast numpy encoder must agree with."""
    import keras

    return keras.layers.StringLookup(vocabulary=list(vocab.chars), num_oov_indices=1, oov_token=Vocab.UNK,
                                     mask_token=None, invert=invert)


def test_ids_follow_string_lookup_and_round_trip(tiny_text):
    import tensorflow as tf

    vocab = Vocab.from_text(tiny_text + "ışğüöçâ")
    assert string_lookup(vocab).get_vocabulary() == [Vocab.UNK, *vocab.chars]
    ids = vocab.encode(tiny_text)
    assert ids.dtype == np.int32 and ids.min() >= 1
    reference = string_lookup(vocab)(tf.strings.unicode_split(tf.constant(tiny_text), "UTF-8")).numpy()
    np.testing.assert_array_equal(ids, reference.astype(np.int32))
    assert vocab.decode(ids) == tiny_text
    back = string_lookup(vocab, invert=True)(ids[:10]).numpy()
    assert [b.decode() for b in back] == list(tiny_text[:10])


def test_unknown_characters_are_counted(tiny_text):
    vocab = Vocab.from_text("abc")
    ids = vocab.encode("abxcx")
    assert list(ids) == [1, 2, 0, 3, 0]
    assert vocab.unknown_chars("abxcyx") == "xy"
    assert vocab.decode([1, 0]) == "a" + Vocab.UNK_CHAR


def test_json_round_trip_is_identical(tmp_path):
    vocab = Vocab.from_text("héllo wörld\n\t\"quoted\"")
    path = tmp_path / "vocab.json"
    path.write_text(vocab.to_json(), encoding="utf-8")
    loaded = Vocab.load(path)
    assert loaded == vocab and loaded.size == vocab.size
    np.testing.assert_array_equal(loaded.encode("wörld"), vocab.encode("wörld"))
