"""Lazy public names: a subpackage's __init__ names every public object, but those whose module imports
TensorFlow/Keras load on first use, so importing a light name (a Vocab, a RunDir) never starts TensorFlow."""
from __future__ import annotations

import importlib
import sys


def lazy_attribute(package: str, table: dict[str, str], name: str):
    """Attribute `name` of `package`, imported from the module `table` names for it; cached on the package."""
    module = table.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{package}.{module}"), name)
    setattr(sys.modules[package], name, value)  # later lookups find it without __getattr__
    return value
