"""Snapshots of the main screen at 80×24 and 120×40, with fakes so the content is the same every run."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

import chargen_tui.generation
from chargen_tui.app import ChargenApp
from tui_fakes import FakeServices


@pytest.fixture
def steady_clock(monkeypatch):
    ticks = itertools.count()
    fake = SimpleNamespace(perf_counter=lambda: next(ticks) * 0.5, sleep=lambda s: None)
    monkeypatch.setattr(chargen_tui.generation, "time", fake)


def app_with_output(tmp_path) -> ChargenApp:
    return ChargenApp(FakeServices(), config_dir=tmp_path, export_dir=tmp_path, run_root=tmp_path / "runs")


async def stream_a_prompt(pilot) -> None:
    screen = pilot.app.main_screen
    while not (screen.generation.live.ready and screen.run.corpus is not None):
        await pilot.pause(0.02)
    await pilot.press("ctrl+g", *"Once upon", "enter")  # ctrl+g: fixed seed, so the header line is stable
    while screen.generation.jobs.busy or screen.generation.buffer.pending or screen.generation.done is not None:
        await pilot.pause(0.02)
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen(snap_compare, tmp_path, steady_clock, size):
    assert snap_compare(app_with_output(tmp_path), terminal_size=size, run_before=stream_a_prompt)


async def open_candidates(pilot) -> None:
    from chargen_tui.screens.dialogs import CandidatesScreen

    await stream_a_prompt(pilot)
    await pilot.press("f7")
    while not isinstance(pilot.app.screen, CandidatesScreen):
        await pilot.pause(0.02)
    await pilot.pause(0.1)
    box = pilot.app.screen.query_one("OptionList")
    # The box used to collapse to nothing in a real terminal: its list must be as wide as its text.
    assert box.size.width >= 40 and box.size.height == 3


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
def test_candidates_dialog(snap_compare, tmp_path, steady_clock, size):
    assert snap_compare(app_with_output(tmp_path), terminal_size=size, run_before=open_candidates)
