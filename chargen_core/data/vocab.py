"""Character vocabulary: char <-> id with [UNK] at id 0 (the order of Keras' StringLookup), saved as JSON in a
run's vocab.json. Encoding is vectorised, so a whole corpus encodes in one pass."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import RunDirError


class Vocab:
    """Ids: 0 is [UNK]; id i+1 is chars[i]. Same order as StringLookup(vocabulary=chars, num_oov_indices=1)."""

    UNK = "[UNK]"
    UNK_ID = 0
    # What an [UNK] id decodes to in generated text.
    UNK_CHAR = "\ufffd"

    def __init__(self, chars: Iterable[str]):
        self.chars: tuple[str, ...] = tuple(chars)
        if any(len(c) != 1 for c in self.chars) or len(set(self.chars)) != len(self.chars):
            raise ValueError("a vocabulary holds distinct single characters")
        self._ids = {c: i + 1 for i, c in enumerate(self.chars)}
        # Sorted code points and their ids, for vectorised encoding of long texts.
        codes = np.array([ord(c) for c in self.chars], dtype=np.int64)
        order = np.argsort(codes)
        self._sorted_codes = codes[order]
        self._sorted_ids = (order + 1).astype(np.int32)
        self._decode_table = np.array([self.UNK_CHAR, *self.chars], dtype=object)

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        return cls(sorted(set(text)))

    @property
    def size(self) -> int:
        return len(self.chars) + 1

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other.chars == self.chars

    def __repr__(self) -> str:
        return f"Vocab(size={self.size})"

    def id_to_char(self, idx: int) -> str:
        return self.chars[idx - 1] if 0 < idx <= len(self.chars) else self.UNK_CHAR

    def __contains__(self, char: str) -> bool:
        return char in self._ids

    def encode(self, text: str) -> np.ndarray:
        """Ids for every character of text (unknown characters become UNK_ID); fast for long texts."""
        if not text:
            return np.zeros(0, dtype=np.int32)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        pos = np.searchsorted(self._sorted_codes, codes)
        pos = np.minimum(pos, len(self._sorted_codes) - 1)
        found = self._sorted_codes[pos] == codes
        return np.where(found, self._sorted_ids[pos], self.UNK_ID).astype(np.int32)

    def unknown_chars(self, text: str) -> str:
        """The distinct characters of text that are not in the vocabulary, in order of appearance."""
        return "".join(dict.fromkeys(c for c in text if c not in self._ids))

    def decode(self, ids: Iterable[int]) -> str:
        arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
        arr = np.where((arr < 0) | (arr > len(self.chars)), 0, arr)
        return "".join(self._decode_table[arr])

    def to_json(self) -> str:
        return json.dumps({"unk": self.UNK, "chars": list(self.chars)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> "Vocab":
        try:
            payload = json.loads(data)
            return cls(payload["chars"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RunDirError(f"vocabulary file is not valid: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise RunDirError(f"cannot read vocabulary {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise RunDirError(f"vocabulary {path} is not UTF-8 text (byte {exc.start})") from None
