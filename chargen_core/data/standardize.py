"""Standardization: the rewrites (none, lower, or the tutorial's "seed" recipe) applied to a whole text before
it is cut into examples. Generation applies the same mode to a prompt, so a model reads prompts as it read its
corpus."""
from __future__ import annotations

import re
import string

from ..config import STANDARDIZE_MODES
from ..errors import CorpusError

_SEED_PUNCTUATION = re.compile("[%s]" % re.escape(string.punctuation))
_DIGITS_AND_DASH = re.compile(r"[0-9\-]")


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
