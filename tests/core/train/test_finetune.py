"""`chargen train --init-from RUN`: the extended vocabulary, the unchanged old-character distribution, bad input."""
import hashlib
import json
import math
import shutil

import numpy as np
import pytest

from chargen_core.runs import save_model
from chargen_core.cli import main
from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.train import load_init_from
from chargen_core.runs import bundled_runs
from chargen_core.model import build_model
from chargen_core.runs import RunDir
from chargen_core.data import Vocab

OLD_TEXT = "the quick brown fox jumps over the lazy dog.\n"
NEW_TEXT = "Über die Straße, café au lait! " * 60  # new: Ü, ß, é, S, !, ',' ...
TINY = ["--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "4", "--preview-length", "0"]


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def make_run(path, arch="lstm"):
    vocab = Vocab.from_text(OLD_TEXT)
    cfg = ModelConfig(arch=arch, embedding_dim=8, units=16)
    run = RunDir.create(path, model_config=cfg, train_config=TrainConfig(), corpus_config=CorpusConfig(),
                        vocab=vocab)
    model = build_model(cfg, vocab.size)
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    save_model(model, run.last_path, epochs_done=1, global_step=1, kind="epoch")
    return path


def probs(model, ids, arch):
    out = model(ids[None, -20:] if arch == "seed" else ids[None], training=False).numpy()[0]
    return out if arch == "seed" else softmax(out)


@pytest.mark.parametrize("arch", ["lstm", "seed"])
def test_old_characters_keep_their_probabilities(tmp_path, arch):
    init = load_init_from(make_run(tmp_path / "src", arch)).for_text(NEW_TEXT)
    old, new = init.old_vocab, init.vocab
    assert new.chars[:len(old.chars)] == old.chars and set(NEW_TEXT) <= set(new.chars)
    added = len(new.chars) - len(old.chars)
    assert added >= 5
    source = RunDir.open(tmp_path / "src").load_model("last")
    target = build_model(init.model_config, new.size)
    init.apply(target)
    k = len(old.chars) + 1
    # Old text, and text with new characters (which the old model reads as [UNK]): same distribution over old chars.
    for text in ("the lazy dog jumps over the quick fox.", "Über die Straße, the café!"):
        before = probs(source, old.encode(text), arch)
        after = probs(target, new.encode(text), arch)
        np.testing.assert_allclose(after[..., 1:k], before[..., 1:k], atol=1e-5)
        # [UNK] and the new characters share what [UNK] had
        np.testing.assert_allclose(after[..., [0, *range(k, new.size)]].sum(-1), before[..., 0], rtol=1e-4)
        assert np.all(after[..., k:] > 0)


def sha256s(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_fine_tune_the_bundled_model_with_new_characters(capsys, tmp_path, chargen_home):
    corpus = tmp_path / "neu.txt"
    corpus.write_text(NEW_TEXT, encoding="utf-8")
    bundled = bundled_runs()["default"]
    untouched = sha256s(bundled)
    rc = main(["train", "--init-from", "default", "--corpus", str(corpus), "--epochs", "3", "--tensorboard",
               "--seed", "1", "--json", *TINY])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "fine-tuning from" in err and "new:" in err
    summary = json.loads(out.splitlines()[-1])
    run = RunDir.open(summary["run_dir"])
    assert run.path.parent == chargen_home / "runs"
    assert run.config["init_from"] == str(bundled)
    old = RunDir.open(bundled).vocab
    assert run.vocab.chars[:len(old.chars)] == old.chars and set(NEW_TEXT) <= set(run.vocab.chars)
    assert run.model_config.units == RunDir.open(bundled).model_config.units
    # loss falls: the transplanted weights before training score worse on the new validation text than after
    from chargen_core.train import evaluate_text, validation_text

    init = load_init_from(bundled).for_text(NEW_TEXT)
    start = build_model(init.model_config, init.vocab.size)
    init.apply(start)
    before = evaluate_text(start, init.vocab, init.model_config, validation_text(run)).nats_per_char
    after = summary["val_loss"]
    assert math.isfinite(before) and after < before - 0.1, (before, after)
    # --tensorboard wrote event files under RUN/logs; the bundled files were never written
    assert list((run.path / "logs").rglob("events.out.tfevents*"))
    assert sha256s(bundled) == untouched


def test_shape_mismatch_is_one_line_exit_2(capsys, tmp_path, chargen_home, tiny_corpus_file):
    src = make_run(tmp_path / "src")
    rc = main(["train", "--init-from", str(src), "--corpus", str(tiny_corpus_file), "--units", "32", *TINY])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "--units 32 does not match" in err
    assert not (chargen_home / "runs").exists() or not any((chargen_home / "runs").iterdir())


@pytest.mark.parametrize("damage", ["models", "config", "weights-shape"])
def test_init_from_a_damaged_run(capsys, tmp_path, chargen_home, tiny_corpus_file, damage):
    src = make_run(tmp_path / "src")
    if damage == "models":
        (src / "model.keras").write_bytes(b"not a zip")
    elif damage == "config":
        (src / "config.json").write_text("{")
    else:  # the config says 32 units, the checkpoint holds 16
        config = json.loads((src / "config.json").read_text())
        config["model"]["units"] = 32
        (src / "config.json").write_text(json.dumps(config))
    before = sha256s(src)
    rc = main(["train", "--init-from", str(src), "--corpus", str(tiny_corpus_file), *TINY])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("chargen: error:"), err
    assert sha256s(src) == before
    assert not (chargen_home / "runs").exists() or not any((chargen_home / "runs").iterdir())


def test_resume_keeps_the_extended_vocabulary(capsys, tmp_path, chargen_home):
    corpus = tmp_path / "neu.txt"
    corpus.write_text(NEW_TEXT, encoding="utf-8")
    src = make_run(tmp_path / "src")
    run_dir = tmp_path / "tuned"
    assert main(["train", "--init-from", str(src), "--corpus", str(corpus), "--run-dir", str(run_dir),
                 "--epochs", "1", *TINY]) == 0
    assert main(["train", "--resume", str(run_dir), "--epochs", "2"]) == 0, capsys.readouterr().err
    assert len(RunDir.open(run_dir).history()) == 2
    shutil.rmtree(run_dir)
