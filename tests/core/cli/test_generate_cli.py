"""`chargen generate` end to end on a tiny run directory: streaming, --json, --compare, bad settings."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from chargen_core.runs import save_model
from chargen_core.cli import main
from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.model import build_model
from chargen_core.runs import RunDir
from chargen_core.data import Vocab

TEXT = "the quick brown fox jumps over the lazy dog.\nto be, or not to be: that is the question.\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "tiny"
    vocab = Vocab.from_text(TEXT)
    cfg = ModelConfig(embedding_dim=8, units=16)
    run = RunDir.create(path, model_config=cfg, train_config=TrainConfig(), corpus_config=CorpusConfig(),
                        vocab=vocab)
    model = build_model(cfg, vocab.size)
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(0, 0.4, w.shape).astype(np.float32) for w in model.get_weights()])
    save_model(model, run.last_path, epochs_done=1, global_step=1, kind="epoch")
    return path


def test_streams_text_and_ends_with_json(run_dir, capsys):
    code = main(["generate", str(run_dir), "--prompt", "the ", "--length", "40", "--seed", "1", "--json"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    result = json.loads(out[-1])
    assert result["chars"] == 40 and len(result["text"]) == 40 and out[0] == result["text"].split("\n")[0]
    assert result["strategy"] == "temperature" and result["settings"]["temperature"] == 0.8
    assert result["chars_per_second"] > 0 and result["first_char_ms"] > 0


# at most one flush per character, plus the closing newline's and the dispatcher's last (a closed pipe shows there)
@pytest.mark.parametrize("hz, most_flushes", [(1e-9, 2), (1e9, 2002)])
def test_streaming_flushes_at_a_bounded_rate(run_dir, monkeypatch, hz, most_flushes):
    """Text shows as it is made, but not with one system call per character."""
    import io

    from chargen_core.cli import generate as generate_cli

    class Counting(io.StringIO):
        flushes = 0

        def flush(self):
            Counting.flushes += 1

    out = Counting()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(generate_cli, "FLUSH_HZ", hz)
    assert main(["generate", str(run_dir), "--prompt", "the ", "--length", "2000", "--seed", "1"]) == 0
    assert len(out.getvalue()) == 2001  # every character, and the closing newline
    assert Counting.flushes <= most_flushes and (hz < 1 or Counting.flushes > 1000)


def test_settings_flags_reach_the_sampler(run_dir, capsys):
    argv = ["generate", str(run_dir), "--prompt", "to be", "--length", "20", "--json"]
    assert main(argv + ["--strategy", "top-k", "--k", "3", "--temperature", "1.0"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["strategy"] == "top-k" and result["settings"]["k"] == 3
    assert main(argv + ["--strategy", "top-k", "--k", "999"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[-1])["settings"]["k"] < 999 and "k=999" in captured.err


def test_compare_gives_one_entry_per_strategy(run_dir, capsys):
    assert main(["generate", str(run_dir), "--prompt", "the", "--length", "15", "--compare", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    labels = [s["label"] for s in result["strategies"]]
    assert len(labels) == 12 and labels[0] == "greedy" and labels[-1] == "beam 4"
    assert all(s["chars"] == 15 for s in result["strategies"])


@pytest.mark.parametrize("flags, message", [
    (["--k", "0"], "--k must be a positive integer"),
    (["--p", "0"], "--p must be in (0, 1]"),
    (["--p", "1.1"], "--p must be in (0, 1]"),
    (["--min-p", "-0.5"], "--min-p must be in (0, 1]"),
    (["--temperature", "-1"], "--temperature must be >= 0"),
    (["--beams", "0"], "--beams must be an integer >= 1"),
    (["--length", "-5"], "--length must be an integer >= 0"),
    (["--stop", ""], "--stop must not be empty"),
])
def test_bad_settings_exit_2_with_one_line(run_dir, capsys, flags, message):
    assert main(["generate", str(run_dir), "--prompt", "x", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_and_corrupt_run_dirs_exit_2(tmp_path, capsys):
    assert main(["generate", str(tmp_path / "nope")]) == 2
    assert "not found" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    (broken / "vocab.json").write_text("{}")
    assert main(["generate", str(broken)]) == 2
    assert "not a valid run config" in capsys.readouterr().err


def test_bad_setting_in_a_subprocess_has_no_traceback(run_dir):
    env = {**os.environ, "CHARGEN_DEBUG": ""}
    proc = subprocess.run([sys.executable, "-c", "import sys; from chargen_core.cli import main; "
                           "sys.exit(main(sys.argv[1:]))", "generate", str(run_dir), "--p", "0"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["chargen: error: --p must be in (0, 1], got 0.0"]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_stop_strings_are_repeatable_and_understand_escapes(run_dir, capsys):
    from chargen_core.cli.generate import stop_strings

    assert stop_strings(["\\n\\n", "a\\tb", "\\\\n", "\\q"]) == ("\n\n", "a\tb", "\\n", "\\q")
    base = ["generate", str(run_dir), "--prompt", "the ", "--strategy", "greedy", "--length", "120", "--json"]
    assert main(base) == 0
    full = json.loads(capsys.readouterr().out.splitlines()[-1])["text"]
    first, second = full[30:32], full[60:62]
    escaped = [s.replace("\\", "\\\\").replace("\n", "\\n") for s in (second, first)]
    assert main([*base, "--stop", escaped[0], "--stop", escaped[1]]) == 0
    cut = json.loads(capsys.readouterr().out.splitlines()[-1])["text"]
    assert full.startswith(cut) and (cut.endswith(first) or cut.endswith(second)) and len(cut) <= 62
