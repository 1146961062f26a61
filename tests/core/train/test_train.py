"""Trainer: loss goes down, events, stop/resume, pause + snapshots, time budget, NaN, bad input, seeds."""
import math
import threading

import numpy as np
import pytest

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.errors import CorpusError, RunDirError, SettingsError
from chargen_core.train import (BatchEnded, CheckpointSaved, EpochEnded, PreviewGenerated, TrainingFinished,
                                 TrainingStarted)
from chargen_core.runs import RunDir
from chargen_core.train import Trainer

MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)


def train_config(**kw):
    base = dict(epochs=2, batch_size=8, steps_per_epoch=4, checkpoint_every=0, preview_length=8, seed=0,
                learning_rate=1e-2)
    return TrainConfig(**{**base, **kw})


@pytest.fixture
def corpus(tiny_corpus_file):
    return load_corpus(str(tiny_corpus_file))


class Recorder(list):
    def __init__(self, hook=None):
        super().__init__()
        self.hook = hook

    def __call__(self, event):
        self.append(event)
        if self.hook:
            self.hook(event)

    def of(self, kind):
        return [e for e in self if isinstance(e, kind)]


def test_short_run_lowers_loss_and_reports_events(corpus, tmp_path):
    events = Recorder()
    trainer = Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=3, steps_per_epoch=6), events)
    finished = trainer.run()
    assert finished.reason == "completed" and finished.epochs == 3 and finished.steps == 18
    assert isinstance(events[0], TrainingStarted) and isinstance(events[-1], TrainingFinished)
    started = events[0]
    assert (started.device, started.strategy, started.replicas) == ("CPU", "DefaultStrategy", 1)
    assert started.params == trainer.params > 0
    epochs = events.of(EpochEnded)
    assert [e.epoch for e in epochs] == [0, 1, 2]
    assert epochs[-1].val_loss < epochs[0].val_loss
    assert math.isclose(epochs[-1].val_bpc, epochs[-1].val_loss / math.log(2))
    assert len(events.of(BatchEnded)) == 18 and events.of(BatchEnded)[-1].global_step == 18
    assert len(events.of(PreviewGenerated)) == 3 and len(events.of(PreviewGenerated)[0].text) == 8
    assert {e.kind for e in events.of(CheckpointSaved)} >= {"epoch", "best"}
    assert finished.targets_per_second > 0
    run = RunDir.open(tmp_path / "run")
    assert [r["epoch"] for r in run.history()] == [0, 1, 2]
    assert run.vocab == trainer.vocab and run.model_config == MODEL
    assert run.config["vocab_size"] == trainer.vocab.size and "tensorflow" in run.config["versions"]
    assert run.load_model("best") is not None and run.last_path.exists()


def test_stop_leaves_checkpoint_and_resume_continues(corpus, tmp_path):
    def stop_at_9(event):
        if isinstance(event, BatchEnded) and event.global_step == 9:
            trainer.request_stop()

    events = Recorder(stop_at_9)
    trainer = Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=3, steps_per_epoch=6), events)
    finished = trainer.run()
    assert (finished.reason, finished.epochs, finished.steps) == ("stopped", 1, 9)
    assert events.of(CheckpointSaved)[-1].kind == "stop" and events.of(CheckpointSaved)[-1].global_step == 9
    assert len(events.of(BatchEnded)) == 9  # the stop took effect right after the batch that asked for it

    again = Recorder()
    resumed = Trainer.resume(tmp_path / "run", again)
    assert again == [] and resumed.state.global_step == 9
    assert int(resumed.model.optimizer.iterations.numpy()) == 9  # optimizer state came back with the weights
    finished = resumed.run()
    assert again[0].initial_epoch == 1
    # Epoch 2 resumes after its 3 consumed batches: 3 epochs of 6 steps, as if never stopped.
    assert (finished.reason, finished.epochs, finished.steps) == ("completed", 3, 3 * 6)
    assert [r["epoch"] for r in RunDir.open(tmp_path / "run").history()] == [0, 1, 2]
    with pytest.raises(SettingsError, match="already trained 3 of 3"):
        Trainer.resume(tmp_path / "run")


def test_pause_serves_snapshots_then_continues(corpus, tmp_path):
    snapshots = []

    def on_event(event):
        if isinstance(event, BatchEnded) and event.global_step == 2:
            trainer.pause()
            threading.Thread(target=peek, daemon=True).start()

    def peek():
        snapshots.append(trainer.snapshot_weights())  # answered by the paused training thread
        snapshots.append(trainer.paused)
        trainer.unpause()

    trainer = Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=1), Recorder(on_event))
    assert trainer.run().reason == "completed"
    weights, was_paused = snapshots
    assert was_paused is True
    assert [w.shape for w in weights] == [w.shape for w in trainer.model.get_weights()]
    assert len(trainer.snapshot_weights()) == len(weights)  # outside training: a direct copy


def test_time_budget_stops_cleanly(corpus, tmp_path):
    trainer = Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=1000, time_budget=0.5))
    finished = trainer.run()
    assert finished.reason == "time_budget" and finished.steps < 1000 * 4
    assert finished.val_loss is not None and math.isfinite(finished.val_loss)  # the final weights were scored
    run = RunDir.open(tmp_path / "run")
    _, manifest, _ = run.load_checkpoint("last")
    assert manifest.global_step == finished.steps
    _, best, _ = run.load_checkpoint("best")
    assert best.val_loss == pytest.approx(finished.best_val_loss)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(corpus, tmp_path):
    def poison(event):
        if isinstance(event, BatchEnded) and event.global_step == 3:
            logits = trainer.model.get_layer("logits")
            logits.kernel.assign(np.full(logits.kernel.shape, np.nan, dtype="float32"))

    trainer = Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=3, checkpoint_every=2), Recorder(poison))
    finished = trainer.run()
    assert finished.reason == "nan" and finished.steps == 3
    model, manifest, _ = RunDir.open(tmp_path / "run").load_checkpoint("last")
    assert manifest.global_step == 2
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_bad_input_is_refused_before_writing(tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("just a few characters\n" * 2)
    with pytest.raises(CorpusError, match="too short"):
        Trainer(load_corpus(str(short)), tmp_path / "run", MODEL, train_config())
    assert not (tmp_path / "run").exists()
    with pytest.raises(SettingsError, match="--epochs"):
        Trainer(load_corpus("builtin"), tmp_path / "run", MODEL, train_config(epochs=0))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunDirError):
        Trainer(load_corpus("builtin"), blocker / "run", MODEL, train_config())


def test_existing_run_is_not_overwritten(corpus, tmp_path):
    Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=1, steps_per_epoch=1, preview_length=0)).run()
    with pytest.raises(RunDirError, match="--resume"):
        Trainer(corpus, tmp_path / "run", MODEL, train_config())


def test_seed_arch_trains(tmp_path, tiny_text):
    path = tmp_path / "t.txt"
    path.write_text(tiny_text)
    corpus = load_corpus(str(path), standardize="seed")
    cfg = train_config(epochs=1, steps_per_epoch=3, learning_rate=1e-3, schedule="constant")
    finished = Trainer(corpus, tmp_path / "run", ModelConfig(arch="seed"), cfg).run()
    assert finished.reason == "completed" and math.isfinite(finished.val_loss)


def test_schedules():
    from chargen_core.train import FLOOR, Schedule

    assert Schedule(1e-3, kind="constant", warmup_steps=10, planned_steps=100).rate(0) == 1e-3
    wsd = Schedule(1.0, kind="wsd", warmup_steps=10, planned_steps=100)
    assert wsd.rate(0) == pytest.approx(0.1) and wsd.rate(9) == pytest.approx(1.0)
    assert wsd.rate(50) == 1.0 and wsd.rate(100) == pytest.approx(FLOOR)
    half = Schedule(1.0, kind="wsd", warmup_steps=10, planned_steps=100, decay_fraction=0.5)
    assert half.rate(50) == 1.0 and half.rate(60) < 1.0 and wsd.rate(60) == 1.0
    cosine = Schedule(1.0, kind="cosine", warmup_steps=10, planned_steps=100)
    rates = [cosine.rate(s) for s in range(10, 101)]
    assert rates == sorted(rates, reverse=True) and rates[-1] == pytest.approx(FLOOR)
    rewarmed = Schedule(1.0, kind="wsd", warmup_steps=10, planned_steps=100)
    rewarmed.rewarm_from = 40  # a weights-only resume at step 40: Adam starts empty, the rate ramps up again
    assert rewarmed.rate(40) == pytest.approx(0.1) and rewarmed.rate(44) == pytest.approx(0.5)
    assert rewarmed.rate(50) == 1.0 and rewarmed.rate(39) == 1.0


def test_run_in_a_worker_thread_stops_on_request(corpus, tmp_path):
    first_batch = threading.Event()
    events = Recorder(lambda e: isinstance(e, BatchEnded) and first_batch.set())
    trainer = Trainer(corpus, tmp_path / "run", MODEL, train_config(epochs=1000), events)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("finished", trainer.run()))
    worker.start()
    assert first_batch.wait(120)
    weights = trainer.snapshot_weights()  # served by the training thread between batches
    trainer.request_stop()
    worker.join(120)
    assert not worker.is_alive() and result["finished"].reason == "stopped"
    assert len(weights) == len(trainer.model.get_weights())
    assert events.of(CheckpointSaved)[-1].kind in ("stop", "epoch", "best")  # a stop seen at epoch end: best.keras last


def test_a_weights_only_run_resumes_with_a_fresh_optimizer(corpus, tmp_path):
    """The installed bundled model ships best.keras saved without optimizer state and no model.keras."""
    import shutil

    import keras

    from chargen_core.model import CarryLSTM  # noqa: F401  (registers the layer)
    from chargen_core.runs import read_manifest, save_model

    run_path = tmp_path / "run"
    Trainer(corpus, run_path, MODEL, train_config(epochs=1, preview_length=0)).run()
    best = run_path / "best.keras"
    manifest = read_manifest(best)
    weights_only = keras.models.load_model(best, compile=False)
    save_model(weights_only, best, epochs_done=manifest.epochs_done, global_step=manifest.global_step,
               kind="best", val_loss=manifest.val_loss)
    for name in ("model.keras", "model.json", "checkpoints"):
        target = run_path / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    model, _, path = RunDir.open(run_path).load_checkpoint("last")
    assert path == best and np.allclose(model.get_weights()[0], weights_only.get_weights()[0])
    events = Recorder()
    resumed = Trainer.resume(run_path, events, epochs=2)
    assert resumed.model.optimizer is not None
    finished = resumed.run()
    assert finished.reason == "completed" and finished.epochs == 2 and math.isfinite(finished.val_loss)
    assert events.of(TrainingStarted)[0].fresh_optimizer  # said where training is shown (CLI line, app pane)
    assert resumed.schedule.rewarm_from == manifest.global_step > 0  # the rate warms up again from there
    events = Recorder()
    again = Trainer.resume(run_path, events, epochs=3)
    assert again.schedule.rewarm_from is None
    again.run()  # its checkpoints now hold Adam's state
    assert not events.of(TrainingStarted)[0].fresh_optimizer


def test_weight_decay_trains_with_adamw_and_a_resume_keeps_it(corpus, tmp_path):
    import keras

    run_path = tmp_path / "run"
    trainer = Trainer(corpus, run_path, MODEL, train_config(epochs=1, weight_decay=0.1), Recorder())
    assert isinstance(trainer.model.optimizer, keras.optimizers.AdamW)
    assert trainer.model.optimizer.weight_decay == pytest.approx(0.1)
    assert trainer.run().reason == "completed"
    resumed = Trainer.resume(run_path, Recorder(), epochs=2)
    assert isinstance(resumed.model.optimizer, keras.optimizers.AdamW)
    assert resumed.model.optimizer.weight_decay == pytest.approx(0.1)
    plain = Trainer(corpus, tmp_path / "plain", MODEL, train_config(epochs=1), Recorder())
    assert type(plain.model.optimizer) is keras.optimizers.Adam  # 0: plain Adam, as before


def test_a_stalled_validation_ends_the_run_after_an_early_decay(corpus, tmp_path, monkeypatch):
    from chargen_core.train import Plateau

    monkeypatch.setattr(Plateau, "stalled", lambda self, val_loss: True)  # as if validation stopped improving
    events = Recorder()
    run_path = tmp_path / "run"
    trainer = Trainer(corpus, run_path, MODEL, train_config(epochs=6, steps_per_epoch=6, plateau_decay=1), events)
    finished = trainer.run()
    # Stalled at the end of epoch 1 (step 6): the decay takes a third as many steps again, then the run ends.
    assert finished.reason == "plateau" and finished.steps == 8 and trainer.schedule.decay_start == 6
    assert RunDir.open(run_path).state()["status"] == "plateau"
    assert math.isfinite(finished.val_loss)  # the annealed weights were scored


def test_recurrent_dropout_trains_is_kept_by_the_run_and_leaves_inference_alone(corpus, tmp_path):
    from chargen_core.generate import Generator
    from chargen_core.generate import SamplerSettings

    cfg = ModelConfig(units=16, embedding_dim=8, seq_len=16, recurrent_dropout=0.3)
    trainer = Trainer(corpus, tmp_path / "run", cfg, train_config(epochs=1), Recorder())
    model = trainer.model
    assert model.get_layer("lstm_0").recurrent_dropout == pytest.approx(0.3)
    assert trainer.run().reason == "completed"
    assert RunDir(tmp_path / "run").model_config.recurrent_dropout == pytest.approx(0.3)
    ids = np.arange(32, dtype=np.int32).reshape(2, 16) % 20
    for layer in model.layers:  # compare plain calls: no carried state
        if hasattr(layer, "start_carry"):
            object.__setattr__(layer, "_carry", None)
    eval_a, eval_b = np.asarray(model(ids, training=False)), np.asarray(model(ids, training=False))
    np.testing.assert_array_equal(eval_a, eval_b)  # no dropout at inference
    assert not np.allclose(np.asarray(model(ids, training=True)), eval_a)  # masks while training
    assert len(Generator.from_run(tmp_path / "run").generate("ab", SamplerSettings(), 20, seed=1).text) == 20
