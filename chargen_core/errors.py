"""Error types: ChargenError means bad input (one clear line, CLI exit 2); anything else is a bug (exit 1)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """How every surface reports a failure: a ChargenError's own message (bad input, said plainly); anything
    else is a bug, so its type is named too."""
    if isinstance(exc, ChargenError):
        return first_line(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


class ChargenError(Exception):
    """A problem with what the user gave us. The message is one line, shown as is."""


class CorpusError(ChargenError):
    """A corpus source that cannot be read, decoded or used."""


class RunDirError(ChargenError):
    """A run directory that is missing, not a run, unwritable or corrupt."""


class SettingsError(ChargenError):
    """A setting outside its allowed range."""


class StorageError(RunDirError):
    """The disk refused a write (full, read-only, a file where a folder should be): the user can fix it."""
