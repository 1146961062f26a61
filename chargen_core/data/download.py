"""URL corpora: downloaded once into a cache keyed by the whole URL, with HTML pages told apart from text.

The standard library fetches (urllib: no TensorFlow, so the app can check a URL corpus without it); the bytes go
to a temporary name beside the cache entry and are moved in place once complete, so an interrupted download
never leaves a truncated corpus behind. One line on stderr says what was downloaded; stdout stays clean for
results and --json.
"""
from __future__ import annotations

import contextlib
import hashlib
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


TIMEOUT = 60.0  # seconds a stalled connection may stay silent before the download gives up
CHUNK = 1 << 16


def download(url: str, cache_dir: str | Path | None = None, expected_size: int | None = None) -> Path:
    """Download a URL once into the cache (CACHE/corpora/cache_name(url)) and return the local path."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache / "corpora" / cache_name(url)
    cached = target.is_file()
    if not cached:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _fetch(url, target)
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors; a malformed URL a ValueError
            raise CorpusError(f"cannot download {url}: {first_line(exc)}") from None
        print(f"chargen: downloaded {url} ({target.stat().st_size:,} bytes) into {target.parent}", file=sys.stderr,
              flush=True)
    if expected_size is not None and target.stat().st_size != expected_size:
        size = target.stat().st_size
        target.unlink(missing_ok=True)
        raise CorpusError(f"download of {url} has {size} bytes, expected {expected_size}; removed it, try again")
    return target


def _fetch(url: str, target: Path) -> None:
    """The URL's bytes into `target`, through a temporary file in the same folder (moved in place when whole)."""
    import tempfile
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "chargen"})
    fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            while chunk := response.read(CHUNK):
                out.write(chunk)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
