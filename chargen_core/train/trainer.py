"""The Trainer: model.fit with callbacks, reporting only through events; stop, pause, resume, budget, NaN."""
from __future__ import annotations

import dataclasses
import importlib.util
import math
from pathlib import Path

import keras
import numpy as np

from ..config import ModelConfig, TrainConfig
from ..data import Corpus, Vocab, batch_notice, make_datasets
from ..errors import CorpusError, SettingsError, one_line
from ..model import architecture, carry_layers, check_fits, fresh_row_count
from ..runs import CONFIG, LOGS, RunDir, RunLock, check_writable
from .callbacks import CheckpointWriter, RunState, TrainingCallback
from .control import Control
from .distribute import StrategyInfo, is_multiworker, select_strategy, shardable
from .event_log import EventLogWriter
from .events import TrainingFailed, TrainingFinished, TrainingStarted
from .failure import explained, record_failure
from .keras_fixes import fix_multiworker_logs, fix_symbolic_build
from .multiworker import restarted_chief_run, stop_agreement, sync_from_chief, writes_run_dir
from .plan import RunPlan
from .plateau import plateau_callbacks
from .preview import epoch_preview
from .resume_plan import data_seed, end_status, final_validation, finish_trained_epoch, fit_plan
from .resume_state import EpochStart, capture, restorable_state
from .schedule import Schedule, ScheduleCallback, continuation
from .sizing import Size
from .trainer_model import model_for_run


class Trainer:
    def __init__(self, corpus: Corpus, run_dir: str | Path, model_config: ModelConfig = ModelConfig(),
                 train_config: TrainConfig = TrainConfig(), on_event=None, *, _resume: RunDir | None = None,
                 init_from=None, size: Size | None = None, notices: tuple[str, ...] = ()):
        """init_from: a finetune.InitFrom (its vocabulary and weights start the new run). size: what --size auto
        chose, told to the user; notices: lines for the user before training (see plan_run)."""
        self.model_config = model_config.validate()
        self.train_config = train_config.validate()
        self.arch = architecture(model_config)
        self.size = size
        if train_config.tensorboard and importlib.util.find_spec("tensorboard") is None:
            raise SettingsError("--tensorboard needs the tensorboard package: pip install 'chargen[tensorboard]'")
        self.corpus = corpus
        self.run_path = Path(run_dir)
        self._emit_fn = on_event
        # One writer per run: taken before anything is read or written, held until run() ends (or the process dies).
        self._lock = RunLock(self.run_path) if writes_run_dir(train_config) else None
        # Every writer of a run logs its events there, for the app and `chargen runs` to follow (event_log.py).
        self.event_log = EventLogWriter(self.run_path) if self._lock is not None else None
        if self._lock is not None:
            self._lock.acquire()
        try:
            self._setup(corpus, run_dir, model_config, train_config, _resume, init_from)
        except BaseException:
            self.release()
            raise
        self.notices[:0] = notices

    @classmethod
    def from_plan(cls, plan: RunPlan, on_event=None) -> "Trainer":
        """A new run as chargen_core.train.plan_run planned it."""
        return cls(plan.corpus, plan.run_dir, plan.model_config, plan.train_config, on_event,
                   init_from=plan.init_from, size=plan.size, notices=plan.notices)

    def release(self) -> None:
        """Give up the run's lock (a new run that never got its config.json leaves no directory behind)."""
        if self.event_log is not None:
            self.event_log.close()
        if self._lock is not None:
            self._lock.release(remove_dir=not (self.run_path / CONFIG).exists())

    def _setup(self, corpus, run_dir, model_config, train_config, _resume, init_from=None) -> None:
        if _resume is None and train_config.distribute == "multiworker":
            _resume = restarted_chief_run(self.run_path, self.model_config)
        if _resume is None and writes_run_dir(train_config):
            check_writable(self.run_path)
        # First: multi-worker strategies must exist before any other TensorFlow op.
        self._info: StrategyInfo = select_strategy(train_config.distribute, train_config.precision)
        if train_config.seed is not None:  # before any dataset or weight exists, so both are reproducible
            keras.utils.set_random_seed(train_config.seed)
        self.init_from = init_from.for_text(corpus.text) if init_from is not None and _resume is None else None
        self.vocab = (_resume.vocab if _resume is not None else
                      self.init_from.vocab if self.init_from is not None else Vocab.from_text(corpus.text))
        self.state = RunState()
        self.control = Control()
        self._stop_detail: str | None = None
        self._run = _resume
        # A run killed before its first checkpoint was written starts again from its saved settings.
        self._fresh = _resume is None or not _resume.has_checkpoint()
        check_fits(model_config, self.vocab.size)  # a model too large for this machine: said before it is built
        self.model, manifest, self.fresh_optimizer, checkpoint = model_for_run(
            self._info, model_config, train_config, self.vocab.size, _resume, self._fresh, self.init_from)
        if manifest is not None:
            progress = _resume.progress_of(manifest)
            self.state.epochs_done, self.state.global_step = progress.epochs_done, progress.global_step
            self.state.best_val_loss = progress.best_val_loss
        multiworker = is_multiworker(self._info.strategy)
        if multiworker:
            sync_from_chief(self._info.strategy, self.model, self.state)
            fix_symbolic_build(self.model)
            fix_multiworker_logs()
        self.carry_state = self._can_carry(multiworker)
        self.data_seed = data_seed(train_config, _resume, multiworker)
        examples = self.arch.examples(model_config)
        self.splits = make_datasets(self.vocab.encode(corpus.text), examples, train_config,
                                    carry=self.carry_state, replicas=self._info.replicas, data_seed=self.data_seed)
        if self.carry_state:
            # Unrolling the short loop is ~1.25x faster on CPU; on GPU it would cost the cuDNN kernel.
            unroll = self._info.device == "CPU" and model_config.seq_len <= 64
            for layer in carry_layers(self.model):
                layer.start_carry(self.splits.carry_rows, unroll=unroll,
                                  fresh_rows=fresh_row_count(train_config.fresh_rows, self.splits.carry_rows))
        # A run killed after its final checkpoint, before state.json said so, has only that bookkeeping left.
        self.already_trained = self.state.epochs_done >= train_config.epochs
        unrecorded = _resume is not None and _resume.state().get("status") != end_status(_resume)
        if self.already_trained and not unrecorded:
            done = self.state.epochs_done
            raise SettingsError(f"{run_dir} has already trained {done} of {train_config.epochs} epochs; "
                                f"pass --epochs N with N > {done} to train longer")
        self.notices: list[str] = list(_resume.notices) if _resume is not None else []
        if self.already_trained:
            done = self.state.epochs_done
            self.state.val_loss = manifest.val_loss
            self.state.val_bpc = None if manifest.val_loss is None else manifest.val_loss / math.log(2)
            self.notices.append(f"{run_dir} had trained all {done} epochs when it was stopped, before it recorded "
                                f"that: recorded it as completed (pass --epochs N with N > {done} to train longer)")
        self.keeps_state = self._info.replicas == 1 and not multiworker  # see resume_state.py
        self._saved_state, notice = (restorable_state(self.model, checkpoint, manifest, self.state,
                                                      self.splits.steps_per_epoch, self.carry_state)
                                     if self.keeps_state else (None, None))
        self.notices += [notice] if notice else []
        self.notices += batch_notice(self.splits, train_config.batch_size, examples.span - 1)
        if _resume is not None and self._fresh:
            self.notices.append(f"{run_dir} has no checkpoint yet (stopped before its first one): training it from "
                                "the start with its saved settings")
        if train_config.carry_state and self.arch.carries_state and not self.carry_state:
            self.notices.append("the LSTM state is not carried between batches here (several replicas, or a run "
                                "saved before chargen carried state): each row is an independent sequence of "
                                f"{model_config.seq_len} characters")
        self.state.session_start_step = self.state.global_step
        self.schedule = Schedule(train_config.learning_rate, kind=train_config.schedule,
                                 warmup_steps=train_config.warmup_steps, planned_steps=self.max_steps,
                                 decay_fraction=train_config.decay_fraction, start_step=train_config.schedule_start)
        if self.fresh_optimizer:
            self.schedule.rewarm_from = self.state.global_step
        # This session begins a finished run's new curve (Trainer.resume chose it): said where training is shown.
        starts_curve = _resume is not None and 0 < train_config.schedule_start == self.state.global_step
        self.continued_rate = train_config.learning_rate if starts_curve else None

    def _can_carry(self, multiworker: bool) -> bool:
        """Carry state only on one replica: split across replicas, a row would not meet its stream again."""
        wanted = self.train_config.carry_state and self.arch.carries_state
        layers = carry_layers(self.model)
        return bool(wanted and layers and len(layers) == self.model_config.layers and self._info.replicas == 1
                    and not multiworker)

    @classmethod
    def resume(cls, run_dir, on_event=None, *, epochs: int | None = None, time_budget: float | None = None):
        run = RunDir.open(run_dir)
        run.history()  # read (and checked) now: nothing may be written to a run that fails on it later
        changes = {k: v for k, v in (("epochs", epochs), ("time_budget", time_budget)) if v is not None}
        train_config = dataclasses.replace(run.train_config, **changes).validate()
        train_config = continuation(train_config, end_status(run), run.progress().global_step)
        try:
            corpus = run.load_corpus()
        except CorpusError as exc:
            raise CorpusError(f"cannot reload the run's corpus: {exc}") from None
        return cls(corpus, run.path, run.model_config, train_config, on_event, _resume=run)

    # --- public state ----------------------------------------------------------------------------
    @property
    def strategy_name(self) -> str:
        return self._info.name

    @property
    def replicas(self) -> int:
        return self._info.replicas

    @property
    def device(self) -> str:
        return self._info.device

    @property
    def max_steps(self) -> int:
        return self.train_config.epochs * self.splits.steps_per_epoch

    def request_stop(self, detail: str | None = None) -> None:
        """Stop after the current batch and save; detail (e.g. "stopped by SIGTERM") goes into state.json."""
        if detail and not self._stop_detail:
            self._stop_detail = detail
        self.control.request_stop()

    def pause(self) -> None:
        self.control.pause()

    def unpause(self) -> None:
        self.control.unpause()

    @property
    def paused(self) -> bool:
        return self.control.paused

    def snapshot_weights(self) -> list[np.ndarray]:
        """A consistent copy of the weights, taken between two batches by the training thread."""
        return self.control.snapshot(self.model)

    # --- training --------------------------------------------------------------------------------
    def _emit(self, event) -> None:
        if self.event_log is not None:
            self.event_log.write(event)
        if self._emit_fn is not None:
            self._emit_fn(event)

    def run(self) -> TrainingFinished:
        """Train until done, stopped, out of budget or NaN. Blocking: call it from a worker thread."""
        try:
            return self._train()
        except BaseException as exc:
            error = explained(exc, self.run_path, self.model_config, self.vocab.size)
            reason = one_line(error)
            if self._lock is not None:  # only the process writing the run says so in state.json
                record_failure(self.run_path, "interrupted" if isinstance(exc, KeyboardInterrupt) else reason,
                               self.state.epochs_done, self.state.global_step)
            self._emit(TrainingFailed(reason=reason, run_dir=str(self.run_path)))
            if error is not exc:
                raise error from None
            raise
        finally:
            self.control.set_active(False, self.model)
            self.release()

    def _prepare_run_dir(self, writer: CheckpointWriter) -> RunDir:
        if not writer.is_chief:  # never touches its --run-dir; checkpoints go to a private temp folder
            if self.state.global_step > 0:  # resumed from the chief's checkpoint: same save decisions
                writer.saved_step = self.state.global_step
            return RunDir(self.run_path)
        if self._run is not None:
            run = self._run
            run.remove_stale_temp_files()
            run.update_train_config(self.train_config)
            run.truncate_history(self.state.epochs_done)
            writer.saved_step = -1 if self._fresh else self.state.global_step
            return run
        return RunDir.create(self.run_path, model_config=self.model_config, train_config=self.train_config,
                             corpus_config=self.corpus.config(), vocab=self.vocab,
                             extra={"params": self.params, "strategy": self.strategy_name,
                                    "data_seed": self.data_seed,
                                    **({"init_from": str(self.init_from.source)} if self.init_from else {})})

    @property
    def params(self) -> int:
        return int(sum(np.prod(w.shape) for w in self.model.trainable_weights))

    def _train(self) -> TrainingFinished:
        if self.already_trained:
            return self._record_completed()
        cfg, state, splits = self.train_config, self.state, self.splits
        writer = CheckpointWriter(self.run_path, self._emit, is_chief=self._info.is_chief)
        writer.state = state
        run = self._prepare_run_dir(writer)
        history = run.append_history if writer.is_chief else (lambda row: None)
        if writer.is_chief:
            run.write_state(status="running", epochs_done=state.epochs_done, global_step=state.global_step,
                            detail=None)

            def saved(epochs_done: int, global_step: int, name: str) -> None:
                run.write_state(status="running", epochs_done=epochs_done, global_step=global_step,
                                checkpoint=name, best_val_loss=state.best_val_loss)

            writer.on_saved = saved
        self._emit(TrainingStarted(str(self.run_path), cfg.epochs, state.epochs_done, splits.steps_per_epoch,
                                   self.params, self.device, self.strategy_name, self.replicas,
                                   self._info.precision, self.fresh_optimizer, cfg.time_budget,
                                   self.continued_rate))
        if writer.saved_step < 0:  # a run killed before its first checkpoint can still be resumed
            writer.save(self.model, kind="step", epochs_done=0, global_step=0,
                        resume_state=capture(self.model) if self.keeps_state else None)
        callback = TrainingCallback(
            state=state, control=self.control, emit=self._emit, writer=writer, history=history,
            steps_per_epoch=splits.steps_per_epoch,
            targets_per_step=splits.train_targets_per_epoch // splits.steps_per_epoch,
            checkpoint_every=cfg.checkpoint_every, time_budget=cfg.time_budget,
            preview=epoch_preview(self.model, self.vocab, self.model_config, self.corpus, cfg, self._emit),
            agree=stop_agreement(self._info.strategy) if is_multiworker(self._info.strategy) else None,
            keeps_state=self.keeps_state,
        )
        # Multi-worker: the rate must be a function of the step alone (the same on every worker), so the
        # plan is not shrunk from each worker's own clock under a budget.
        replan_budget = None if is_multiworker(self._info.strategy) else cfg.time_budget
        scheduler = ScheduleCallback(self.schedule, state, max_steps=self.max_steps, time_budget=replan_budget)
        # validation_steps=None: one full pass over the finite validation set each epoch.
        callbacks = [scheduler, callback]
        callbacks += plateau_callbacks(cfg, state, self.schedule, multiworker=is_multiworker(self._info.strategy))
        if cfg.tensorboard and writer.is_chief:  # workers other than the chief would write the same curves
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(self.run_path / LOGS), write_graph=False,
                                                         update_freq=100, profile_batch=0))
        plan = fit_plan(splits, state, cfg.epochs, finish_trained=self._saved_state is not None)
        # Each epoch reads the carried streams from a new offset: they start from zeros, except where this resume
        # continues an epoch (the saved state goes back in).
        callbacks.insert(0, EpochStart(self._saved_state, within_epoch=plan[0][4] > 0))
        for train, first_epoch, epochs, steps, done in plan:
            callback.batches_done = done
            if train is None:  # stopped after the epoch's last batch: only its validation and end are left
                finish_trained_epoch(self.model, callbacks, shardable(splits.val), first_epoch, self._saved_state)
            else:
                self.model.fit(shardable(train), epochs=epochs, initial_epoch=first_epoch, steps_per_epoch=steps,
                               validation_data=shardable(splits.val), callbacks=callbacks, shuffle=False, verbose=0)
            if state.reason is not None or self.model.stop_training:
                break
        train_seconds = state.elapsed()
        reason = state.reason or "completed"
        if reason in ("stopped", "time_budget", "plateau") and writer.saved_step != state.global_step:
            resume_state = callback.resume_state()  # before a final validation resets the training metrics
            improved = reason in ("time_budget", "plateau") and final_validation(self.model, self.splits.val, state)
            writer.save(self.model, kind="stop", epochs_done=state.epochs_done, global_step=state.global_step,
                        val_loss=state.val_loss if improved else None, best=improved, resume_state=resume_state)
        if writer.is_chief:
            run.write_state(status=reason, epochs_done=state.epochs_done, global_step=state.global_step,
                            best_val_loss=state.best_val_loss,
                            detail=self._stop_detail if reason == "stopped" else None)
        finished = TrainingFinished(
            str(self.run_path), reason, state.epochs_done, state.global_step, state.val_loss, state.val_bpc,
            state.best_val_loss, train_seconds,
            state.targets / state.batch_seconds if state.batch_seconds > 0 else 0.0,
        )
        self._emit(finished)
        return finished

    def _record_completed(self) -> TrainingFinished:
        """The bookkeeping the run's last session did not live to do: state.json says completed."""
        state = self.state
        if self._info.is_chief:
            self._run.remove_stale_temp_files()
            self._run.write_state(status="completed", epochs_done=state.epochs_done, global_step=state.global_step,
                                  best_val_loss=state.best_val_loss, detail=None)
        finished = TrainingFinished(str(self.run_path), "completed", state.epochs_done, state.global_step,
                                    state.val_loss, state.val_bpc, state.best_val_loss, 0.0, 0.0)
        self._emit(finished)
        return finished
