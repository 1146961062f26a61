"""`chargen --run NOT_A_RUN`, then Enter: the app says there is no model and how to get one (not 'loading')."""
from __future__ import annotations

from conftest import wait_for


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_enter_without_a_model_says_how_to_get_one(make_app):
    app = make_app(run_path="/fake/missing")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("not a chargen run" in n for n in notes(app)))
        await pilot.press(*"hello", "enter")
        await pilot.pause(0.05)
        said = [n for n in notes(app) if "no model to generate with" in n]
        assert said and "F2" in said[0] and "ctrl+r" in said[0] and "not a chargen run" in said[0]
        assert not any("still loading" in n for n in notes(app))
        assert app.main_screen.run.pending_prompt is None and app.is_running
