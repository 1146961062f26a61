"""Where runs live: the runs home (CHARGEN_HOME, the user data folder or --runs-dir), the names of new runs and
copies (never an existing folder), the bundled models, and finding the run a RUN argument means."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from ..errors import RunDirError
from .files import CONFIG, LOCK_FILE, TEMP_PREFIX

HOME_ENV = "CHARGEN_HOME"  # the chargen data folder: runs/ and exports/ live under it


def data_home() -> Path:
    """CHARGEN_HOME, else the platform's user data folder (e.g. ~/.local/share/chargen)."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    from platformdirs import user_data_path

    return user_data_path("chargen", appauthor=False)


def runs_home(runs_dir: str | Path | None = None) -> Path:
    """The folder of runs: --runs-dir when given, else DATA_HOME/runs. Not created here."""
    if runs_dir is not None and str(runs_dir) == "":
        raise RunDirError("--runs-dir is empty: give a folder, or leave the flag out for the default runs home")
    home = Path(runs_dir).expanduser() if runs_dir else data_home() / "runs"
    check_home(home)
    return home


def exports_home() -> Path:
    """Where the app saves sessions unless told otherwise."""
    return data_home() / "exports"


def check_home(home: Path) -> None:
    """A runs home must be a folder (or not exist yet): a file in its place is bad input, said in one line."""
    for folder in (home, *home.parents):
        if folder.exists():
            if not folder.is_dir():
                raise RunDirError(f"runs home {home} cannot be used: {folder} is a file, not a folder "
                                  f"(set {HOME_ENV} or --runs-dir to a folder)")
            return


def ensure_home(home: Path) -> Path:
    check_home(home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"cannot create runs home {home}: {exc.strerror or exc}") from None
    return home


def slug(text: str, fallback: str = "corpus") -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or fallback


def _now() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def unique_path(folder: Path, name: str) -> Path:
    """folder/name, or folder/name-2, -3, ... when it is taken."""
    path, n = folder / name, 2
    while path.exists():
        path, n = folder / f"{name}-{n}", n + 1
    return path


def new_run_path(home: Path, corpus_name: str, arch: str) -> Path:
    """The folder of a new run in the runs home (the home is created): CORPUS-ARCH-TIME, -2, -3 ... when taken."""
    return unique_path(ensure_home(Path(home)), f"{slug(corpus_name.split(' ')[0])}-{arch}-{_now()}")


# --- bundled models -----------------------------------------------------------------------------------------------
def bundled_root() -> Path:
    """The folder of bundled runs: the installed package chargen_assets, or assets/ in a source checkout."""
    try:
        from importlib.resources import files

        root = Path(str(files("chargen_assets")))
        if root.is_dir():
            return root
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "assets"


def bundled_runs() -> dict[str, Path]:
    """{name: path} of every bundled model (a folder of chargen_assets holding a run's config.json)."""
    root = bundled_root()
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / CONFIG).is_file()}


# --- resolving RUN arguments --------------------------------------------------------------------------------------
def resolve_run(ref: str | Path | None, runs_dir: str | Path | None = None) -> Path:
    """A RUN as the user typed it: an existing run folder, a run name in the runs home, or a bundled model's name.

    None means the bundled default model; an empty string names nothing and is refused (a shell variable that
    was never set should not silently pick the bundled model or a new run). Raises RunDirError (one line) when
    nothing matches.
    """
    if ref is not None and str(ref) == "":
        raise RunDirError("the RUN given is an empty string: give a run folder or a name from `chargen runs`")
    if runs_dir is not None:
        runs_home(runs_dir)  # a --runs-dir given but unusable (empty, a file) is said even when RUN does not need it
    bundled = bundled_runs()
    if ref is None:
        if "default" in bundled:
            return bundled["default"]
        raise RunDirError("no bundled model is installed; pass a RUN (see chargen runs)")
    path = Path(ref).expanduser()
    if path.is_dir() and (path / CONFIG).is_file():
        return path
    text = str(ref)
    looks_like_name = "/" not in text and os.sep not in text and text not in (".", "..")
    if looks_like_name:
        home = runs_home(runs_dir)
        if (home / text / CONFIG).is_file():
            return home / text
        if text in bundled:
            return bundled[text]
    if path.exists():
        return path  # a folder that is not a run: RunDir.open says so in its own words
    where = f" (no run of that name in {runs_home(runs_dir)}; see chargen runs)" if looks_like_name else ""
    raise RunDirError(f"run not found: {text}{where}")


def copy_run(source: Path, folder: Path, name: str | None = None) -> Path:
    """Copy the run at source into folder under a free variant of name (default: SOURCE-copy-TIME); returns
    the copy's path.

    Only reads source (a bundled model stays untouched). Files are copied without their permission bits, so a
    copy of a read-only install is writable; the copy is built under a temporary name and renamed when whole,
    so a kill never leaves a half-copied run behind.
    """
    import shutil

    source, folder = Path(source), ensure_home(Path(folder))
    target = unique_path(folder, name or f"{source.name}-copy-{_now()}")
    tmp = folder / f"{TEMP_PREFIX}copy-{os.getpid()}-{target.name}"
    try:
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.name.startswith((TEMP_PREFIX, LOCK_FILE)):
                dest = tmp / path.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
        if not (tmp / CONFIG).is_file():
            raise RunDirError(f"{source} is not a chargen run (no {CONFIG}); nothing to copy")
        os.replace(tmp, target)
    except OSError as exc:
        raise RunDirError(f"cannot copy {source} into {folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
