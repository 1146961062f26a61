"""Evaluation: the numbers agree with the model's own probabilities; unknown characters are counted, not hidden."""
import json
import math
import shutil

import numpy as np
import pytest

from chargen_core.cli import main
from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.errors import ChargenError, CorpusError
from chargen_core.train import evaluate_run, evaluate_text, validation_text
from chargen_core.runs import RunDir
from chargen_core.train import Trainer

MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("eval")
    text = "the quick brown fox jumps over the lazy dog.\nto be, or not to be: that is the question.\n" * 40
    (base / "corpus.txt").write_text(text)
    cfg = TrainConfig(epochs=1, batch_size=8, steps_per_epoch=4, preview_length=0, seed=0)
    Trainer(load_corpus(str(base / "corpus.txt")), base / "run", MODEL, cfg).run()
    return base / "run"


def direct_nats(model, vocab, text):
    """Mean -log p over one sequence computed straight from the Keras logits."""
    ids = vocab.encode(text)
    logits = np.asarray(model(ids[None, :-1]), dtype=np.float64)[0]
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) - logits.max(
        -1, keepdims=True)
    return float(-logp[np.arange(len(ids) - 1), ids[1:]].mean())


def test_matches_model_probabilities(run_dir):
    run = RunDir.open(run_dir)
    model = run.load_model()
    text = "the lazy dog."  # 12 targets: one chunk, shorter than seq_len
    result = evaluate_text(model, run.vocab, run.model_config, text)
    assert result.chars == len(text) - 1 and result.unknown_chars == 0
    assert result.nats_per_char == pytest.approx(direct_nats(model, run.vocab, text), rel=1e-5)
    assert result.bits_per_char == pytest.approx(result.nats_per_char / math.log(2))
    assert result.perplexity == pytest.approx(math.exp(result.nats_per_char))


def test_default_is_the_validation_split(run_dir):
    result, notices = evaluate_run(run_dir)
    val = validation_text(RunDir.open(run_dir))
    assert result.text_source == "validation split" and result.chars == len(val) - 1 and notices == []
    history = RunDir.open(run_dir).history()
    assert result.nats_per_char == pytest.approx(history[-1]["val_loss"], rel=0.1)


def test_unknown_characters_are_counted(run_dir, tmp_path):
    path = tmp_path / "other.txt"
    path.write_text("the quick brown fox — jumps ÷ over the lazy dog.\n")
    result, _ = evaluate_run(run_dir, path)
    assert result.unknown_chars == 2 and set(result.unknown) == {"—", "÷"}
    assert result.chars == len(path.read_text()) - 1 - 2


def test_text_too_short_or_all_unknown(run_dir, tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("t")
    with pytest.raises(ChargenError, match="at least"):
        evaluate_run(run_dir, path)
    path.write_text("ЖЖЖЖ")
    with pytest.raises(ChargenError, match="no characters from the model's vocabulary"):
        evaluate_run(run_dir, path)


def test_missing_corpus_is_reported(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    config = json.loads((copy / "config.json").read_text())
    config["corpus"]["source"] = str(tmp_path / "gone.txt")
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(CorpusError, match="not available.*--text"):
        evaluate_run(copy)


def test_eval_cli(run_dir, tmp_path, capsys):
    assert main(["eval", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "nats/char" in out and "bits/char" in out and "perplexity" in out
    path = tmp_path / "t.txt"
    path.write_text("the dog ÷ the fox\n")
    assert main(["eval", str(run_dir), "--text", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out.strip().splitlines()[-1])
    assert data["unknown_chars"] == 1 and "outside the vocabulary" in err
    assert main(["eval", str(run_dir), "--text", str(tmp_path / "missing.txt")]) == 2


def test_eval_cli_says_when_it_falls_back(run_dir, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "best.keras").unlink()
    (copy / "best.keras").write_bytes(b"garbage")
    assert main(["eval", str(copy)]) == 0
    assert "best.keras is damaged" in capsys.readouterr().err
