"""Corpus sources (built-in, file, folder, URL, presets), decoding and standardization."""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import sys
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .config import STANDARDIZE_MODES, CorpusConfig
from .errors import CorpusError, first_line

BUILTIN = "builtin"
# Named presets: name -> (URL, expected size in bytes or None). The URL is the fallback when the package's own
# copy (BUNDLED) is missing or damaged, and the source to check that copy against.
PRESETS: dict[str, tuple[str, int | None]] = {
    "nietzsche": ("https://s3.amazonaws.com/text-datasets/nietzsche.txt", 600_901),
}
# Presets shipped compressed in chargen_core/corpora: name -> (file, sha256 of the decompressed bytes).
# The bundled Nietzsche is the copy the project's measurements were made on (600,917 bytes of UTF-8).
BUNDLED: dict[str, tuple[str, str]] = {
    "nietzsche": ("nietzsche.txt.xz", "1f6258f517f66e336983f76bdb66d53614701e511100908b8eada9bccd1d1300"),
}
URL_SCHEMES = ("http", "https", "file", "ftp")
# Bytes inspected when deciding whether a file is binary.
_SNIFF_BYTES = 8192
_SEED_PUNCTUATION = re.compile("[%s]" % re.escape(string.punctuation))
_DIGITS_AND_DASH = re.compile(r"[0-9\-]")


@dataclass(frozen=True)
class Corpus:
    source: str  # what the user asked for: "builtin", a preset, a path or a URL
    name: str  # short name for display
    text: str  # the decoded, standardized text the model trains on
    standardize: str = "none"  # the standardization mode applied to text
    encoding: str = "utf-8"  # how the source bytes were decoded
    allow_html: bool = False  # an HTML page from a URL was accepted on purpose (--allow-html)

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def lines(self) -> int:
        if not self.text:
            return 0
        return self.text.count("\n") + (0 if self.text.endswith("\n") else 1)

    def config(self) -> CorpusConfig:
        """Settings that reload the same corpus later (saved with a run); local paths are made absolute."""
        source = self.source
        if source != BUILTIN and source not in PRESETS and not is_url(source) and os.path.exists(source):
            source = str(Path(source).resolve())
        return CorpusConfig(source=source, standardize=self.standardize, encoding=self.encoding,
                            allow_html=self.allow_html)

    def sample_line(self, max_chars: int = 100) -> str:
        """A representative non-empty line from the middle of the text, for previews."""
        middle = len(self.text) // 2
        start = self.text.rfind("\n", 0, middle) + 1
        for line in self.text[start:].split("\n", 50):
            if line.strip():
                return line.strip()[:max_chars]
        return self.text.strip()[:max_chars]


def standardize_text(text: str, mode: str) -> str:
    """Apply a standardization mode to a whole text (before any windowing)."""
    if mode == "none":
        return text
    if mode == "lower":
        return text.lower()
    if mode == "seed":
        # The tutorial's recipe: lines joined without a separator, lowercase, <br /> removed,
        # digits and '-' turned into spaces, ASCII punctuation removed.
        joined = text.replace("\n", "").lower().replace("<br />", "")
        return _SEED_PUNCTUATION.sub("", _DIGITS_AND_DASH.sub(" ", joined))
    raise CorpusError(f"unknown standardization {mode!r}; choose one of {', '.join(STANDARDIZE_MODES)}")


def normalize_newlines(text: str) -> str:
    """Drop a leading BOM and turn CRLF / CR line ends into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes, encoding: str, origin: str) -> str:
    """Decode corpus bytes strictly, refusing binary data with a clear message."""
    if b"\x00" in data[:_SNIFF_BYTES] and not encoding.lower().replace("-", "").startswith("utf16"):
        raise CorpusError(f"{origin} looks like a binary file, not text")
    try:
        text = data.decode(encoding)
    except LookupError:
        raise CorpusError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{origin} is not valid {encoding} (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "pass --encoding to read it with another encoding"
        ) from None
    return normalize_newlines(text)


def builtin_text() -> str:
    """The embedded default corpus: Python's own help topics, shipped with every CPython."""
    try:
        from pydoc_data.topics import topics
    except ImportError:  # some distributions strip pydoc_data; fall back to stdlib docstrings
        import importlib

        modules = ("argparse", "collections", "json", "pathlib", "textwrap", "threading")
        docs = (importlib.import_module(name).__doc__ or "" for name in modules)
        return normalize_newlines("\n\n".join(d.strip("\n") for d in docs if d))
    return normalize_newlines("\n\n".join(topics[key].strip("\n") for key in sorted(topics)))


def read_file(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except PermissionError:
        raise CorpusError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_bytes(data, encoding, str(path))


def _read_folder(folder: Path, encoding: str) -> str:
    files = sorted(p for p in folder.rglob("*.txt") if p.is_file())
    if not files:
        raise CorpusError(f"folder {folder} has no .txt files")
    # Documents are separated by one blank line, in sorted path order.
    return "\n\n".join(read_file(p, encoding).strip("\n") for p in files)


def default_cache_dir() -> Path:
    return Path(os.environ.get("CHARGEN_CACHE", Path.home() / ".cache" / "chargen"))


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


def bundled_bytes(name: str) -> bytes | None:
    """The package's own copy of a preset, or None when it is missing or does not match its checksum."""
    import hashlib
    import lzma
    from importlib import resources

    if name not in BUNDLED:
        return None
    fname, sha256 = BUNDLED[name]
    try:
        data = lzma.decompress(resources.files("chargen_core.corpora").joinpath(fname).read_bytes())
    except (OSError, lzma.LZMAError, ModuleNotFoundError):
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _read_preset(name: str, encoding: str, cache_dir: str | Path | None) -> str:
    """A preset from the package (offline); downloaded into the cache only when the bundled copy is unusable."""
    data = bundled_bytes(name)
    if data is not None:
        return decode_bytes(data, encoding, f"the bundled {name} corpus")
    url, size = PRESETS[name]
    return read_file(download(url, cache_dir, size), encoding)


def is_url(source: str) -> bool:
    return urlparse(source).scheme in URL_SCHEMES and "://" in source


def load_corpus(
    source: str = BUILTIN,
    *,
    standardize: str = "none",
    encoding: str = "utf-8",
    cache_dir: str | Path | None = None,
    allow_html: bool = False,
) -> Corpus:
    """Read, decode and standardize a corpus from any supported source."""
    if standardize not in STANDARDIZE_MODES:
        raise CorpusError(f"unknown standardization {standardize!r}; choose one of {', '.join(STANDARDIZE_MODES)}")
    source = str(source)
    if source == BUILTIN:
        name, raw = "builtin (Python help topics)", builtin_text()
    elif source in PRESETS:
        name, raw = source, _read_preset(source, encoding, cache_dir)
    elif is_url(source):
        local = download(source, cache_dir)
        with open(local, "rb") as fh:
            head = fh.read(2048)
        if not allow_html and looks_like_html(head):
            raise CorpusError(f"{source} serves an HTML page, not plain text (an error or login page?); "
                              "pass --allow-html to train on it anyway")
        name, raw = local.name.split("-", 1)[-1], read_file(local, encoding)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise CorpusError(f"corpus not found: {source} (give builtin, nietzsche, a file, a folder or a URL)")
        name = path.name
        raw = _read_folder(path, encoding) if path.is_dir() else read_file(path, encoding)
    text = standardize_text(raw, standardize)
    if not text.strip():
        raise CorpusError(f"corpus {source} is empty" + (" after standardization" if raw.strip() else ""))
    return Corpus(source=source, name=name, text=text, standardize=standardize, encoding=encoding,
                  allow_html=bool(allow_html))
