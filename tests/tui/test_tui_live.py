"""Pilot tests of steering a running stream: keys act on the next char, markers, segments, continue, stops,
the prompt (newline, history, paste, escape artefacts), the settings file and key conflicts."""
from __future__ import annotations

import json
import threading

from textual import events

from conftest import wait_for
from chargen_tui.screens.dialogs import CandidatesScreen
from chargen_tui.transcript import Transcript
from tui_fakes import FakeServices


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def ready(pilot):
    await wait_for(pilot, lambda: pilot.app.main_screen is not None and pilot.app.main_screen.run.corpus is not None
                   and pilot.app.main_screen.generation.live.ready)


async def idle(pilot):
    screen = pilot.app.main_screen
    await wait_for(pilot, lambda: not screen.generation.jobs.busy and screen.generation.buffer.pending == 0 and screen.generation.done is None)


async def test_a_key_mid_stream_applies_from_the_next_char_with_a_marker_and_a_segment(make_app, tmp_path):
    services = FakeServices()
    fake = services.generator
    fake.steps = threading.Semaphore(0)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        await pilot.press(*"go", "enter")
        fake.steps.release(10)
        await wait_for(pilot, lambda: len(fake.used) == 10 and screen.generation.buffer.pending == 0)
        await pilot.press("up")  # T 0.8 -> 0.9 while the stream waits before char 11
        fake.steps.release(390)
        await idle(pilot)
        temps = [s.temperature for s in fake.used]
        assert temps[:10] == [0.8] * 10 and temps[10:] == [0.9] * 390
        assert screen.view.marks == 1
        assert "T=0.90" not in screen.generation.transcript.exchanges[-1].output[0]  # the marker is a style, not text
        await pilot.press("ctrl+s")
        exported = list((tmp_path / "export").glob("chargen-session-*.json"))
        generation = json.loads(exported[0].read_text())["generations"][-1]
        assert generation["prompt"] == "go" and len(generation["text"]) == 400
        starts = [(s["start"], s["settings"]["temperature"]) for s in generation["segments"]]
        assert starts == [(0, 0.8), (10, 0.9)]


async def test_strategy_and_repetition_keys_reach_the_running_stream(make_app):
    services = FakeServices()
    fake = services.generator
    fake.steps = threading.Semaphore(0)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*"go", "enter")
        fake.steps.release(5)
        await wait_for(pilot, lambda: len(fake.used) == 5)
        await pilot.press("f8", "alt+up")
        fake.steps.release(395)
        await idle(pilot)
        assert fake.used[4].strategy == "temperature" and fake.used[4].repetition_penalty == 1.0
        assert fake.used[5].strategy == "top-k" and fake.used[5].repetition_penalty == 1.1
        assert fake.used[-1].repetition_penalty == 1.1


async def test_continue_extends_the_last_output_from_the_same_stream(make_app):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        await pilot.press(*"go", "enter")
        await idle(pilot)
        await pilot.press("ctrl+n")
        await idle(pilot)
        assert len(services.generator.streams) == 1 and services.generator.streams[0].position == 800
        assert len(screen.generation.transcript.exchanges) == 1 and len(screen.generation.transcript.last_output) == 800
        assert screen.view.text.count("400 chars") == 1  # the first summary went; the continued one stays


async def test_a_stop_string_ends_the_stream(make_app):
    services = FakeServices()
    services.generator.text = "one line\n\nnext paragraph\n\n"
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+t")  # stop at a blank line
        assert "stop=blank line" in str(app.main_screen.query_one("#status").render())
        await pilot.press(*"go", "enter")
        await idle(pilot)
        assert app.main_screen.generation.transcript.last_output == "one line\n\n"


async def test_until_esc_streams_with_bounded_memory(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        screen.view.max_chars = 3000
        screen.generation.transcript = Transcript(max_chars_each=2000)
        for _ in range(4):
            await pilot.press("ctrl+l")
        assert "len=until Esc" in str(screen.query_one("#status").render())
        await pilot.press(*"go", "enter")
        await wait_for(pilot, lambda: screen.generation.transcript.exchanges[-1].chars > 20_000, timeout=20)
        assert screen.generation.jobs.busy
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.generation.jobs.busy)
        from chargen_tui.widgets.output_view import MAX_PARAGRAPH

        # The view keeps its limit plus at most the open paragraph; the transcript keeps its limit.
        assert screen.view.total_chars <= 3000 + MAX_PARAGRAPH and len(screen.generation.transcript.last_output) == 2000


async def test_prompt_newline_history_paste_and_escape_artefact(make_app):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        prompt = app.main_screen.query_one("#prompt")
        await pilot.press(*"ab", "ctrl+j", *"cd", "enter")
        await idle(pilot)
        assert services.generator.calls[-1][0] == "ab\ncd" and prompt.value == ""
        await pilot.press(*"xy", "enter")
        await idle(pilot)
        await pilot.press(*"draft", "alt+p")
        assert prompt.value == "xy"
        await pilot.press("alt+p")
        assert prompt.value == "ab\ncd"
        await pilot.press("alt+n", "alt+n")
        assert prompt.value == "draft"
        prompt.clear()
        app.post_message(events.Paste("first line\nsecond line\nthird"))  # as the terminal sends it
        await pilot.pause(0.05)
        assert prompt.value == "first line\nsecond line\nthird"
        prompt.clear()
        calls = len(services.generator.calls)
        for key, char in (("escape", "\x1b"), ("escape", "\x1b"), ("circumflex_accent", "^"), ("enter", "\r")):
            app._driver.send_message(events.Key(key, char))  # one burst, as a fast Esc Esc Enter can be parsed
        await pilot.pause(0.3)
        assert all(call[0] != "^" for call in services.generator.calls[calls:])
        await pilot.pause(0.3)
        await pilot.press("circumflex_accent")  # typed on purpose, long after any Esc: kept
        assert prompt.value == "^"


async def test_pick_a_candidate_appends_it_and_continues(make_app):
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        await pilot.press(*"go", "enter")
        await idle(pilot)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CandidatesScreen))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, CandidatesScreen))
        await idle(pilot)
        stream = services.generator.streams[-1]
        assert stream.fed == ["x"] and len(services.generator.streams) == 1
        assert screen.generation.transcript.last_output[400] == "x" and len(screen.generation.transcript.last_output) == 801


async def test_settings_file_round_trips(make_app, tmp_path):
    app = make_app(speed=None, config_dir=tmp_path / "cfg")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert "200 ch/s" in str(app.main_screen.query_one("#status").render())  # the readable default
        await pilot.press("f10", "f9", "ctrl+t")
        assert json.loads((tmp_path / "cfg" / "settings.json").read_text())["speed"] == 400
    app = make_app(speed=None, config_dir=tmp_path / "cfg")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        status = str(app.main_screen.query_one("#status").render())
        assert "400 ch/s" in status and "plain" in status and "stop=blank line" in status


async def test_keys_beyond_the_vocabulary_are_clamped_with_a_notice(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f8", *["shift+up"] * 26)  # top-k; the fake vocabulary has 30 ids, 29 usable
        assert app.main_screen.settings.k == 29 and app.main_screen.generation.handle.settings.k == 29
        assert any("larger than the vocabulary" in n for n in notes(app))


async def test_conflicting_bindings_are_refused_with_a_notification(make_app, tmp_path):
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "keys.toml").write_text('[keys]\n"app.quit" = "enter"\n"gen.stop" = "f1"\n"temp.up" = "plus"\n')
    services = FakeServices()
    app = make_app(services, config_dir=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert any("'app.quit'" in n and "refused" in n for n in notes(app))
        assert any("'gen.stop'" in n and "already 'help'" in n for n in notes(app))
        await pilot.press(*"go", "enter")  # Enter still sends
        await wait_for(pilot, lambda: services.generator.calls)
        await pilot.press("plus")
        assert app.main_screen.settings.temperature == 0.9
