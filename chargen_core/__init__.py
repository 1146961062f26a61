"""chargen_core: a character-level LSTM text generator with no user interface, built in stages that each import
only the ones before them: data (text → ids) → model → runs (on disk) → generate (numpy) and train (Keras) → cli.
config.py and errors.py sit under all of them."""
import os

# chargen is written for TensorFlow: a KERAS_BACKEND of jax or torch (in the environment or in
# $KERAS_HOME/keras.json) would make every command fail importing that backend. Keras reads the variable when it
# is first imported and lets it win over keras.json, so setting it here, before any chargen module imports Keras,
# covers every entry point (the CLI, the app, `python -m chargen_core`, tests).
os.environ["KERAS_BACKEND"] = "tensorflow"



def __getattr__(name: str):
    """__version__ is read from the installed metadata on first use: importlib.metadata costs a tenth of the
    start-up of `chargen generate`, which never needs it."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("chargen")  # the one version string lives in pyproject.toml
    except PackageNotFoundError:  # a source tree that was never installed
        value = "0+unknown"
    globals()["__version__"] = value
    return value
