"""tf.distribute: MirroredStrategy over two logical CPUs matches the single-device run; chief detection."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chargen_core.train import is_chief, resolve_precision, select_strategy
from chargen_core.errors import SettingsError

REPO = Path(__file__).resolve().parents[3]

SCRIPT = """
import json, sys, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.train import Trainer
corpus = load_corpus(sys.argv[1])
out = {}
# Carrying state is single-replica only; the same independent-sequence training is compared on both.
for name, carry in (("default", False), ("mirrored", False), ("mirrored-asked-to-carry", True)):
    cfg = TrainConfig(epochs=2, batch_size=8, steps_per_epoch=4, seed=0, preview_length=0,
                      distribute=name.split("-")[0], carry_state=carry)
    t = Trainer(corpus, f"{sys.argv[2]}/{name}", ModelConfig(units=16, embedding_dim=8, seq_len=16), cfg)
    out[name] = [t.strategy_name, t.replicas, t.run().val_loss, t.carry_state]
print(json.dumps(out))
"""


def test_mirrored_on_two_logical_cpus_matches_single_device(tmp_path, tiny_corpus_file):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tiny_corpus_file), str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["default"][:2] == ["DefaultStrategy", 1]
    assert out["mirrored"][:2] == ["MirroredStrategy", 2]
    assert out["mirrored"][2] == pytest.approx(out["default"][2], abs=0.02)
    assert out["mirrored-asked-to-carry"][3] is False  # two replicas: independent sequences instead


def test_default_strategy_on_cpu():
    info = select_strategy("auto", "auto")
    assert (info.name, info.replicas, info.device, info.precision) == ("DefaultStrategy", 1, "CPU", "float32")
    assert resolve_precision("mixed", []) == "mixed_float16"


def test_multiworker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(SettingsError, match="TF_CONFIG"):
        select_strategy("multiworker")


def test_chief_rules():
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    assert is_chief({})
    assert is_chief({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    assert not is_chief({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    assert not is_chief({"cluster": {**cluster, "chief": ["127.0.0.1:3"]}, "task": {"type": "worker", "index": 0}})


def test_mixed_precision_keeps_float32_logits_and_resumes(tmp_path, tiny_corpus_file):
    from chargen_core.config import ModelConfig, TrainConfig
    from chargen_core.data import load_corpus
    from chargen_core.train import Trainer

    cfg = TrainConfig(epochs=1, batch_size=8, steps_per_epoch=2, seed=0, preview_length=0, precision="mixed")
    trainer = Trainer(load_corpus(str(tiny_corpus_file)), tmp_path / "run", ModelConfig(units=16, embedding_dim=8,
                      seq_len=16), cfg)
    assert trainer.model.get_layer("lstm_0").compute_dtype == "float16"
    assert trainer.model.output.dtype == "float32"
    assert trainer.run().reason == "completed"
    resumed = Trainer.resume(tmp_path / "run", epochs=2)
    assert type(resumed.model.optimizer).__name__ == "LossScaleOptimizer"
    assert int(resumed.model.optimizer.iterations.numpy()) == 2
