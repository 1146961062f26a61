"""--size auto: the decision function with faked throughputs, bad input, and one short real run."""
import json

import pytest

from chargen_core.train import sizing
from chargen_core.cli import main
from chargen_core.errors import SettingsError
from chargen_core.train import choose, resolve_size

NIETZSCHE_TRAIN = 540_000  # characters in the training split of the tutorial's corpus
VOCAB = 85


def pick(tps, budget, device="CPU", chars=NIETZSCHE_TRAIN, **fixed):
    return choose(budget=budget, probe_tps=tps, probe_seconds=6.0, train_chars=chars, vocab_size=VOCAB,
                  device=device, fixed=fixed)


def test_cpu_like_150_seconds_reproduces_the_measured_default():
    size = pick(33_000, 150)  # the development machine's 1 x 256 speed
    assert (size.layers, size.units, size.batch_size, size.seq_len) == (1, 256, 128, 25)
    assert size.learning_rate == pytest.approx(1e-2)
    assert size.dropout == 0.2  # 9 epochs x sqrt(0.59 parameters per character): risk 7, past the first bound (5)
    assert size.predicted_targets_per_second == pytest.approx(33_000)


def test_a_faster_cpu_picks_the_width_measured_best_there():
    size = pick(50_000, 190)  # the quiet 2-core machine: 1 x 384 beat 1 x 256 and 1 x 512 at this budget
    assert (size.layers, size.units) == (1, 384)
    assert size.dropout == 0.2  # risk ~10: 0.2 beat 0.1 and 0 there on raw and seed-standardized text


def test_cpu_like_more_time_buys_a_bigger_model_with_dropout():
    sizes = [pick(33_000, budget) for budget in (150, 600, 3600, 7200)]
    params = [sizing.params(s.layers, s.units, VOCAB) for s in sizes]
    assert params == sorted(params) and params[-1] > params[0]
    assert [s.dropout for s in sizes] == sorted(s.dropout for s in sizes) and sizes[-1].dropout > 0
    # A CPU's 128-row batches keep 1e-2 at every width (1 x 512, 627 s: 1.2745 against 1.2817 at 0.0071);
    # a GPU's big batches lower it for wider layers.
    assert {s.learning_rate for s in sizes} == {1e-2}
    gpu = [pick(200_000, budget, device="GPU") for budget in (150, 3600)]
    assert gpu[0].units == 512 and gpu[0].learning_rate == pytest.approx(1e-2 * (256 / 512) ** 0.5, abs=1e-6)
    assert all(s.device == "CPU" and s.seq_len == 25 for s in sizes)


def test_a_slower_cpu_gets_a_smaller_model_for_the_same_budget():
    fast, slow = pick(33_000, 150), pick(8_000, 150)
    assert slow.units < fast.units and slow.layers == 1


def test_gpu_like_throughput_gets_a_bigger_batch_longer_rows_and_width():
    corpus = 100_000_000  # a big corpus: the batch is not cut
    size = pick(300_000, 600, device="GPU", chars=corpus)
    cpu = pick(33_000, 600, chars=corpus)
    assert size.batch_size == 1024 and size.seq_len == 100 and size.device == "GPU"
    assert size.units >= 512 and sizing.params(size.layers, size.units, VOCAB) > sizing.params(cpu.layers, cpu.units, VOCAB)
    # On a GPU width is nearly free until the device is full: the 512-wide probe predicts the same speed for 384.
    assert sizing.predicted_speed(300_000, sizing.GPU, 1, 384, VOCAB) == pytest.approx(300_000)
    hour = pick(1_000_000, 3600, device="GPU", chars=corpus)
    assert hour.layers >= 2 and hour.units >= 1024


def test_tiny_corpus_gets_a_small_model_short_streams_and_dropout():
    size = pick(33_000, 600, chars=5_000)
    assert (size.layers, size.units) == (1, 64)  # capped by the corpus, not by time
    assert size.batch_size * sizing.MIN_STEPS_PER_EPOCH * (size.seq_len + 1) <= 5_000
    assert size.dropout == max(rate for _, rate in sizing.LONG_RUN_DROPOUT_BY_RISK) and size.recurrent_dropout > 0  # thousands of epochs


def test_huge_corpus_is_limited_by_time_and_keeps_dropout_off():
    size = pick(33_000, 600, chars=1_000_000_000)
    assert size.dropout == 0.0 and size.planned_epochs < 1
    assert sizing.params(size.layers, size.units, VOCAB) * sizing.MIN_TARGETS_PER_PARAM <= (
        (600 - 6) * size.predicted_targets_per_second)


def test_flags_given_by_the_user_are_kept():
    size = pick(33_000, 3600, units=256, layers=1, batch_size=64, dropout=0.05)
    assert (size.units, size.layers, size.batch_size, size.dropout) == (256, 1, 64, 0.05)
    assert size.learning_rate == pytest.approx(1e-2) and size.seq_len == 25
    odd = pick(33_000, 150, units=200)  # off the ladder: that width
    assert odd.units == 200


def test_resolve_size_rules():
    assert resolve_size(None, time_budget=150, arch="lstm", distribute="auto") == "auto"
    assert resolve_size(None, time_budget=None, arch="lstm", distribute="auto") == "default"
    assert resolve_size(None, time_budget=10, arch="lstm", distribute="auto") == "default"  # too short: documented
    assert resolve_size(None, time_budget=150, arch="seed", distribute="auto") == "default"
    assert resolve_size("default", time_budget=150, arch="lstm", distribute="auto") == "default"
    for bad, kwargs in [("big", {}), ("auto", {"time_budget": None}), ("auto", {"time_budget": 5}),
                        ("auto", {"arch": "seed"}), ("auto", {"distribute": "multiworker"})]:
        args = {"time_budget": 150, "arch": "lstm", "distribute": "auto", **kwargs}
        with pytest.raises(SettingsError):
            resolve_size(bad, **args)


@pytest.mark.parametrize("argv, message", [
    (["--size", "big"], "unknown --size 'big'"),
    (["--size", "auto"], "--size auto sizes the model for a time budget"),
    (["--size", "auto", "--time-budget", "5"], "too short for --size auto"),
    (["--early-stop", "-1"], "--early-stop must be"),
])
def test_bad_size_flags_exit_2_with_one_line(capsys, tiny_corpus_file, argv, message):
    rc = main(["train", "--corpus", str(tiny_corpus_file), *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and len(err.splitlines()) == 1


def test_a_real_auto_run_reports_its_choice_in_json(capsys, tiny_corpus_file, tmp_path, monkeypatch):
    # A small probe shape keeps the test quick; the probe still trains and times real steps.
    monkeypatch.setattr(sizing, "CPU", sizing.Device("CPU", batch_size=8, seq_len=16, probe_units=32,
                                                          long_run_weight_decay=0.15))
    monkeypatch.setattr(sizing, "PROBE_SECONDS", 0.5)
    run_dir = tmp_path / "run"
    rc = main(["train", "--corpus", str(tiny_corpus_file), "--time-budget", "60", "--epochs", "1",
               "--steps-per-epoch", "3", "--preview-length", "0", "--seed", "1", "--run-dir", str(run_dir),
               "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    size = result["size"]
    assert set(size) >= {"units", "layers", "batch_size", "seq_len", "learning_rate", "dropout", "probe_seconds"}
    assert 0 < size["probe_seconds"] < 30 and size["probe_targets_per_second"] > 0
    assert "--size auto:" in err and "probe" in err
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["units"] == size["units"] and config["model"]["layers"] == size["layers"]
    assert config["model"]["dropout"] == size["dropout"] and config["train"]["batch_size"] == size["batch_size"]
    assert config["model"]["recurrent_dropout"] == size["recurrent_dropout"]
    assert config["train"]["decay_fraction"] == size["decay_fraction"]
    assert config["train"]["time_budget"] == pytest.approx(60 - size["probe_seconds"])


def test_early_stop_after_n_evaluations_without_improvement():
    from types import SimpleNamespace

    from chargen_core.train import RunState
    from chargen_core.train import EarlyStop

    state = RunState()
    stop = EarlyStop(state, patience=2)
    stop.set_model(SimpleNamespace(stop_training=False))
    for epoch, loss in enumerate([2.0, 1.5, 1.6, 1.4, 1.45]):
        state.val_loss = loss
        stop.on_epoch_end(epoch)
        assert not stop.model.stop_training and state.reason is None
    state.val_loss = 1.41  # second evaluation in a row above 1.4
    stop.on_epoch_end(5)
    assert stop.model.stop_training and state.reason == "early_stop"


def test_plateau_decay_starts_the_decay_when_validation_stalls_and_ends_the_run_with_it():
    from types import SimpleNamespace

    from chargen_core.train import RunState
    from chargen_core.train import PlateauDecay
    from chargen_core.train import FLOOR, Schedule

    schedule = Schedule(1.0, kind="wsd", warmup_steps=10, planned_steps=10_000)
    state = RunState()
    plateau = PlateauDecay(state, schedule, patience=2)
    plateau.set_model(SimpleNamespace(stop_training=False))
    for epoch, loss in enumerate([2.0, 1.5, 1.6]):
        state.val_loss, state.global_step = loss, 300 * (epoch + 1)
        plateau.on_epoch_end(epoch)
    assert not schedule.decaying_early and schedule.rate(900) == 1.0  # one evaluation without progress
    state.val_loss, state.global_step = 1.55, 1200
    plateau.on_epoch_end(3)
    # The decay lasts a third of the steps so far (decay_fraction 0.25 of the run) and the run ends with it.
    assert schedule.decay_start == 1200 and schedule.planned_steps == 1600
    assert schedule.rate(1200) == pytest.approx(1.0) and 0.05 < schedule.rate(1400) < 1.0
    assert schedule.rate(1600) == pytest.approx(FLOOR)
    state.global_step = 1599
    plateau.on_train_batch_end(0)
    assert not plateau.model.stop_training
    state.global_step = 1600
    plateau.on_train_batch_end(0)
    assert plateau.model.stop_training and state.reason == "plateau"


def test_plateau_decay_leaves_a_decay_already_under_way_and_other_schedules_alone():
    from chargen_core.train import Schedule

    late = Schedule(1.0, kind="wsd", planned_steps=1000)
    late.start_decay(800)  # the planned decay began at 750
    assert not late.decaying_early and late.planned_steps == 1000
    cosine = Schedule(1.0, kind="cosine", planned_steps=1000)
    cosine.start_decay(100)
    assert not cosine.decaying_early


def test_a_long_auto_run_gets_weight_decay_and_plateau_decay_a_short_one_neither():
    short, long = pick(50_000, 190), pick(50_000, 3600)
    assert (short.weight_decay, short.plateau_decay) == (0.0, 0)
    # AdamW decays at every step: a CPU's 128 rows (twice the steps of 256) take half, the same decay per epoch.
    assert long.weight_decay == sizing.LONG_RUN_WEIGHT_DECAY / 2 == 0.15 and long.plateau_decay == sizing.LONG_RUN_PLATEAU
    assert short.recurrent_dropout == 0.0 and long.recurrent_dropout == sizing.LONG_RUN_RECURRENT_DROPOUT > 0
    # With recurrent dropout a long run's output dropout is 0.3, 0.4 for the longest; without it (a GPU, or the
    # user's 0) it stays 0.5.
    mid = pick(50_000, 600)  # 1 x 512 for 600 s: risk ~22
    assert mid.recurrent_dropout == sizing.LONG_RUN_RECURRENT_DROPOUT and mid.dropout == 0.3
    assert long.dropout == 0.4  # 2 x 512 for an hour: risk ~78
    assert pick(50_000, 3600, units=384, layers=1).dropout == 0.4  # the bundled model's hour: risk ~180
    assert pick(50_000, 3600, dropout=0.3).dropout == 0.3  # the user's value wins
    assert pick(50_000, 3600, recurrent_dropout=0.0).dropout == max(rate for _, rate in sizing.DROPOUT_BY_RISK)
    assert "recurrent dropout 0.1" in long.describe()
    gpu = pick(1_000_000, 3600, device="GPU")
    assert gpu.weight_decay == sizing.LONG_RUN_WEIGHT_DECAY and gpu.recurrent_dropout == 0.0  # cuDNN's fused kernel
    assert gpu.dropout == max(rate for _, rate in sizing.DROPOUT_BY_RISK)
    assert pick(50_000, 3600, recurrent_dropout=0.0).recurrent_dropout == 0.0  # the user's value wins
    assert "decay after 3 epochs without progress" in long.describe()
    assert pick(50_000, 3600, plateau_decay=0).plateau_decay == 0  # --plateau-decay 0 given by the user wins
    # The final decay: half the run when recurrent dropout keeps it from overfitting (a long CPU run), else a quarter.
    assert (short.decay_fraction, gpu.decay_fraction) == (0.25, 0.25)
    assert short.batch_size == long.batch_size == sizing.CPU.batch_size == 128
    assert pick(50_000, 3600, weight_decay=0.3).weight_decay == 0.3  # the user's value wins
    assert pick(50_000, 3600, batch_size=64).batch_size == 64
    assert long.decay_fraction == sizing.LONG_RUN_DECAY_FRACTION == 0.5 and "final decay 50% of the run" in long.describe()
    assert pick(50_000, 3600, decay_fraction=0.3).decay_fraction == 0.3
