"""Runs on disk: the run directory and its files (named in files.py), checkpoints with manifests and numpy weights,
atomic writes, the one-writer lock, the runs home and run names, the list of runs, and export. No TensorFlow at
import: a model is loaded (Keras safe mode) only when asked for, and its numpy weights never need it."""
from .atomic import atomic_write_json, atomic_write_text
from .catalog import RunSummary, list_runs, summarize
from .checkpoints import (Manifest, list_checkpoints, prune, publish, read_manifest, read_resume_state, save_model,
                          verify)
from .export import Exported, export_run
from .files import (BEST, CHECKPOINT_DIR, CONFIG, EVENTS, HISTORY, LOCK_FILE, LOGS, MODEL, RESUME_SUFFIX, STATE,
                    TRAIN_LOG, VOCAB, WEIGHTS_SUFFIX, checkpoint_name, manifest_path, weights_path)
from .home import (bundled_runs, copy_run, data_home, ensure_home, exports_home, new_run_path, resolve_run,
                   runs_home)
from .lock import RunLock, held_since, holder_pid, is_held
from .models import RunProgress
from .rundir import RunDir, check_writable, default_run_path
from .train_log import session_header, tail_lines

__all__ = ["atomic_write_json", "atomic_write_text", "RunSummary", "list_runs", "summarize", "Manifest",
           "list_checkpoints", "prune", "publish", "read_manifest", "read_resume_state", "save_model", "verify", "Exported", "export_run",
           "BEST", "CHECKPOINT_DIR", "CONFIG", "EVENTS", "HISTORY", "LOCK_FILE", "LOGS", "MODEL", "RESUME_SUFFIX", "STATE",
           "TRAIN_LOG", "VOCAB", "WEIGHTS_SUFFIX", "checkpoint_name", "manifest_path", "weights_path", "bundled_runs", "copy_run", "data_home", "ensure_home", "exports_home",
           "new_run_path", "resolve_run", "runs_home", "RunLock", "held_since", "holder_pid", "is_held", "RunDir", "RunProgress", "check_writable",
           "default_run_path", "session_header", "tail_lines"]
