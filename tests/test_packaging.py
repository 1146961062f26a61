"""The wheel holds what an install needs (code, the bundled model) and nothing else; metadata is consistent."""
from __future__ import annotations

import shutil
import subprocess
import sys
import ast
import hashlib
import json
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLED_AS = {"chargen_core": "chargen_core", "tui": "chargen_tui"}  # source folder -> installed package
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", ".pytest_cache")


def not_copied(folder: str, names: list[str]) -> set[str]:
    """Build leftovers anywhere, and a runs/ folder of the checkout itself (chargen_core/runs/ is code)."""
    return set(NOT_COPIED(folder, names)) | ({"runs"} & set(names) if Path(folder) == ROOT else set())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Build a wheel from a copy of the source tree (a stale build/ folder cannot leak into it)."""
    src = tmp_path_factory.mktemp("src") / "chargen"
    shutil.copytree(ROOT, src, ignore=not_copied)
    # Bytecode next to the sources and the assets, as a used checkout has: it must stay out of the wheel.
    for folder in ("chargen_core", "assets"):
        (src / folder / "__pycache__").mkdir(exist_ok=True)
        (src / folder / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"\0")
    # What opening the bundled run in a checkout may leave (a lock, a half-written file): not shipped either.
    for leftover in (".lock", ".tmp-123-best.weights.npz"):
        (src / "assets" / "default" / leftover).write_bytes(b"\0")
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("chargen-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_ships_the_bundled_model(wheel):
    names = set(wheel.namelist())
    for needed in ("config.json", "vocab.json", "best.keras", "best.json", "best.weights.npz", "history.jsonl"):
        assert f"chargen_assets/default/{needed}" in names
    # the numpy weights generation reads (no TensorFlow), listed in the manifest with the bytes shipped
    listed = json.loads(wheel.read("chargen_assets/default/best.json"))["weights"]
    shipped = wheel.read(f"chargen_assets/default/{listed['file']}")
    assert (len(shipped), hashlib.sha256(shipped).hexdigest()) == (listed["size"], listed["sha256"])
    assert "chargen_tui/app.tcss" in names
    assert "chargen_core/__main__.py" in names
    assert {"chargen_core/py.typed", "chargen_tui/py.typed"} <= names


def test_nothing_installs_under_a_generic_name(wheel):
    """Every top-level package of the wheel is chargen_*: a generic name (`tui`) collides with other projects."""
    tops = {n.split("/")[0] for n in wheel.namelist() if not n.split("/")[0].endswith(".dist-info")}
    assert tops and all(top.startswith("chargen_") for top in tops), sorted(tops)
    entry_points = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert "chargen = chargen_tui.__main__:main" in wheel.read(entry_points).decode()


def test_the_app_imports_itself_relatively():
    """tui/ installs as chargen_tui, so `import tui` / `from tui.x import` inside it would break the install."""
    wrong = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            wrong += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "tui"]
    assert not wrong, "\n".join(wrong)


def test_wheel_leaves_out_screenshot_bytecode_optimizer_copy_and_leftovers(wheel):
    names = wheel.namelist()
    assert not [n for n in names if n.endswith(".svg")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "chargen_assets/default/model.keras" not in names  # the latest model, with its optimizer state
    assert not [n for n in names if n.rsplit("/", 1)[-1].startswith((".lock", ".tmp-"))]
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


def test_bundled_model_ships_weights_without_optimizer_state(wheel):
    """Generating needs the weights only. A model saved while compiled keeps Adam's two moments per weight
    (3x the file); re-save it uncompiled: keras.models.load_model(p, compile=False), then save_model."""
    models = [n for n in wheel.namelist() if n.startswith("chargen_assets/") and n.endswith(".keras")]
    assert models
    for name in models:
        with zipfile.ZipFile(wheel.open(name)) as keras_file:
            weights = keras_file.read("model.weights.h5")
        assert b"optimizer" not in weights, f"{name} carries optimizer state"


def test_every_source_file_of_the_packages_is_in_the_wheel(wheel):
    """New subpackages need a line in [tool.setuptools] packages, new data files one in package-data."""
    names = set(wheel.namelist())
    for folder, installed in INSTALLED_AS.items():
        for path in (ROOT / folder).glob("**/*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                inside = f"{installed}/{path.relative_to(ROOT / folder).as_posix()}"
                assert inside in names, f"{path.relative_to(ROOT)} is missing from the wheel (as {inside})"


def test_one_version_and_license(wheel):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    text = wheel.read(meta).decode()
    assert f"Version: {project['version']}\n" in text
    assert "License-Expression: MIT" in text
    assert any(n.endswith("licenses/LICENSE") for n in wheel.namelist())
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
