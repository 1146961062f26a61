"""Planning a new run (train.plan_run), the one place `chargen train` and the app decide a run's settings, size,
corpus and folder. A plan without --size auto or --init-from needs no TensorFlow, so these are quick."""
import pytest

from chargen_core.config import ModelConfig, TrainConfig, non_defaults
from chargen_core.errors import RunDirError, SettingsError
from chargen_core.model import SEED
from chargen_core.runs import new_run_path
from chargen_core.train import RunRequest, check_request, plan_run


def test_a_plan_holds_the_given_settings_over_the_defaults(tiny_corpus_file, chargen_home):
    plan = plan_run(RunRequest(model={"units": 64}, train={"epochs": 3}, corpus={"source": str(tiny_corpus_file)}))
    assert plan.model_config == ModelConfig(units=64) and plan.train_config == TrainConfig(epochs=3)
    assert plan.size is None and plan.init_from is None and plan.notices == ()
    assert plan.corpus.source == str(tiny_corpus_file)
    assert plan.run_dir.parent == chargen_home / "runs" and plan.run_dir.name.startswith("tiny-txt-lstm-")


def test_the_tutorials_arch_gets_its_own_recipe_under_the_users_flags(tiny_corpus_file, tmp_path):
    plan = plan_run(RunRequest(model={"arch": "seed"}, train={"batch_size": 32},
                               corpus={"source": str(tiny_corpus_file)}, run_dir=tmp_path / "run"))
    assert plan.run_dir == tmp_path / "run"
    recipe = {**SEED.train_defaults, "batch_size": 32}
    assert {k: getattr(plan.train_config, k) for k in recipe} == recipe


def test_a_loaded_corpus_is_used_as_it_is(tiny_corpus_file, tmp_path):
    from chargen_core.data import load_corpus

    corpus = load_corpus(str(tiny_corpus_file), standardize="lower")
    plan = plan_run(RunRequest(corpus={"source": "no such file"}, runs_dir=tmp_path), corpus=corpus)
    assert plan.corpus is corpus and plan.run_dir.parent == tmp_path


@pytest.mark.parametrize("request_, error, message", [
    (RunRequest(model={"arch": "gru"}), SettingsError, "unknown --arch 'gru'"),
    (RunRequest(train={"steps_per_epoch": 0}), SettingsError, "--steps-per-epoch must be a positive integer"),
    (RunRequest(init_from="default", size="auto"), SettingsError, "--size auto cannot apply"),
    (RunRequest(size="auto", train={"time_budget": 60.0}, model={"arch": "seed"}), SettingsError,
     "--arch seed has the tutorial's fixed shape"),
    (RunRequest(init_from="no-such-run"), RunDirError, "run not found: no-such-run"),
])
def test_bad_requests_fail_before_anything_heavy(request_, error, message):
    with pytest.raises(error, match=message):
        check_request(request_)


def test_the_size_is_decided_up_front():
    assert check_request(RunRequest(train={"time_budget": 60.0})).size == "auto"
    assert check_request(RunRequest(train={"time_budget": 10.0})).size == "default"  # too short to probe
    assert check_request(RunRequest(train={"time_budget": 60.0}, model={"arch": "seed"})).size == "default"
    checked = check_request(RunRequest(init_from="default", train={"time_budget": 60.0}))
    assert checked.size == "default" and (checked.init_from / "config.json").is_file()  # the bundled model


def test_a_runs_home_that_is_a_file_is_refused_up_front(tmp_path):
    (tmp_path / "home").write_text("not a folder")
    with pytest.raises(RunDirError, match="is a file"):
        check_request(RunRequest(runs_dir=tmp_path / "home"))


def test_run_names_never_reuse_a_folder(tmp_path, monkeypatch):
    from chargen_core.runs import home

    monkeypatch.setattr(home, "_now", lambda: "20260101-120000")
    first = new_run_path(tmp_path / "home", "my corpus.txt", "lstm")
    assert first == tmp_path / "home" / "my-lstm-20260101-120000" and first.parent.is_dir() and not first.exists()
    first.mkdir()
    assert new_run_path(tmp_path / "home", "my corpus.txt", "lstm").name == "my-lstm-20260101-120000-2"


def test_non_defaults_are_what_was_set_on_purpose():
    assert non_defaults(TrainConfig(epochs=3, distribute="auto")) == {"epochs": 3}
    assert non_defaults(None) == {}
