"""The real services behind the runs and new-run screens (no app): the `chargen train` command of a new run from
the form's spec, copying a run."""
from __future__ import annotations

import hashlib
import os

import numpy as np

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.runs import RunDir, bundled_runs
from chargen_tui.services import NewRunSpec, Services
from chargen_tui.train_command import new_run_argv, resume_argv


def test_a_new_run_s_command_follows_the_form_and_the_app_s_settings(tmp_path, tiny_corpus_file):
    corpus = load_corpus(str(tiny_corpus_file), standardize="lower")
    run_dir = tmp_path / "runs" / "r1"
    tuned = new_run_argv(corpus, run_dir, spec=NewRunSpec(corpus, epochs=3, init_from=tmp_path / "src",
                                                           tensorboard=True))
    assert tuned == ["--corpus", str(tiny_corpus_file), "--standardize", "lower", "--run-dir", str(run_dir),
                     "--init-from", str(tmp_path / "src"), "--epochs", "3", "--tensorboard"]
    small = new_run_argv(corpus, run_dir, spec=NewRunSpec(corpus, size="small", time_budget=30.0),
                         model_config=ModelConfig(dropout=0.2),
                         train_config=TrainConfig(distribute="mirrored", carry_state=False))
    assert small[small.index("--size") + 1] == "default"  # named: with a budget, chargen train would size it
    assert " ".join(small).endswith("--units 128 --layers 1 --dropout 0.2 --time-budget 30 --distribute mirrored "
                                    "--no-carry-state")
    auto = new_run_argv(corpus, run_dir, spec=NewRunSpec(corpus, size="auto", time_budget=600.0))
    assert auto[-4:] == ["--size", "auto", "--time-budget", "600"]
    assert resume_argv(run_dir, 12) == ["--resume", str(run_dir), "--epochs", "12"]


def test_the_commands_parse_as_chargen_train_s_own_flags(tmp_path, tiny_corpus_file):
    from chargen_core.cli import build_parser

    corpus = load_corpus(str(tiny_corpus_file))
    argv = new_run_argv(corpus, tmp_path / "r", model_config=ModelConfig(units=64, seq_len=50),
                        train_config=TrainConfig(batch_size=8, steps_per_epoch=3, checkpoint_every=0, seed=1,
                                                 precision="float32", tensorboard=True))
    args = build_parser().parse_args(["train", *argv])
    assert (args.units, args.seq_len, args.batch_size, args.steps_per_epoch, args.checkpoint_every) == (
        64, 50, 8, 3, 0)
    assert args.seed == 1 and args.precision == "float32" and args.tensorboard and args.size == "default"


def test_copy_run_leaves_the_bundled_files_untouched(tmp_path):
    bundled = bundled_runs()["default"]

    def digest(folder):
        return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}

    before = digest(bundled)
    copy = Services().copy_run(bundled, tmp_path / "runs")
    assert copy.parent == tmp_path / "runs" and copy.name.startswith("default-copy-")
    assert digest(copy) == before == digest(bundled)
    assert all(os.access(p, os.W_OK) for p in copy.rglob("*"))
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".tmp")]
    assert np.isfinite(RunDir.open(copy).state().get("best_val_loss", 0.0))


def test_the_app_writes_runs_and_exports_under_the_home(chargen_home, tmp_path, monkeypatch):
    from chargen_tui.app import ChargenApp

    monkeypatch.chdir(tmp_path)
    app = ChargenApp(object(), config_dir=tmp_path / "config")
    assert app.run_root == chargen_home / "runs" and app.export_dir == chargen_home / "exports"
    assert list(tmp_path.iterdir()) == []


def test_the_app_refuses_a_runs_home_that_is_a_file(chargen_home, capsys):
    from chargen_tui.__main__ import main

    (chargen_home / "runs").write_text("not a folder")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err


def test_a_trainer_started_from_the_app_leaves_a_core_on_a_small_machine():
    from chargen_tui.services import leave_a_core_to_the_app

    assert leave_a_core_to_the_app(2) == {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    assert leave_a_core_to_the_app(1) == {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    assert leave_a_core_to_the_app(16) == {}  # plenty left for the app on a big machine
