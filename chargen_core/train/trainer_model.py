"""The Trainer's model: built new (from --init-from weights when given), or loaded from a run's last checkpoint."""
from __future__ import annotations

from ..config import ModelConfig, TrainConfig
from ..model import build_with_precision, compile_if_weights_only, compile_model
from ..runs import RunDir
from .distribute import StrategyInfo, is_multiworker
from .multiworker import load_checkpoint_into


def model_for_run(info: StrategyInfo, model_config: ModelConfig, train_config: TrainConfig, vocab_size: int,
                  resume: RunDir | None, fresh: bool, init_from=None):
    """(compiled model, manifest of the checkpoint it was loaded from or None, True when that checkpoint held
    weights only and the optimizer starts anew, that checkpoint's path or None). fresh: a new run, or one killed
    before its first checkpoint."""
    multiworker = is_multiworker(info.strategy)
    manifest, fresh_optimizer, path = None, False, None
    with info.strategy.scope():
        if resume is None or multiworker:
            # Multi-worker: creating a variable is a collective op, so every worker builds the same model
            # the same way (the chief copies its checkpoint in below, then shares it).
            model = build_with_precision(model_config, vocab_size, info.precision)
            if init_from is not None:
                init_from.apply(model)
            compile_model(model, model_config, train_config, info.precision)
            if multiworker:
                model.optimizer.build(model.trainable_variables)
        elif fresh:
            model = build_with_precision(model_config, vocab_size, info.precision)
            compile_model(model, model_config, train_config, info.precision)
        else:
            model, manifest, path = resume.load_checkpoint("last", compile=True)
            fresh_optimizer = compile_if_weights_only(model, model_config, train_config, info.precision)
    if multiworker and resume is not None and not fresh:
        manifest, fresh_optimizer = load_checkpoint_into(resume, model, model_config, train_config, info.precision)
    return model, manifest, fresh_optimizer, path
