"""The runs home: CHARGEN_HOME and --runs-dir, `chargen runs`, RUN names, the bundled model as the default RUN."""
import json
import shutil

import pytest

from chargen_core.cli import main
from chargen_core.runs import bundled_runs, resolve_run, runs_home

TINY = ["--units", "16", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "3",
        "--preview-length", "0", "--epochs", "1"]


def run_main(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def home_with_copy(chargen_home):
    """The runs home holding a copy of the bundled model under the name 'mine'."""
    runs = chargen_home / "runs"
    shutil.copytree(bundled_runs()["default"], runs / "mine")
    return runs


def test_chargen_home_moves_the_runs_home(chargen_home, tmp_path):
    assert runs_home() == chargen_home / "runs"
    assert runs_home(tmp_path / "elsewhere") == tmp_path / "elsewhere"


def test_runs_json_lists_home_runs_and_bundled(capsys, home_with_copy):
    rc, out, err = run_main(capsys, "runs", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["home"] == str(home_with_copy)
    by_name = {(r["name"], r["bundled"]): r for r in data["runs"]}
    mine, bundled = by_name[("mine", False)], by_name[("default", True)]
    assert mine["path"] == str(home_with_copy / "mine")
    for run in (mine, bundled):
        assert run["corpus"] == "nietzsche" and run["arch"] == "lstm" and "LSTM" in run["model"]
        assert run["epochs"] > 0 and 0 < run["best_val"] < 5 and run["state"] and run["updated"] > 0
    rc, out, _ = run_main(capsys, "runs")
    assert rc == 0 and "mine" in out and "default (bundled)" in out


def test_runs_lists_a_damaged_run_instead_of_failing(capsys, home_with_copy):
    (home_with_copy / "mine" / "config.json").write_text("{ not json")
    rc, out, _ = run_main(capsys, "runs", "--json")
    mine = next(r for r in json.loads(out)["runs"] if r["name"] == "mine")
    assert rc == 0 and mine["state"] == "damaged" and mine["problem"]


def test_resolve_by_path_name_and_bundled(home_with_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_run("mine") == home_with_copy / "mine"
    assert resolve_run(str(home_with_copy / "mine")) == home_with_copy / "mine"
    assert resolve_run(None) == bundled_runs()["default"] == resolve_run("default")


def test_generate_and_eval_without_run_use_the_bundled_model(capsys, tmp_path):
    rc, out, err = run_main(capsys, "generate", "--prompt", "the ", "--length", "20", "--seed", "3", "--json")
    assert rc == 0, err
    assert json.loads(out.splitlines()[-1])["chars"] == 20
    text = tmp_path / "t.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 20)
    rc, out, err = run_main(capsys, "eval", "--text", text, "--json")
    result = json.loads(out)
    assert rc == 0 and result["chars"] > 0 and 0 < result["nats_per_char"] < 5
    assert result["run_dir"] == str(bundled_runs()["default"])


def test_generate_and_eval_by_name(capsys, home_with_copy, tmp_path):
    rc, out, err = run_main(capsys, "generate", "mine", "--length", "10", "--seed", "1", "--json")
    assert rc == 0, err
    text = tmp_path / "t.txt"
    text.write_text("a stitch in time saves nine. " * 20)
    rc, out, err = run_main(capsys, "eval", "mine", "--text", text, "--json")
    assert rc == 0 and json.loads(out)["run_dir"] == str(home_with_copy / "mine")


def test_train_writes_into_the_home_and_nothing_in_the_cwd(capsys, chargen_home, tiny_corpus_file, tmp_path,
                                                            monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    rc, out, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, *TINY, "--json")
    assert rc == 0, err
    runs = list((chargen_home / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "config.json").is_file()
    assert json.loads(out.splitlines()[-1])["run_dir"] == str(runs[0])
    # the new run is known by name: resume it by name, then generate from it by name
    rc, _, err = run_main(capsys, "train", "--resume", runs[0].name, "--epochs", "2")
    assert rc == 0, err
    rc, _, err = run_main(capsys, "generate", runs[0].name, "--length", "5", "--seed", "1")
    assert rc == 0, err
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize("argv", [["runs"], ["generate", "mine"], ["eval", "x"]])
def test_runs_home_that_is_a_file(capsys, chargen_home, argv):
    (chargen_home / "runs").write_text("I am a file")
    rc, out, err = run_main(capsys, *argv)
    assert rc == 2 and err.count("\n") == 1 and "is a file" in err, err
    assert (chargen_home / "runs").read_text() == "I am a file"


def test_train_into_a_home_that_is_a_file(capsys, tmp_path, tiny_corpus_file):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    rc, _, err = run_main(capsys, "train", "--corpus", tiny_corpus_file, "--runs-dir", blocker, *TINY)
    assert rc == 2 and err.count("\n") == 1 and "is a file" in err
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("argv", [["generate", "no-such-run"], ["eval", "no-such-run"],
                                  ["train", "--resume", "no-such-run"]])
def test_a_run_name_that_matches_nothing(capsys, argv):
    rc, out, err = run_main(capsys, *argv)
    assert rc == 2 and err.count("\n") == 1 and "run not found: no-such-run" in err and "chargen runs" in err


def test_app_refuses_a_bad_run_name_before_starting(capsys):
    from chargen_tui.__main__ import main as app_main

    assert app_main(["--run", "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run not found" in err


def test_app_refuses_an_empty_run_or_corpus(capsys):
    from chargen_tui.__main__ import main as app_main

    for flag in ("--run", "--corpus"):
        assert app_main([flag, ""]) == 2  # an unset shell variable, never "the bundled model"
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{flag} is empty" in err
