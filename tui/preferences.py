"""The app's remembered choices (typing speed, colour, length, stop), in settings.json next to keys.toml."""
from __future__ import annotations

import json
from pathlib import Path

FILE = "settings.json"


def load_preferences(folder: Path) -> tuple[dict, list[str]]:
    """What was saved ({} when nothing was), plus a problem line when the file cannot be used."""
    path = Path(folder) / FILE
    if not path.is_file():
        return {}, []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, [f"{path}: {exc} (using the defaults)"]
    if not isinstance(data, dict):
        return {}, [f"{path}: expected a JSON object (using the defaults)"]
    return data, []


def save_preferences(folder: Path, data: dict) -> str | None:
    """Write atomically (a kill never leaves half a file); returns a problem line or None."""
    from chargen_core.runs import atomic_write_json

    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        atomic_write_json(Path(folder) / FILE, data)
    except OSError as exc:
        return f"could not save settings: {exc}"
    return None
