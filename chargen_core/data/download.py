"""URL corpora: downloaded once into a cache keyed by the whole URL, with HTML pages told apart from text.

Keras' get_file does the fetching (it is imported only here, when a URL is used); its chatter on stdout is
replaced by one line on stderr so stdout stays clean for results and --json.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

from ..errors import CorpusError, first_line

URL_SCHEMES = ("http", "https", "file", "ftp")


def is_url(source: str) -> bool:
    return urlparse(source).scheme in URL_SCHEMES and "://" in source


def default_cache_dir() -> Path:
    """CHARGEN_CACHE, else the platform's user cache folder (~/.cache/chargen on Linux, XDG_CACHE_HOME honoured)."""
    if os.environ.get("CHARGEN_CACHE"):
        return Path(os.environ["CHARGEN_CACHE"]).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("chargen", appauthor=False)


def cache_name(url: str) -> str:
    """The cache entry of a URL: keyed by the whole URL (two URLs ending in the same name stay apart), named
    after its last path segment so the cache folder stays readable."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(urlparse(url).path).name)[:80] or "corpus.txt"
    return f"{digest}-{name}"


def looks_like_html(data: bytes) -> bool:
    """An HTML page (an error, login or index page) rather than plain text: it opens with an HTML tag."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title"))


def download(url: str, cache_dir: str | Path | None = None, expected_size: int | None = None) -> Path:
    """Download a URL once into the cache with keras.utils.get_file and return the local path."""
    import keras  # imported here: plain corpus use should not pay for TensorFlow start-up

    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / "corpora" / cache_name(url)
        cached = target.is_file()
        # Keras prints "Downloading data from ..." and a progress bar on stdout, which is for results (--json)
        # alone; a failed download must stay one line. Its chatter is dropped; one line on stderr replaces it.
        with contextlib.redirect_stdout(io.StringIO()):
            local = Path(keras.utils.get_file(cache_name(url), origin=url, cache_dir=str(cache),
                                              cache_subdir="corpora"))
    except Exception as exc:  # get_file wraps network errors in plain Exceptions
        raise CorpusError(f"cannot download {url}: {first_line(exc)}") from None
    if not cached:
        print(f"chargen: downloaded {url} ({local.stat().st_size:,} bytes) into {local.parent}", file=sys.stderr,
              flush=True)
    if expected_size is not None and local.stat().st_size != expected_size:
        size = local.stat().st_size
        local.unlink(missing_ok=True)
        raise CorpusError(f"download of {url} has {size} bytes, expected {expected_size}; removed it, try again")
    return local
