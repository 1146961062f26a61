"""Training a finished run further: a new schedule curve from where it ended, at the rate it ended at."""
import dataclasses

import pytest

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.train import BatchEnded, TrainingStarted
from chargen_core.runs import RunDir
from chargen_core.train import FLOOR, Schedule, continuation
from chargen_core.train import Trainer

MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)
CONFIG = TrainConfig(epochs=1, batch_size=8, steps_per_epoch=4, checkpoint_every=0, preview_length=0, seed=0,
                     learning_rate=1e-2, warmup_steps=2)


def test_a_curve_that_starts_later_holds_its_peak_without_a_warm_up_then_decays():
    curve = Schedule(0.05, kind="wsd", warmup_steps=10, planned_steps=200, start_step=100)
    assert curve.rate(100) == 0.05 and curve.rate(174) == 0.05  # held over the first three quarters of its 100
    assert curve.rate(190) < 0.05 and curve.rate(200) == pytest.approx(0.05 * FLOOR)
    curve.start_decay(120)  # a plateau 20 steps in: the decay lasts a third of those 20 steps again, not of 120
    assert curve.planned_steps == 127 and curve.rate(120) == 0.05 and curve.rate(127) == pytest.approx(0.05 * FLOOR)


@pytest.mark.parametrize("status", ["completed", "time_budget", "plateau"])
def test_a_run_that_finished_its_decay_continues_at_the_rate_it_ended_at(status):
    further = continuation(CONFIG, status, 40)
    assert further.learning_rate == pytest.approx(CONFIG.learning_rate * FLOOR) and further.schedule_start == 40
    again = continuation(further, status, 90)  # and again, from where the continuation ended
    assert again.learning_rate == pytest.approx(CONFIG.learning_rate * FLOOR ** 2) and again.schedule_start == 90


@pytest.mark.parametrize("status", ["stopped", "early_stop", "running", "failed", None])
def test_a_run_that_did_not_finish_its_decay_continues_its_own_curve(status):
    assert continuation(CONFIG, status, 40) is CONFIG


def test_a_constant_rate_or_a_continuation_with_no_steps_yet_is_left_alone():
    assert continuation(dataclasses.replace(CONFIG, schedule="constant"), "completed", 40).learning_rate == 1e-2
    started = continuation(CONFIG, "completed", 40)
    assert continuation(started, "completed", 40) is started  # finished again before a step: same curve


def test_resuming_a_finished_run_keeps_its_rate_low_and_a_stop_resumes_that_curve(tiny_corpus_file, tmp_path):
    corpus = load_corpus(str(tiny_corpus_file))
    run_path = tmp_path / "run"
    assert Trainer(corpus, run_path, MODEL, CONFIG).run().reason == "completed"
    started, rates, watched = [], [], {"stop_at": 6}

    def watch(event):
        trainer = watched["trainer"]
        if isinstance(event, TrainingStarted):
            started.append(event)
        if isinstance(event, BatchEnded):
            rates.append(float(trainer.model.optimizer.learning_rate.numpy()))
            if event.global_step == watched["stop_at"]:
                trainer.request_stop()

    watched["trainer"] = Trainer.resume(run_path, watch, epochs=3)
    assert watched["trainer"].run().reason == "stopped"
    peak = CONFIG.learning_rate * FLOOR
    assert started[0].continued_rate == pytest.approx(peak) and "rate it ended at" in started[0].continued_note
    assert max(rates) == pytest.approx(peak, rel=1e-6)  # never back up to the first peak, and no warm-up from 0
    saved = RunDir.open(run_path).train_config
    assert saved.schedule_start == 4 and saved.learning_rate == pytest.approx(peak)

    started.clear()
    rates.clear()
    watched["trainer"] = resumed = Trainer.resume(run_path, watch)  # stopped mid-way: the same curve goes on
    assert resumed.schedule.start == 4 and resumed.schedule.peak == pytest.approx(peak)
    assert resumed.run().reason == "completed" and started[0].continued_rate is None
    assert max(rates) == pytest.approx(peak, rel=1e-6) and rates[-1] < 0.6 * peak  # decaying to its own floor
