"""Pilot tests of the whole app with fake services: every key binding, prompt → streamed output, errors."""
from __future__ import annotations

import threading

from conftest import wait_for
from chargen_tui.screens.dialogs import CandidatesScreen, HelpScreen, QuitWhileTraining
from chargen_tui.widgets.status_line import StatusLine
from tui_fakes import FakeServices


def status(app) -> str:
    return str(app.main_screen.query_one(StatusLine).render())


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def ready(pilot):
    await wait_for(pilot, lambda: pilot.app.main_screen is not None and pilot.app.main_screen.run.corpus is not None
                   and pilot.app.main_screen.generation.live.ready)


async def submit(pilot, prompt: str):
    await pilot.press(*prompt, "enter")
    screen = pilot.app.main_screen
    await wait_for(pilot, lambda: not screen.generation.jobs.busy and screen.generation.buffer.pending == 0 and screen.generation.done is None)


async def test_prompt_streams_into_the_view(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await submit(pilot, "hello")
        view = app.main_screen.view
        assert "› hello" in view.text and "the quick brown fox" in view.text
        assert "400 chars" in view.text  # the summary line after the stream
        assert view.frames >= 1 and app.main_screen.generation.transcript.last_output.startswith("the quick")


async def test_setting_keys_change_the_status_line(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        steps = [("f8", "top-k"), ("up", "T=0.90"), ("down", "T=0.80"), ("shift+up", "k=6"), ("shift+down", "k=5"),
                 ("f8", "top-p"), ("ctrl+up", "p=0.95"), ("ctrl+down", "p=0.90"), ("alt+up", "rep=1.10"),
                 ("alt+down", "rep=off"), ("ctrl+t", "stop=blank line"), ("ctrl+l", "len=800"),
                 ("ctrl+o", "len=400"), ("ctrl+g", "seed=0"), ("f9", "plain"), ("f10", "60 ch/s")]
        for key, expected in steps:
            await pilot.press(key)
            assert expected in status(app), (key, status(app))
        await pilot.press("ctrl+g", "f9")
        assert "seed=" not in status(app) and "colour" in status(app)
        for _ in range(4):
            await pilot.press("f8")
        assert status(app).startswith("temperature")  # all six strategies, then around again


async def test_escape_stops_a_running_generation(make_app):
    services = FakeServices()
    services.generator.gate = threading.Event()
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*"go", "enter")
        await wait_for(pilot, lambda: app.main_screen.generation.jobs.busy)
        await pilot.press("escape")
        services.generator.gate.set()
        await wait_for(pilot, lambda: app.main_screen.generation.jobs.busy is False)
        await pilot.pause(0.1)
        assert "— stopped" in app.main_screen.view.text


async def test_regenerate_compare_candidates(make_app):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await submit(pilot, "abc")
        await pilot.press("f5")
        await wait_for(pilot, lambda: len(services.generator.calls) == 2 and not app.main_screen.generation.jobs.busy)
        assert [c[0] for c in services.generator.calls] == ["abc", "abc"]
        await pilot.press("f6")
        await wait_for(pilot, lambda: "── top-k 5" in app.main_screen.view.text)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CandidatesScreen))
        assert app.screen.candidates[0][1] == 0.6
        await pilot.press("escape")
        assert not isinstance(app.screen, CandidatesScreen)


async def test_copy_export_help_and_paging(make_app, tmp_path):
    app = make_app()
    copied = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+y", "ctrl+l", "ctrl+l")
        assert "no output to copy yet" in notes(app)
        await submit(pilot, "x")  # 1600 chars: more than the view shows, so it can page
        await pilot.press("ctrl+y")
        assert copied and copied[0].startswith("the quick brown")
        await pilot.press("ctrl+s")
        exported = list((tmp_path / "export").glob("chargen-session-*.txt"))
        assert exported and "prompt: 'x'" in exported[0].read_text()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        view = app.main_screen.view
        await pilot.press("pageup")
        await pilot.pause(0.05)
        up = view.scroll_offset.y
        await pilot.press("pagedown")
        await pilot.pause(0.05)
        assert view.scroll_offset.y > up


async def test_training_keys_start_pause_stop(make_app):
    services = FakeServices(train_delay=0.5)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main_screen.state == "training" and services.trainers)
        await pilot.press("f3")
        assert app.main_screen.state == "paused" and services.trainers[0].paused
        await pilot.press("f2")  # start while paused resumes
        assert app.main_screen.state == "training" and not services.trainers[0].paused
        await pilot.press("f4")
        await wait_for(pilot, lambda: not app.main_screen.train.running)
        assert services.trainers[0].stop_requested and app.main_screen.state == "stopped"


async def test_training_updates_pane_and_refreshes_generator(make_app):
    services = FakeServices()
    app = make_app(services, corpus_source="mytext")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.main_screen.state == "done")
        pane = app.main_screen.pane
        assert "epoch 2: the preview text" in str(pane.query_one("#preview").render())
        await wait_for(pilot, lambda: app.main_screen.model_name.startswith("mytext-"))  # a new run's generator
        assert services.trainers[0].run_path.parent.name == "runs"


async def test_quit_while_training_asks_stop_with_a_checkpoint_or_stay(make_app):
    services = FakeServices(train_delay=1.0)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: services.trainers)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitWhileTraining)
        await pilot.press("escape")
        assert not isinstance(app.screen, QuitWhileTraining) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")
        await wait_for(pilot, lambda: app._exit, timeout=10)
        assert services.trainers[0].stop_requested


async def test_quit_while_training_leaves_it_training_by_default(make_app, capsys):
    services = FakeServices(train_delay=1.0)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: services.trainers)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("enter")  # the default: leave it training
        await wait_for(pilot, lambda: app._exit, timeout=10)
    trainer = services.trainers[0]
    assert not trainer.stop_requested and services.processes[trainer.run_path][1].is_alive()
    said = " ".join(capsys.readouterr().err.split())  # printed once the app has left the screen
    assert "default-copy keeps training in its own process" in said and "chargen --run default-copy" in said
    trainer.request_stop()


async def test_quit_without_training_exits(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app._exit)


async def test_remapped_key_and_command_palette(make_app):
    from chargen_tui.commands import ChargenCommands

    app = make_app(keymap={"temp.up": "plus"})
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("plus")
        assert "T=0.90" in status(app)
        provider = ChargenCommands(app.main_screen)
        hits = [hit async for hit in provider.search("strategy")]
        assert hits
        hits[0].command()
        await pilot.pause(0.05)
        assert status(app).startswith("top-k")


async def test_errors_are_notifications_and_the_app_lives_on(make_app):
    services = FakeServices(default=False, corpus_error="cannot read that file")
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(notes(app)) >= 2)
        assert any("assets/default is missing" in n for n in notes(app))
        assert any("cannot read that file" in n for n in notes(app))
        assert "not loaded: cannot read that file" in str(app.main_screen.query_one("#corpus").render())
        await pilot.press("f2")
        assert any("cannot train yet" in n for n in notes(app))
        await pilot.press(*"hi", "enter")  # no model will ever load: say so, do not queue the prompt
        assert app.main_screen.run.pending_prompt is None and app.is_running
        assert any("no model to generate with" in n for n in notes(app))


async def test_bad_setting_and_missing_run(make_app):
    app = make_app(run_path="/fake/missing")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("not a chargen run" in n for n in notes(app)))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for _ in range(25):
            await pilot.press("up")
        await pilot.press(*"x", "enter")
        assert any("temperature too high" in n for n in notes(app)) and app.is_running


async def test_status_line_header_and_pane_follow_the_screen_reactives(make_app):
    from chargen_tui.gen_settings import SPEEDS

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        before = screen.settings.sampling.temperature
        screen.settings = screen.settings.bump_temperature(1)  # assigned only: no refresh call
        screen.speed_index = SPEEDS.index(60)
        screen.state, screen.model_name, screen.device = "paused", "some-run", "GPU 0"
        await pilot.pause()
        assert f"T={before + 0.1:.2f}" in status(app) and "60 ch/s" in status(app)
        assert app.title == "chargen · some-run" and app.sub_title == "GPU 0 · paused"
        assert screen.pane.state == "paused"
