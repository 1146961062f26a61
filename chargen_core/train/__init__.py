"""Training: planning a new run (settings, --size auto with its probe, fine-tuning), the Trainer (model.fit with
callbacks, checkpoints, schedules, plateau handling, exact resume) reporting through events and its events log,
training in a process of its own (launch, signals, live status), tf.distribute and the multi-worker fixes, and
evaluation. The Trainer and the Keras callbacks load on first use (TensorFlow);
the events, the plan and the sizing rule do not need it."""
from typing import TYPE_CHECKING

from .._lazy import lazy_attribute
from .distribute import StrategyInfo, describe_device, is_chief, quiet_native_stderr, resolve_precision, select_strategy
from .event_log import EventLogFollower, EventLogWriter, chargen_argv, event_from_record, log_start_failure
from .evaluate import START_CHARS, EvalResult, evaluate_run, evaluate_text, start_and_warm_loss, validation_text
from .events import (FINISH_WORDS, BatchEnded, CheckpointSaved, EpochEnded, Event, PreviewGenerated, TrainingFailed,
                     TrainingFinished, TrainingPaused, TrainingStarted)
from .finetune import InitFrom, load_init_from, model_config_for
from .keras_fixes import check_keras_internals
from .launch import Launched, launch_training, signal_run, train_args
from .live import LiveRun, live_status, log_tail
from .multiworker import restarted_chief_run, writes_run_dir
from .plan import RunPlan, RunRequest, check_request, fit_to_budget, plan_run
from .probe import ProbeResult, run_probe
from .progress import Estimate, estimate, format_duration
from .sizing import MIN_AUTO_BUDGET, SIZES, Size, choose, resolve_size

if TYPE_CHECKING:
    from .callbacks import RunState
    from .plateau import EarlyStop, Plateau, PlateauDecay
    from .schedule import FLOOR, Schedule, continuation
    from .trainer import Trainer

_LAZY = {  # name -> module, imported on first use (Keras)
    "RunState": "callbacks", "EarlyStop": "plateau", "Plateau": "plateau", "PlateauDecay": "plateau",
    "FLOOR": "schedule", "Schedule": "schedule", "continuation": "schedule", "Trainer": "trainer",
}

__all__ = ["StrategyInfo", "describe_device", "is_chief", "quiet_native_stderr", "resolve_precision",
           "select_strategy", "EventLogFollower", "EventLogWriter", "chargen_argv", "event_from_record", "log_start_failure",
           "Launched", "launch_training", "signal_run", "train_args", "LiveRun", "live_status", "log_tail", "START_CHARS", "EvalResult", "evaluate_run", "evaluate_text", "start_and_warm_loss",
           "validation_text", "FINISH_WORDS", "BatchEnded", "CheckpointSaved", "EpochEnded", "Event",
           "PreviewGenerated", "TrainingFailed", "TrainingFinished", "TrainingPaused", "TrainingStarted", "Estimate", "estimate",
           "format_duration", "InitFrom", "load_init_from",
           "model_config_for", "check_keras_internals", "restarted_chief_run", "writes_run_dir", "RunPlan",
           "RunRequest", "check_request", "fit_to_budget", "plan_run", "ProbeResult", "run_probe",
           "MIN_AUTO_BUDGET", "SIZES", "Size", "choose", "resolve_size", *_LAZY]


def __getattr__(name: str):
    return lazy_attribute(__name__, _LAZY, name)
