"""chargen_core: corpus → vocabulary → tf.data → LSTM → trainer → generator, with no user interface."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chargen")  # the one version string lives in pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
