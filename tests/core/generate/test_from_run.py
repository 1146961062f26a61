"""Generator.from_run reads the run's numpy weights: the same probabilities as the Keras model it was saved from,
for both architectures, and no TensorFlow in the process that generates."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.generate import Generator, SamplerSettings
from chargen_core.runs import BEST, RunDir, default_run_path, save_model, weights_path
from test_generate import TEXT, VOCAB, keras_probs, tiny_model, without_unk

REPO = Path(__file__).resolve().parents[3]


def saved_run(path: Path, cfg: ModelConfig):
    """A run folder holding a random model as best.keras (and its numpy weights), as training saves it."""
    model = tiny_model(cfg, seed=3)
    run = RunDir.create(path, model_config=cfg, train_config=TrainConfig(), corpus_config=CorpusConfig(),
                        vocab=VOCAB)
    save_model(model, run.path / BEST, epochs_done=1, global_step=5, kind="best", val_loss=2.0)
    return model


@pytest.mark.parametrize("layers", [1, 2])
def test_generator_from_the_numpy_weights_matches_the_keras_model(tmp_path, layers):
    cfg = ModelConfig(embedding_dim=8, units=24, layers=layers)
    model = saved_run(tmp_path / "run", cfg)
    assert weights_path(tmp_path / "run" / BEST).is_file()
    gen = Generator.from_run(tmp_path / "run")
    np.testing.assert_allclose(gen.probabilities(TEXT), keras_probs(model, TEXT), atol=1e-4)
    from_model = Generator.from_model(model, VOCAB, cfg)
    settings = SamplerSettings("top-p", p=0.9)
    assert gen.generate("to be", settings, 60, seed=4).text == from_model.generate("to be", settings, 60, seed=4).text


def test_seed_window_model_from_the_numpy_weights_matches_keras(tmp_path):
    cfg = ModelConfig(arch="seed")
    model = saved_run(tmp_path / "run", cfg)
    net = Generator.from_run(tmp_path / "run")._net
    windows = np.stack([VOCAB.encode(TEXT[i: i + 20]) for i in range(0, 60, 7)])
    logits = net.logits(windows)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    np.testing.assert_allclose(probs, without_unk(model(windows, training=False)), atol=1e-4)


def test_the_bundled_model_ships_numpy_weights_and_generates_without_tensorflow():
    code = ("import sys\nfrom chargen_core.generate import Generator, SamplerSettings\n"
            "from chargen_core.runs import default_run_path\n"
            "gen = Generator.from_run(default_run_path())\n"
            "text = gen.generate('The ', SamplerSettings(), 50, seed=1).text\n"
            "print(len(text), gen.notices, sorted({'tensorflow', 'keras'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "50 [] []"
    assert RunDir.open(default_run_path()).load_weights()[1].weights["file"] == "best.weights.npz"
