"""chargen_core: a character-level LSTM text generator with no user interface, built in stages that each import
only the ones before them: data (text → ids) → model → runs (on disk) → generate (numpy) and train (Keras) → cli.
config.py and errors.py sit under all of them."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chargen")  # the one version string lives in pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
