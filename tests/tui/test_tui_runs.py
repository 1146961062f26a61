"""Pilot tests of model handling with fake services: the runs screen, the new-run form, F2 continuing a run,
F2 on the bundled model (copied first; its files untouched), switching runs while one trains."""
from __future__ import annotations

import hashlib

from conftest import wait_for
from test_tui_app import notes, ready, submit
from chargen_tui.screens.new_run import NewRunScreen, parse_form
from chargen_tui.screens.runs import RunsScreen
from tui_fakes import FakeServices


def corpus_text(app) -> str:
    return str(app.main_screen.query_one("#corpus").render())


async def open_from_runs_screen(pilot, downs: int = 0):
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunsScreen))
    await pilot.press(*["down"] * downs, "enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, RunsScreen))


async def test_runs_screen_swaps_header_panes_and_generator(make_app, tmp_path):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        assert screen.model_name == "default"
        await open_from_runs_screen(pilot)  # the first row: alpha
        await wait_for(pilot, lambda: screen.model_name == "alpha" and screen.run.corpus is not None)
        assert app.title == "chargen · alpha"
        assert "corpus-of-alpha" in corpus_text(app)
        assert screen.pane.position == "5 epochs trained"
        await submit(pilot, "hi ")
        assert "alpha writes this." in screen.view.text and services.generators["alpha"].calls
        assert screen.run.info.path == tmp_path / "runs" / "alpha"


async def test_palette_lists_the_runs_and_new_run_commands(make_app):
    from chargen_tui.commands import ChargenCommands

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        titles = [title for title, _ in ChargenCommands(app.screen)._entries()]
        assert "Runs: open another run (ctrl+r)" in titles
        assert any(t.startswith("New run") for t in titles)


async def test_f2_on_an_opened_run_continues_its_epochs(make_app, tmp_path):
    services = FakeServices(train_delay=0.2)
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        await open_from_runs_screen(pilot)
        await wait_for(pilot, lambda: screen.model_name == "alpha" and screen.run.corpus is not None)
        await pilot.press("f2")
        await wait_for(pilot, lambda: services.trainers and screen.pane.position.startswith("epoch 6/7"))
        alpha = tmp_path / "runs" / "alpha"
        assert services.resumed == [alpha] and services.launches == [["--resume", str(alpha), "--epochs", "7"]]
        assert f"$ chargen train --resume {alpha}" in str(screen.pane.query_one("#command").render())
        await pilot.press("f4")
        await wait_for(pilot, lambda: not screen.train.running)


def sha256s(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


async def test_f2_on_the_bundled_model_copies_it_first(make_app, tmp_path):
    from chargen_core.runs import bundled_runs

    bundled = bundled_runs()["default"]
    before = sha256s(bundled)
    services = FakeServices()
    services.default_path = bundled
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        assert screen.run.info.is_default
        await pilot.press("f2")
        await wait_for(pilot, lambda: not screen.train.running and screen.state == "done", timeout=15)
        source, copy = services.copies[0]
        assert source == bundled and copy.parent == tmp_path / "runs" and copy.name.startswith("default-copy")
        assert services.resumed == [copy]
        assert sha256s(copy) == {k: v for k, v in before.items() if not k.startswith(".")}
        assert screen.model_name == copy.name and not screen.run.info.is_default
        assert any("untouched" in n for n in notes(app))
        assert not any("fresh optimizer" in n for n in notes(app))
        services.weights_only = True  # as the installed bundled model (best.keras without optimizer state)
        await pilot.press("f2")
        await wait_for(pilot, lambda: any("fresh optimizer" in n for n in notes(app)), timeout=15)
        await wait_for(pilot, lambda: not screen.train.running, timeout=15)
    assert sha256s(bundled) == before


async def test_switching_while_training_leaves_it_training_and_coming_back_attaches(make_app, tmp_path):
    services = FakeServices(train_delay=0.5)  # 10 steps: training outlasts the switch
    app = make_app(services)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        await pilot.press("f2")
        await wait_for(pilot, lambda: services.trainers and screen.state == "training")
        copy = services.trainers[0].run_path
        await open_from_runs_screen(pilot, downs=1)  # beta: no question, the run trains on
        await wait_for(pilot, lambda: screen.model_name == "beta")
        assert not services.trainers[0].stop_requested and not screen.train.running and screen.state == "idle"
        assert any("keeps training in its own process" in n for n in notes(app))
        services.runs = {copy.name: 3, **services.runs}  # a run of the home now: the runs screen lists it first
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        table = app.screen.query_one("#runs-table")
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == copy.name and row[1] == "training" and row[4].startswith("pid 4242 · epoch 1/")
        await pilot.press("enter")  # open it: the pane follows it again, from its session's start
        await wait_for(pilot, lambda: screen.model_name == copy.name and screen.train.running)
        await wait_for(pilot, lambda: screen.pane.position.startswith("epoch 4/5"))
        assert screen.state == "training" and any("following it live" in n for n in notes(app))
        await pilot.press("f4")
        await wait_for(pilot, lambda: not screen.train.running and screen.state == "stopped", timeout=10)
        assert services.trainers[0].stop_requested


async def test_new_run_form_shows_bad_values_in_place_then_starts(make_app, tmp_path):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen))
        form = app.screen
        form.query_one("#source").value = str(tmp_path / "missing.txt")
        form.query_one("#epochs").value = "two"
        await pilot.pause()  # the fields' Changed messages land first, as when typing
        form.action_start()
        await pilot.pause()
        problems = str(form.query_one("#problems").render())
        assert "epochs: 'two' is not a positive" in problems and form.query_one("#epochs").has_class("-bad")
        form.query_one("#epochs").value = "3"
        await pilot.pause()
        form.action_start()  # the corpus is checked first: it does not load, so nothing starts
        await wait_for(pilot, lambda: "no such corpus" in str(form.query_one("#problems").render()))
        assert app.screen is form and form.query_one("#source").has_class("-bad")
        assert "not loaded" in str(form.query_one("#corpus-preview").render())
        assert not services.trainers
        form.query_one("#source").value = "good.txt"
        await pilot.pause()
        form.action_start()
        await wait_for(pilot, lambda: services.trainers and not isinstance(app.screen, NewRunScreen))
        run_dir = tmp_path / "runs" / "good.txt-run"
        assert services.launches == [["--corpus", "good.txt", "--run-dir", str(run_dir), "--size", "default",
                                      "--epochs", "3"]]
        assert "good.txt" in corpus_text(app)
        await wait_for(pilot, lambda: not app.main_screen.train.running)
        await wait_for(pilot, lambda: any("training finished its epochs: 2 epochs" in n for n in notes(app)))


def test_parse_form_rules():
    ok, problems = parse_form({"corpus": "builtin", "epochs": "", "budget": "600", "size": "auto"}, 60.0)
    assert not problems and ok["budget"] == 600.0 and ok["epochs"] is None
    _, problems = parse_form({"corpus": "builtin", "budget": "30", "size": "auto"}, 60.0)
    assert problems[0][0] == "budget"
    _, problems = parse_form({"corpus": "x", "budget": "600", "size": "auto", "init_from": "/r"}, 60.0)
    assert problems[0][0] == "size"
    _, problems = parse_form({"corpus": " ", "epochs": "-1", "budget": "abc"}, 60.0)
    assert {field for field, _ in problems} == {"corpus", "epochs", "budget"}


async def test_a_run_opened_during_start_up_wins_over_the_bundled_one(make_app):
    import threading

    services = FakeServices()
    gate = threading.Event()
    slow_open = services.open_run

    def open_run(path):
        if str(path) == "/fake/default":
            gate.wait(5)  # the start-up open is slow
        return slow_open(path)

    services.open_run = open_run
    app = make_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.main_screen is not None)
        await open_from_runs_screen(pilot, downs=1)  # beta, while the bundled model is still loading
        await wait_for(pilot, lambda: app.main_screen.model_name == "beta")
        gate.set()
        await pilot.pause(0.3)
        assert app.main_screen.model_name == "beta" and app.main_screen.generation.live.ready
