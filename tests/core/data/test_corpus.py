"""Corpus sources, decoding and standardization."""
import functools
import http.server
import threading

import pytest

from chargen_core.data import Corpus, load_corpus, standardize_text
from chargen_core.errors import CorpusError


def test_seed_standardization_matches_the_tutorial_recipe():
    raw = "PREFACE\n\nSUPPOSING that Truth is a woman--what then?<br />Is 42 it!\n"
    assert standardize_text(raw, "seed") == "prefacesupposing that truth is a woman  what thenis    it"


def test_lower_and_none_modes():
    assert standardize_text("AbC\nD", "lower") == "abc\nd"
    assert standardize_text("AbC\nD", "none") == "AbC\nD"
    with pytest.raises(CorpusError):
        standardize_text("x", "upper")


def test_builtin_corpus_is_python_help_text():
    corpus = load_corpus("builtin")
    assert corpus.chars > 100_000
    assert "def" in corpus.text and "\r" not in corpus.text
    assert corpus.lines > 1000 and corpus.sample_line()


def test_file_crlf_and_bom_are_normalised(tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffline one\r\nline two\r\n".encode("utf-8"))
    corpus = load_corpus(str(path))
    assert corpus.text == "line one\nline two\n"
    assert corpus.lines == 2


def test_turkish_text_and_other_encodings(tmp_path):
    text = "Işık ağaçların arasından süzülüyordu; çocuklar gülüşüyor, şarkı söylüyordu.\n"
    (tmp_path / "tr.txt").write_text(text, encoding="utf-8")
    assert load_corpus(str(tmp_path / "tr.txt")).text == text
    (tmp_path / "tr9.txt").write_bytes(text.encode("iso-8859-9"))
    assert load_corpus(str(tmp_path / "tr9.txt"), encoding="iso-8859-9").text == text
    with pytest.raises(CorpusError, match="not valid utf-8"):
        load_corpus(str(tmp_path / "tr9.txt"))
    with pytest.raises(CorpusError, match="unknown encoding"):
        load_corpus(str(tmp_path / "tr.txt"), encoding="klingon-1")


def test_folder_is_concatenated_in_sorted_order(tmp_path):
    (tmp_path / "b.txt").write_text("second\n")
    (tmp_path / "a.txt").write_text("first\n\n")
    (tmp_path / "notes.md").write_text("ignored")
    assert load_corpus(str(tmp_path)).text == "first\n\nsecond"


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: p / "missing.txt", "not found"),
        (lambda p: (p / "empty.txt").write_text("  \n") and p / "empty.txt", "empty"),
        (lambda p: (p / "bin.dat").write_bytes(b"\x89PNG\x00\x00\x01") and p / "bin.dat", "binary"),
        (lambda p: (p / "sub").mkdir() or p / "sub", "no .txt"),
    ],
)
def test_bad_sources_raise_one_line_errors(tmp_path, setup, message):
    with pytest.raises(CorpusError, match=message) as info:
        load_corpus(str(setup(tmp_path)))
    assert "\n" not in str(info.value)


def test_empty_after_standardization(tmp_path):
    (tmp_path / "digits.txt").write_text("123 -- 456!?\n")
    with pytest.raises(CorpusError, match="empty after standardization"):
        load_corpus(str(tmp_path / "digits.txt"), standardize="seed")


@pytest.fixture
def local_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_is_downloaded_once_into_the_cache(tmp_path, local_server):
    served, base = local_server
    (served / "book.txt").write_text("Some text to learn from.\n" * 20)
    cache = tmp_path / "cache"
    corpus = load_corpus(f"{base}/book.txt", cache_dir=cache)
    assert corpus.text.startswith("Some text") and corpus.name == "book.txt"
    (served / "book.txt").unlink()  # the second load must come from the cache
    assert load_corpus(f"{base}/book.txt", cache_dir=cache).text == corpus.text


def test_file_url_and_unreachable_url(tmp_path, tiny_corpus_file):
    corpus = load_corpus(tiny_corpus_file.as_uri(), cache_dir=tmp_path / "c")
    assert isinstance(corpus, Corpus) and corpus.chars == len(tiny_corpus_file.read_text())
    with pytest.raises(CorpusError, match="cannot download"):
        load_corpus("http://127.0.0.1:9/nothing.txt", cache_dir=tmp_path / "c")


def test_nietzsche_preset_is_bundled_and_works_with_no_network(tmp_path, monkeypatch):
    import hashlib
    import socket

    from chargen_core.data import corpus as corpus_mod

    # No URL is reachable: the preset's URL points nowhere and any socket connection fails.
    monkeypatch.setitem(corpus_mod.PRESETS, "nietzsche", ("http://127.0.0.1:9/nietzsche.txt", 600_901))

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    corpus = load_corpus("nietzsche", cache_dir=tmp_path)
    raw = corpus.text.encode("utf-8")
    assert len(raw) == 600_917 and hashlib.sha256(raw).hexdigest() == corpus_mod.BUNDLED["nietzsche"][1]
    assert corpus.text.startswith("PREFACE\n\n\nSUPPOSING that Truth is a woman")
    assert corpus.text.rstrip().endswith("indications of sinfulness.")
    assert not any(tmp_path.iterdir())  # nothing was downloaded or cached
    seed = load_corpus("nietzsche", standardize="seed", cache_dir=tmp_path)
    assert "\n" not in seed.text and seed.text.startswith("preface")


def test_nietzsche_falls_back_to_the_download_when_the_bundled_copy_is_damaged(tmp_path, monkeypatch):
    from chargen_core.data import corpus as corpus_mod

    monkeypatch.setitem(corpus_mod.BUNDLED, "nietzsche", ("nietzsche.txt.xz", "0" * 64))  # checksum mismatch
    monkeypatch.setitem(corpus_mod.PRESETS, "nietzsche", ("http://127.0.0.1:9/nietzsche.txt", 600_901))
    with pytest.raises(CorpusError, match="cannot download"):
        load_corpus("nietzsche", cache_dir=tmp_path)
    served = tmp_path / "served.txt"
    served.write_text("a fresh copy\n", encoding="utf-8")
    monkeypatch.setitem(corpus_mod.PRESETS, "nietzsche", (served.as_uri(), None))
    assert load_corpus("nietzsche", cache_dir=tmp_path / "cache").text == "a fresh copy\n"
