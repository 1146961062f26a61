"""Error types: ChargenError means bad input (one clear line, CLI exit 2); anything else is a bug (exit 1)."""


class ChargenError(Exception):
    """A problem with what the user gave us. The message is one line, shown as is."""


class CorpusError(ChargenError):
    """A corpus source that cannot be read, decoded or used."""


class RunDirError(ChargenError):
    """A run directory that is missing, not a run, unwritable or corrupt."""


class SettingsError(ChargenError):
    """A setting outside its allowed range."""
