"""`chargen export`: a run's model as weights only (and its numpy weights) in a new folder that works as a run; bad
input exits 2."""
import json
import zipfile

import numpy as np

from chargen_core.generate import Generator, SamplerSettings
from chargen_core.runs import RunDir, verify
from chargen_core.train import Trainer
from test_cli import TINY, run_main


def test_export_writes_weights_only_and_the_copy_opens_generates_and_continues(capsys, tmp_path, tiny_corpus_file):
    run_dir, dest = tmp_path / "run", tmp_path / "exports" / "model"
    rc, _, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", run_dir, "--epochs", "2", "--seed", "0", *TINY)
    assert rc == 0, err
    dest.parent.mkdir()
    rc, out, err = run_main(capsys, "export", run_dir, dest, "--json")
    assert rc == 0, err
    result = json.loads(out)
    assert result["path"] == str(dest) and result["epochs_done"] >= 1 and result["val_loss"] > 0
    assert sorted(p.name for p in dest.iterdir()) == ["best.json", "best.keras", "best.weights.npz", "config.json",
                                                      "history.jsonl", "state.json", "vocab.json"]
    manifest, problem = verify(dest / "best.keras")
    assert problem is None and manifest.weights["file"] == "best.weights.npz"  # generation needs no TensorFlow
    exported_weights = RunDir.open(dest).load_weights("best")[0]
    for copied, original in zip(exported_weights, RunDir.open(run_dir).load_weights("best")[0], strict=True):
        np.testing.assert_array_equal(copied, original)
    with zipfile.ZipFile(dest / "best.keras") as keras_file:
        assert b"optimizer" not in keras_file.read("model.weights.h5")  # weights only
    assert (dest / "best.keras").stat().st_size < (run_dir / "best.keras").stat().st_size
    assert not list(tmp_path.glob("exports/.tmp-*"))
    source = RunDir.open(run_dir)
    copy = RunDir.open(dest)
    assert copy.vocab.chars == source.vocab.chars and copy.model_config == source.model_config
    text = Generator.from_run(dest).generate("ab", SamplerSettings(), 20, seed=1).text
    assert len(text) == 20
    rc, out, err = run_main(capsys, "eval", dest, "--json")
    assert rc == 0 and json.loads(out)["nats_per_char"] > 0
    started = []
    Trainer.resume(dest, started.append, epochs=3).run()
    assert started[0].fresh_optimizer


def test_export_bad_input_is_one_line_exit_2(capsys, tmp_path, tiny_corpus_file):
    run_dir = tmp_path / "run"
    assert run_main(capsys, "train", "--corpus", tiny_corpus_file, "--run-dir", run_dir, "--epochs", "1", *TINY)[0] == 0
    taken = tmp_path / "taken"
    taken.mkdir()
    for argv, message in ((["export", run_dir, taken], "already exists"),
                          (["export", run_dir, tmp_path / "no" / "such" / "dir"], "is not a folder"),
                          (["export", tmp_path, tmp_path / "out"], "not a chargen run")):
        rc, out, err = run_main(capsys, *argv)
        assert rc == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()
