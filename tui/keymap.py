"""Every key the app answers to, each with an id, and the user's overrides from keys.toml in the
platform's config folder (~/.config/chargen on Linux)."""
from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeySpec:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str  # action on the main screen
    description: str
    show: bool = False  # shown in the Footer (all are listed on the help screen)


# Function keys and modified arrows: the prompt keeps every printable key, so these work while typing,
# and all of them pass through SSH, tmux and TERM=xterm-256color.
KEYS: tuple[KeySpec, ...] = (
    KeySpec("help", "f1", "help", "Help", True),
    KeySpec("train.start", "f2", "train_start", "Train", True),
    KeySpec("train.pause", "f3", "train_pause", "Pause/resume training"),
    KeySpec("train.stop", "f4", "train_stop", "Stop training"),
    KeySpec("gen.regenerate", "f5", "regenerate", "Regenerate"),
    KeySpec("gen.compare", "f6", "compare", "Compare strategies"),
    KeySpec("gen.candidates", "f7", "candidates", "Top next chars"),
    KeySpec("strategy.next", "f8", "strategy_next", "Strategy", True),
    KeySpec("view.colour", "f9", "toggle_colour", "Colour by probability"),
    KeySpec("view.speed", "f10", "speed_next", "Typing speed"),
    KeySpec("temp.up", "up", "temperature(1)", "T+", True),
    KeySpec("temp.down", "down", "temperature(-1)", "T-", True),
    KeySpec("k.up", "shift+up", "k(1)", "k+ (beams in beam mode)"),
    KeySpec("k.down", "shift+down", "k(-1)", "k- (beams in beam mode)"),
    KeySpec("p.up", "ctrl+up", "p(1)", "p+ (min-p in min-p mode)"),
    KeySpec("p.down", "ctrl+down", "p(-1)", "p- (min-p in min-p mode)"),
    KeySpec("rep.up", "alt+up", "repetition(1)", "Repetition penalty +"),
    KeySpec("rep.down", "alt+down", "repetition(-1)", "Repetition penalty -"),
    KeySpec("stop.next", "ctrl+t", "stop_next", "Stop at: off / blank line / end of line / sentence end"),
    KeySpec("gen.continue", "ctrl+n", "continue", "Continue", True),
    KeySpec("length.up", "ctrl+l", "length(1)", "Longer generation"),
    KeySpec("length.down", "ctrl+o", "length(-1)", "Shorter generation"),
    KeySpec("seed.toggle", "ctrl+g", "seed_toggle", "Fixed/random seed"),
    KeySpec("gen.stop", "escape", "stop_generation", "Stop", True),
    KeySpec("output.copy", "ctrl+y", "copy_output", "Copy last output (OSC 52)"),
    KeySpec("session.export", "ctrl+s", "export", "Export session"),
    KeySpec("runs.open", "ctrl+r", "runs", "Runs: open another run"),
    KeySpec("runs.new", "f12", "new_run", "New run: corpus, size, budget, fine-tune"),
    KeySpec("output.page_up", "pageup", "page(-1)", "Scroll output up"),
    KeySpec("output.page_down", "pagedown", "page(1)", "Scroll output down"),
)
QUIT = KeySpec("app.quit", "ctrl+q", "request_quit", "Quit", True)
# The prompt's own keys (bound on the prompt widget; remappable by id like the rest).
PROMPT_KEYS: tuple[KeySpec, ...] = (
    KeySpec("prompt.newline", "ctrl+j,shift+enter", "newline", "New line in the prompt (Enter sends)"),
    KeySpec("prompt.history_back", "alt+p", "history(-1)", "Earlier prompt"),
    KeySpec("prompt.history_forward", "alt+n", "history(1)", "Later prompt"),
)
SEND_KEY = "enter"  # sends the prompt: no binding may take it
ALL_KEYS = (*KEYS, QUIT, *PROMPT_KEYS)


def config_dir() -> Path:
    """CHARGEN_CONFIG_DIR, else the platform's user config folder (~/.config/chargen on Linux, XDG_CONFIG_HOME
    honoured)."""
    if os.environ.get("CHARGEN_CONFIG_DIR"):
        return Path(os.environ["CHARGEN_CONFIG_DIR"]).expanduser()
    from platformdirs import user_config_path

    return user_config_path("chargen", appauthor=False)


def load_keymap(folder: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """User overrides {binding id: keys} from keys.toml ([keys] table) or keys.json, plus problems found.

    An override is refused (with a problem line) when its key is Enter, a printable key the prompt needs, or a
    key another binding already has: one key, one action."""
    folder = config_dir() if folder is None else folder
    known = {spec.id for spec in ALL_KEYS}
    for name in ("keys.toml", "keys.json"):
        path = folder / name
        if not path.is_file():
            continue
        try:
            raw = path.read_text(encoding="utf-8")
            data = tomllib.loads(raw) if name.endswith(".toml") else json.loads(raw)
        except (OSError, ValueError) as exc:
            return {}, [f"{path}: {exc}"]
        table = data.get("keys", data) if isinstance(data, dict) else {}
        keymap, problems = {}, []
        for binding_id, keys in table.items():
            if binding_id not in known:
                problems.append(f"{path}: unknown key binding id {binding_id!r}")
            elif not isinstance(keys, str) or not keys.strip():
                problems.append(f"{path}: keys for {binding_id!r} must be a non-empty string")
            else:
                keymap[binding_id] = keys.replace(" ", "")
        return _refuse_conflicts(keymap, problems, path)
    return {}, []


def _refuse_conflicts(keymap: dict[str, str], problems: list[str], path: Path) -> tuple[dict[str, str], list[str]]:
    owner = {}  # key -> binding id, defaults first, then the accepted overrides
    for spec in ALL_KEYS:
        if spec.id not in keymap:
            for key in spec.keys.split(","):
                owner[key] = spec.id
    accepted = {}
    for binding_id, keys in keymap.items():
        clash = None
        for key in keys.split(","):
            if key == SEND_KEY:
                clash = "Enter sends the prompt"
            elif len(key) == 1 and key.isprintable():
                clash = f"{key!r} is typed into the prompt"
            elif owner.get(key, binding_id) != binding_id:
                clash = f"{key!r} is already {owner[key]!r}"
            if clash:
                break
        if clash:
            problems.append(f"{path}: {binding_id!r} = {keys!r} refused: {clash}")
            for spec in ALL_KEYS:  # it keeps its default keys
                if spec.id == binding_id:
                    for key in spec.keys.split(","):
                        owner.setdefault(key, binding_id)
            continue
        accepted[binding_id] = keys
        for key in keys.split(","):
            owner[key] = binding_id
    return accepted, problems


def effective_keys(spec: KeySpec, keymap: dict[str, str]) -> str:
    return keymap.get(spec.id, spec.keys)
