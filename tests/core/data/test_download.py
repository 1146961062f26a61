"""Downloads from a local HTTP server on 127.0.0.1: stdout stays one JSON line, HTML pages are refused unless
--allow-html, and the cache is keyed by the whole URL."""
import functools
import http.server
import json
import threading

import pytest

from chargen_core.cli import main
from chargen_core.data import load_corpus
from chargen_core.data.download import cache_name, default_cache_dir
from chargen_core.errors import CorpusError

TEXT_A = "the quick brown fox jumps over the lazy dog.\n" * 40
TEXT_B = "a stitch in time saves nine; the early bird catches the worm.\n" * 40
PAGE = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>please log in</body></html>\n" * 20


@pytest.fixture
def server(tmp_path):
    """http://127.0.0.1:PORT/ serving a/corpus.txt, b/corpus.txt and page.txt (HTML behind a .txt name)."""
    root = tmp_path / "www"
    for rel, text in (("a/corpus.txt", TEXT_A), ("b/corpus.txt", TEXT_B), ("page.txt", PAGE)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARGEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_two_urls_with_one_file_name_get_their_own_cache_entries(server, cache):
    a = load_corpus(f"{server}/a/corpus.txt")
    b = load_corpus(f"{server}/b/corpus.txt")
    assert a.text == TEXT_A and b.text == TEXT_B  # b used to get a's cached bytes
    assert a.name == b.name == "corpus.txt"
    assert cache_name(f"{server}/a/corpus.txt") != cache_name(f"{server}/b/corpus.txt")
    assert len(list((cache / "corpora").iterdir())) == 2


def test_download_progress_goes_to_stderr_so_json_is_one_line(server, capsys):
    assert main(["info", "--corpus", f"{server}/a/corpus.txt", "--json"]) == 0
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 1 and json.loads(out)["chars"] == len(TEXT_A)
    assert "downloaded" in err and "Downloading data from" not in out


def test_an_html_page_is_refused_unless_allowed(server, capsys):
    with pytest.raises(CorpusError, match="HTML page.*--allow-html"):
        load_corpus(f"{server}/page.txt")
    assert main(["info", "--corpus", f"{server}/page.txt"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--allow-html" in err.splitlines()[-1] and "error" in err.splitlines()[-1], err
    corpus = load_corpus(f"{server}/page.txt", allow_html=True)
    assert corpus.text.startswith("<!DOCTYPE html>") and corpus.allow_html
    assert main(["info", "--corpus", f"{server}/page.txt", "--allow-html", "--json"]) == 0


def test_cache_folder_is_the_platform_s_unless_chargen_cache_says(tmp_path, monkeypatch):
    monkeypatch.delenv("CHARGEN_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "chargen"  # platformdirs' rule on Linux
    monkeypatch.setenv("CHARGEN_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
