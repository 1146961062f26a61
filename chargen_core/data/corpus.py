"""Corpus sources: the built-in text, the shipped presets, a file, a folder of .txt files or a URL, read as
strictly decoded text with one newline convention and standardized the way the run asks."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..config import STANDARDIZE_MODES, CorpusConfig
from ..errors import CorpusError
from .download import cache_name, download, is_url, looks_like_html
from .standardize import standardize_text

BUILTIN = "builtin"
BUILTIN_NAME = "builtin (Python help topics)"
# Named presets: name -> (URL, expected size in bytes or None). The URL is the fallback when the package's own
# copy (BUNDLED) is missing or damaged, and the source to check that copy against.
PRESETS: dict[str, tuple[str, int | None]] = {
    "nietzsche": ("https://s3.amazonaws.com/text-datasets/nietzsche.txt", 600_901),
}
# Presets shipped compressed in chargen_core/data/corpora: name -> (file, sha256 of the decompressed bytes).
# The bundled Nietzsche is the copy the project's measurements were made on (600,917 bytes of UTF-8).
BUNDLED: dict[str, tuple[str, str]] = {
    "nietzsche": ("nietzsche.txt.xz", "1f6258f517f66e336983f76bdb66d53614701e511100908b8eada9bccd1d1300"),
}
# Bytes inspected when deciding whether a file is binary.
_SNIFF_BYTES = 8192


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


def bundled_bytes(name: str) -> bytes | None:
    """The package's own copy of a preset, or None when it is missing or does not match its checksum."""
    import hashlib
    import lzma
    from importlib import resources

    if name not in BUNDLED:
        return None
    fname, sha256 = BUNDLED[name]
    try:
        data = lzma.decompress(resources.files("chargen_core.data.corpora").joinpath(fname).read_bytes())
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


def corpus_name(source: str) -> str:
    """The short name load_corpus gives a source, known without reading it (e.g. to name a run's folder)."""
    source = str(source)
    if source == BUILTIN:
        return BUILTIN_NAME
    if source in PRESETS:
        return source
    if is_url(source):
        return cache_name(source).split("-", 1)[-1]
    return Path(source).expanduser().name


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
        name, raw = BUILTIN_NAME, builtin_text()
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
