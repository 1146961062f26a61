"""Fixtures for the TUI tests: an app factory wired to fake services, isolated from the user's config."""
from __future__ import annotations

import asyncio
import inspect

import pytest

from tui_fakes import FakeServices
from chargen_tui.app import ChargenApp


@pytest.fixture
def make_app(tmp_path):
    def make(services=None, speed: int = 0, **kwargs) -> ChargenApp:
        kwargs.setdefault("config_dir", tmp_path / "config")
        # Tests stream as fast as the model writes (the app's default is a readable pace), unless asked.
        if speed is not None and not (kwargs["config_dir"] / "settings.json").exists():
            kwargs["config_dir"].mkdir(parents=True, exist_ok=True)
            (kwargs["config_dir"] / "settings.json").write_text(f'{{"speed": {speed}}}')
        kwargs.setdefault("export_dir", tmp_path / "export")
        kwargs.setdefault("run_root", tmp_path / "runs")
        return ChargenApp(services or FakeServices(), **kwargs)

    return make


async def wait_for(pilot, condition, timeout: float = 5.0) -> None:
    """Let the app run until condition() holds (raises if it never does)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests here with asyncio.run (no async plugin needed for Textual's run_test)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None
