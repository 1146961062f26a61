"""The new-run form and the app match the command line: the form's size follows `chargen train`'s default (auto
with a time budget), and a run without a checkpoint says so when asked to generate instead of streaming silently."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.train import MIN_AUTO_BUDGET
from conftest import wait_for
from test_tui_app import notes, ready, submit
from textual.widgets import Select
from chargen_tui.screens.new_run import NewRunScreen, default_size
from chargen_tui.services import NewRunSpec, Services
from tui_fakes import FakeServices


async def open_form(pilot) -> NewRunScreen:
    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewRunScreen))
    return pilot.app.screen


async def type_budget(pilot, form: NewRunScreen, text: str) -> None:
    field = form.query_one("#budget")
    field.focus()
    field.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def paused_trainer(pilot, services):
    """The fake trainer, held before its first epoch ends (unpause it in a finally: its thread would wait)."""
    await wait_for(pilot, lambda: services.trainers)
    services.trainers[-1].pause()
    return services.trainers[-1]


def test_default_size_is_chargen_train_s_own_rule():
    assert default_size(None, fine_tune=False) == "default"
    assert default_size(MIN_AUTO_BUDGET, fine_tune=False) == "auto"
    assert default_size(MIN_AUTO_BUDGET - 1, fine_tune=False) == "default"  # too short for the speed probe
    assert default_size(600.0, fine_tune=True) == "default"  # a fine-tuned run keeps its source's model
    multiworker = SimpleNamespace(train_config=TrainConfig(distribute="multiworker"))
    assert default_size(600.0, fine_tune=False, services=multiworker) == "default"


async def test_a_time_budget_makes_the_form_size_auto_as_chargen_train_does(make_app):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        size = form.query_one("#size", Select)
        assert size.value == "default"
        await type_budget(pilot, form, "600")
        assert size.value == "auto"
        await type_budget(pilot, form, "10")
        assert size.value == "default"
        await type_budget(pilot, form, "600")
        form.query_one("#source").value = "good.txt"
        await pilot.pause()
        form.action_start()
        await wait_for(pilot, lambda: services.launches)
        argv = services.launches[0]
        assert argv[argv.index("--size") + 1] == "auto" and argv[argv.index("--time-budget") + 1] == "600"


async def test_a_size_the_user_picked_or_a_fine_tune_source_is_kept(make_app, tmp_path):
    app = make_app(FakeServices())
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        size, source = form.query_one("#size", Select), form.query_one("#init_from", Select)
        source.value = str(tmp_path / "runs" / "alpha")  # fine-tune: the source's model, whatever the budget
        await pilot.pause()
        await type_budget(pilot, form, "600")
        assert size.value == "default"
        source.clear()
        await pilot.pause()
        assert size.value == "auto"
        size.value = "small"  # the user's pick, as choosing it from the list sets it
        await pilot.pause()
        await type_budget(pilot, form, "900")
        assert size.value == "small"


async def test_generating_before_a_new_run_s_first_checkpoint_says_so(make_app, tmp_path):
    services = FakeServices(train_delay=0.2)
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        screen.run.start_new_run(NewRunSpec(services.load_corpus("good.txt")))
        trainer = await paused_trainer(pilot, services)
        try:
            await wait_for(pilot, lambda: screen.train.first_checkpoint == 5)  # the fake's epoch: 5 steps
            # The opened model still answers, and the user is told it is not the new run's.
            await submit(pilot, "hi ")
            assert any("no trained weights yet" in n and "step 5" in n and "default" in n for n in notes(app))
        finally:
            trainer.unpause()
        # The first checkpoint's weights make a generator over the new run's model.
        await wait_for(pilot, lambda: screen.train.own_generator and screen.model_name.startswith("good"))
        assert services.weights_loaded[0].endswith("ckpt-0005.keras")
        await wait_for(pilot, lambda: not screen.train.running, timeout=10)
        assert not screen.run.untrained  # the epoch's checkpoint was saved
        app.clear_notifications()
        await submit(pilot, "hi ")
        assert not any("checkpoint" in n for n in notes(app)) and "hi " in screen.view.text


async def test_a_run_killed_before_its_first_checkpoint_opens_untrained_and_f2_trains_it(make_app, tmp_path):
    services = FakeServices(train_delay=0.2)
    services.untrained_runs.add("gamma")
    app = make_app(services, run_path=tmp_path / "runs" / "gamma")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.model_name == "gamma" and screen.run.corpus is not None)
        assert any("gamma has no trained weights yet" in n and "F2" in n for n in notes(app))
        app.clear_notifications()
        await pilot.press(*"hi ", "enter")
        await pilot.pause()
        assert not screen.generation.jobs.busy and screen.generation.transcript.last_output == ""  # nothing streams from no weights
        assert any("gamma has no trained weights yet" in n for n in notes(app))
        await pilot.press("f2")
        await wait_for(pilot, lambda: services.resumed == [tmp_path / "runs" / "gamma"])
        trainer = await paused_trainer(pilot, services)
        try:
            await wait_for(pilot, lambda: screen.train.first_checkpoint is not None)
            app.clear_notifications()
            await pilot.press(*"hi ", "enter")
            await pilot.pause()
            assert any("no trained weights yet: its first checkpoint comes at step 5" in n for n in notes(app))
        finally:
            trainer.unpause()
        await wait_for(pilot, lambda: not screen.train.running and screen.generation.live.ready, timeout=10)
        assert not screen.run.untrained
        await submit(pilot, "hi ")
        assert screen.generation.transcript.last_output


def test_services_open_a_run_without_a_checkpoint_as_untrained(tmp_path):
    from chargen_core.runs import RunDir
    from chargen_core.data import Vocab

    RunDir.create(tmp_path / "fresh", model_config=ModelConfig(embedding_dim=8, units=16),
                  train_config=TrainConfig(), corpus_config=CorpusConfig(), vocab=Vocab.from_text("abc def.\n"))
    info, generator = Services().open_run(tmp_path / "fresh")
    assert generator is None and not info.trained and info.epochs_done == 0 and info.name == "fresh"
    assert isinstance(info.path, Path)
