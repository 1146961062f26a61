"""The real services behind the runs and new-run screens (no app): new runs from a form's spec, copying a run."""
from __future__ import annotations

import hashlib
import os

import numpy as np

from chargen_core.runs import save_model
from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.runs import bundled_runs
from chargen_core.model import build_model
from chargen_core.runs import RunDir
from chargen_core.data import Vocab
from chargen_tui.services import NewRunSpec, Services


def test_new_trainer_follows_the_spec(tmp_path, tiny_corpus_file):
    source = tmp_path / "src"
    vocab = Vocab.from_text("abc def.\n")
    cfg = ModelConfig(embedding_dim=8, units=16)
    run = RunDir.create(source, model_config=cfg, train_config=TrainConfig(), corpus_config=CorpusConfig(),
                        vocab=vocab)
    save_model(build_model(cfg, vocab.size), run.last_path, epochs_done=1, global_step=1, kind="epoch")
    corpus = load_corpus(str(tiny_corpus_file))
    services = Services(train_config=TrainConfig(batch_size=8, steps_per_epoch=2))
    tuned = services.new_trainer(corpus, tmp_path / "tuned", None,
                                 spec=NewRunSpec(corpus, epochs=3, init_from=source, tensorboard=True))
    assert tuned.model_config.units == 16 and tuned.train_config.epochs == 3 and tuned.train_config.tensorboard
    assert tuned.run_path.parent == tmp_path / "tuned" and tuned.run_path.name.startswith("tiny-txt-lstm-")
    assert tuned.vocab.chars[:len(vocab.chars)] == vocab.chars and set(corpus.text) <= set(tuned.vocab.chars)
    tuned.release()
    small = services.new_trainer(corpus, tmp_path / "small", None, spec=NewRunSpec(corpus, size="small",
                                                                                   time_budget=30.0))
    assert small.model_config.units == 128 and small.train_config.time_budget == 30.0
    small.release()


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


def test_auto_size_from_the_form_probes_and_fits_the_budget(tmp_path, tiny_corpus_file):
    corpus = load_corpus(str(tiny_corpus_file))
    trainer = Services().new_trainer(corpus, tmp_path / "auto", None,
                                     spec=NewRunSpec(corpus, size="auto", time_budget=600.0))
    # the probe's seconds come out of the budget, and the chosen size replaces the defaults' batch
    assert 300.0 < trainer.train_config.time_budget < 600.0
    assert trainer.train_config.batch_size != TrainConfig().batch_size or trainer.model_config != ModelConfig()
    assert trainer.size.units == trainer.model_config.units  # the app tells the user what the rule picked
    trainer.release()
