"""Fault report, settings: every numeric flag of `chargen train` is finite and in range before anything is made,
a model too large for memory is said in one line, a batch larger than the text is said, `chargen info` says a
corpus is too short to train on, and generation refuses non-finite or unbounded sampling settings."""
import math
import sys
import warnings

import pytest

from chargen_core.model import memory
from chargen_core.cli import main
from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.errors import SettingsError
from chargen_core.model import build_with_precision, count_params
from chargen_core.generate import MAX_BEAMS, SamplerSettings
from chargen_core.train import Trainer

TINY = ["--units", "16", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3",
        "--preview-length", "0", "--epochs", "1"]


def tiny(**changes) -> list[str]:
    """TINY with some flags' values replaced (units="1000000000") or removed (units=None)."""
    argv = list(TINY)
    for name, value in changes.items():
        at = argv.index(f"--{name.replace('_', '-')}")
        argv[at + 1:at + 2] = [] if value is None else [value]
        if value is None:
            del argv[at]
    return argv


def run_main(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_error_line(rc: int, err: str, message: str) -> None:
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chargen: error:") and message in lines[0], err
    assert "internal error" not in err


@pytest.mark.parametrize("flag, value, message", [
    ("--clipnorm", "nan", "--clipnorm must be a finite number"),
    ("--clipnorm", "inf", "--clipnorm must be a finite number"),
    ("--clipnorm", "-1", "--clipnorm must be >= 0"),
    ("--learning-rate", "inf", "--learning-rate must be a finite number"),
    ("--learning-rate", "nan", "--learning-rate must be a finite number"),
    ("--learning-rate", "5", "--learning-rate must be in (0, 1]"),
    ("--time-budget", "inf", "--time-budget must be a finite number"),
    ("--decay-fraction", "inf", "--decay-fraction must be a finite number"),
    ("--weight-decay", "nan", "--weight-decay must be a finite number"),
    ("--val-fraction", "inf", "--val-fraction must be a finite number"),
    ("--dropout", "inf", "--dropout must be a finite number"),
    ("--recurrent-dropout", "-inf", "--recurrent-dropout must be a finite number"),
    ("--preview-length", "-1", "--preview-length must be >= 0"),
])
def test_non_finite_or_out_of_range_train_flags_are_refused_before_anything_is_made(capsys, tmp_path,
                                                                                      tiny_corpus_file, flag, value,
                                                                                      message):
    run_dir = tmp_path / "run"
    argv = tiny(**{flag[2:].replace("-", "_"): None}) if flag in TINY else TINY
    rc, out, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", run_dir, *argv,
                            f"{flag}={value}")
    one_error_line(rc, err, message)
    assert out == "" and not run_dir.exists()


def test_resume_refuses_an_infinite_budget_and_leaves_the_run_alone(capsys, tmp_path, tiny_corpus_file):
    run_dir = tmp_path / "run"
    assert main(["train", "--corpus", str(tiny_corpus_file), "--run-dir", str(run_dir), *TINY]) == 0
    config = (run_dir / "config.json").read_bytes()
    capsys.readouterr()
    rc, _, err = run_main(capsys, "train", "--resume", run_dir, "--epochs", "2", "--time-budget", "inf")
    one_error_line(rc, err, "--time-budget must be a finite number")
    assert (run_dir / "config.json").read_bytes() == config


@pytest.mark.parametrize("config, message", [
    (TrainConfig(epochs=True), "--epochs must be a whole number"),
    (TrainConfig(batch_size=8.0), "--batch-size must be a whole number"),
    (TrainConfig(schedule="linear"), "unknown --schedule"),
    (TrainConfig(warmup_steps=-1), "warmup_steps must be a step count >= 0"),
    (TrainConfig(steps_per_epoch=0), "--steps-per-epoch must be a positive integer"),
    (TrainConfig(tensorboard="no"), "--tensorboard must be true or false"),
    (ModelConfig(units=16.0), "--units must be a whole number"),
    (CorpusConfig(encoding=None), "--encoding must be a string"),
])
def test_validate_checks_the_type_of_every_field(config, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        config.validate()


def test_the_measured_defaults_and_the_bundled_model_still_validate():
    from chargen_core.runs import RunDir, default_run_path

    TrainConfig().validate(), ModelConfig().validate(), CorpusConfig().validate()
    run = RunDir.open(default_run_path())
    assert run.train_config.learning_rate > 0 and run.model_config.units > 0


def test_a_model_too_large_for_memory_says_its_size_and_exit_2(capsys, tmp_path, tiny_corpus_file):
    run_dir = tmp_path / "run"
    argv = tiny(units="1000000000")
    rc, out, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", run_dir, *argv)
    params = count_params(ModelConfig(units=10**9, embedding_dim=8, seq_len=16), 33)  # 32 characters + [UNK]
    one_error_line(rc, err, f"a model of {params:,} parameters needs about")
    assert "PB of memory" in err and "available" in err and "--units" in err
    assert out == "" and not run_dir.exists()


def test_the_memory_check_uses_the_memory_available(monkeypatch):
    have = memory.available_bytes()
    assert sys.platform != "linux" or (isinstance(have, int) and have > 0)  # /proc/meminfo says it on Linux
    cfg = ModelConfig(units=16, embedding_dim=8, seq_len=16)
    need = memory.training_bytes(count_params(cfg, 34))
    monkeypatch.setattr(memory, "available_bytes", lambda: need - 1)
    with pytest.raises(SettingsError, match="parameters needs about"):
        memory.check_fits(cfg, 34)
    monkeypatch.setattr(memory, "available_bytes", lambda: need)
    memory.check_fits(cfg, 34)


@pytest.mark.parametrize("error", ["memory", "resource"])
def test_running_out_of_memory_while_building_is_one_line(monkeypatch, error):
    import tensorflow as tf

    from chargen_core.model import compiling as model_module

    def oom(cfg, vocab_size):
        if error == "memory":
            raise MemoryError()
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[8,4000000000]")

    monkeypatch.setattr(model_module, "build_model", oom)
    with pytest.raises(SettingsError, match=r"out of memory for a model of [\d,]+ parameters"):
        build_with_precision(ModelConfig(units=16, embedding_dim=8), 34, "float32")


def test_running_out_of_memory_while_training_is_exit_2(capsys, monkeypatch, tmp_path, tiny_corpus_file):
    import tensorflow as tf

    from chargen_core.train import callbacks as training

    def oom(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(training.TrainingCallback, "on_train_batch_end", oom)
    rc, _, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", tmp_path / "run", *TINY)
    errors = [line for line in err.splitlines() if "error" in line]
    assert rc == 2 and len(errors) == 1 and errors[0].startswith("chargen: error: out of memory for a model of")
    assert "ResourceExhausted" not in err


@pytest.mark.parametrize("carry", [True, False])
def test_a_batch_larger_than_the_text_is_said(capsys, tmp_path, tiny_corpus_file, carry):
    argv = tiny(batch_size="1000000000")
    rc, _, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", tmp_path / "run", *argv,
                          "--carry-state" if carry else "--no-carry-state")
    assert rc == 0, err
    notices = [line for line in err.splitlines() if "batch size" in line]
    assert len(notices) == 1 and notices[0].startswith("chargen: notice: batch size 1,000,000,000 is more than")
    rows = int(notices[0].rsplit(" ", 1)[1].replace(",", ""))
    train_chars = 4500 - 450
    assert rows == train_chars // 17  # the sequences of 16 (+1) characters the training split holds


def test_no_batch_notice_when_the_text_fills_the_batches(tiny_corpus_file, tmp_path):
    corpus = load_corpus(str(tiny_corpus_file))
    trainer = Trainer(corpus, tmp_path / "run", ModelConfig(units=16, embedding_dim=8, seq_len=16),
                      TrainConfig(epochs=1, batch_size=8, steps_per_epoch=1, preview_length=0))
    try:
        assert trainer.splits.batch_rows == 8 and not [n for n in trainer.notices if "batch size" in n]
    finally:
        trainer.release()


@pytest.mark.parametrize("text, flags", [("a", []), ("ab\n", []), ("x" * 200, ["--seq-len", "100"]),
                                         ("y" * 25, ["--arch", "seed"])])
def test_info_says_a_corpus_is_too_short_to_train_on_as_train_does(capsys, tmp_path, text, flags):
    corpus = tmp_path / "short.txt"
    corpus.write_text(text)
    rc, out, err = run_main(capsys, "info", "--corpus", corpus, *flags)
    one_error_line(rc, err, "this corpus cannot be trained on: corpus of")
    assert f"characters    {len(text)}" in out  # the statistics are still shown
    rc_json, out_json, _ = run_main(capsys, "info", "--corpus", corpus, "--json", *flags)
    assert rc_json == 2 and '"trainable": false' in out_json
    train_rc, _, train_err = run_main(capsys, "train", "--corpus", corpus, "--run-dir", tmp_path / "run",
                                      "--units", "16", "--epochs", "1", *flags)
    assert train_rc == 2 and train_err.split("too short")[1] == err.split("too short")[1]


def test_info_on_a_trainable_corpus_succeeds(capsys, tiny_corpus_file):
    rc, out, err = run_main(capsys, "info", "--corpus", tiny_corpus_file, "--json")
    assert rc == 0 and '"trainable": true' in out and err == ""


@pytest.mark.parametrize("flags, message", [
    (["--temperature", "inf"], "--temperature must be a finite number"),
    (["--temperature", "1e-320"], "--temperature must be 0 (greedy) or from 0.001 to 100"),
    (["--temperature", "1000"], "--temperature must be 0 (greedy) or from 0.001 to 100"),
    (["--repetition-penalty", "inf"], "--repetition-penalty must be a finite number"),
    (["--repetition-penalty", "1e308"], "--repetition-penalty must be from 0.01 to 100"),
    (["--repetition-penalty", "nan"], "--repetition-penalty must be > 0"),
    (["--strategy", "beam", "--length-penalty", "inf"], "--length-penalty must be a finite number"),
    (["--strategy", "beam", "--length-penalty", "1000"], "--length-penalty must be at most 10"),
    (["--strategy", "beam", "--beams", "1000000"], f"--beams must be at most {MAX_BEAMS}"),
    (["--strategy", "beam", "--beams", "1000000000"], f"--beams must be at most {MAX_BEAMS}"),
])
def test_generate_refuses_unbounded_sampling_settings_without_numpy_warnings(capsys, flags, message):
    rc, out, err = run_main(capsys, "generate", "--length", "20", "--prompt", "the ", *flags)
    one_error_line(rc, err, message)
    assert out == "" and "RuntimeWarning" not in err


@pytest.mark.parametrize("flags", [["--temperature", "100"], ["--temperature", "0.001"],
                                   ["--repetition-penalty", "100"], ["--repetition-penalty", "0.01"],
                                   ["--strategy", "beam", "--length-penalty", "10"]])
def test_the_bounds_themselves_generate_without_warnings(capsys, flags):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's overflow/invalid-value warnings fail the test
        rc, out, err = run_main(capsys, "generate", "--length", "30", "--prompt", "the ", "--seed", "1", *flags)
    assert rc == 0, err
    assert len(out) == 31 and "RuntimeWarning" not in err


def test_help_says_the_beam_bound(capsys):
    assert main(["generate", "--help"]) == 0
    assert f"1 to {MAX_BEAMS}" in capsys.readouterr().out


def test_clamp_keeps_live_settings_inside_what_validate_accepts():
    wild = SamplerSettings("beam", temperature=math.inf, beams=10**9, length_penalty=1e9, repetition_penalty=1e300)
    clamped, notices = wild.clamp(40)
    assert clamped.validate(40) == (clamped, []) and len(notices) == 4
    assert (clamped.temperature, clamped.beams, clamped.length_penalty, clamped.repetition_penalty) == (
        100.0, MAX_BEAMS, 10.0, 100.0)
