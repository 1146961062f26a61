"""Real tiny training in the app's worker thread while a generation streams; then sampling the trained model."""
from __future__ import annotations

from pathlib import Path

from chargen_core.config import ModelConfig, TrainConfig
from conftest import wait_for
from chargen_tui.services import Services
from tui_fakes import FakeGenerator


class CountingGenerator(FakeGenerator):
    """Notes how many training batches had ended when its stream began and when it ended."""

    def __init__(self) -> None:
        super().__init__(delay=0.01)
        self.pump = None
        self.batches_seen: list[int] = []

    def stream(self, prompt, settings, length, seed=None, start=0):
        self.batches_seen.append(self.pump.batches)
        yield from super().stream(prompt, settings, length, seed, start)
        self.batches_seen.append(self.pump.batches)


class TinyServices(Services):
    """The real services, except the opening model is a slow fake so a stream runs throughout training."""

    def __init__(self) -> None:
        super().__init__(ModelConfig(embedding_dim=8, units=16, seq_len=20),
                         TrainConfig(epochs=2, batch_size=8, steps_per_epoch=12, checkpoint_every=0,
                                     preview_length=20, seed=1, warmup_steps=1))
        self.fake = CountingGenerator()

    def default_run(self):
        return None

    def device(self) -> str:
        return "CPU"


async def test_real_training_while_streaming(make_app, tiny_corpus_file, tmp_path):
    services = TinyServices()
    app = make_app(services, corpus_source=str(tiny_corpus_file))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.run.corpus is not None, timeout=90)
        screen.generation.live.replace(services.fake)  # stands in for the bundled model until training makes one
        screen.vocab_size = 30
        services.fake.pump = screen.train.pump
        await pilot.press(*"the ")
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen.train.pump.batches >= 1, timeout=60)
        # Pause so tiny training cannot finish before the stream begins, start the stream, then resume.
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen.state == "paused", timeout=30)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(services.fake.batches_seen), timeout=30)
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen.state in ("done", "failed"), timeout=90)
        assert screen.state == "done", [n.message for n in app._notifications]
        await wait_for(pilot, lambda: not screen.generation.jobs.busy, timeout=30)
        assert "› the" in screen.view.text and len(services.fake.calls) == 1
        first = services.fake.batches_seen[0]
        assert first < screen.train.pump.batches, "no training step ended after the generation began"
        pane = screen.pane
        assert "epoch 2:" in str(pane.query_one("#preview").render())
        assert pane.query_one("#curve").val and pane.query_one("#curve").train
        run_dirs = list((tmp_path / "runs").iterdir())
        assert len(run_dirs) == 1 and (run_dirs[0] / "config.json").is_file()
        # The live generator now samples from the model the worker trained.
        await wait_for(pilot, lambda: screen.model_name == run_dirs[0].name, timeout=30)
        # The first stream's summary line lands once its buffer drains; clear only after it, so the
        # "chars," awaited below can only come from the second stream.
        await wait_for(pilot, lambda: "chars," in screen.view.text, timeout=30)
        screen.view.clear()
        await pilot.press(*"the ", "enter")
        await wait_for(pilot, lambda: not screen.generation.jobs.busy and "chars," in screen.view.text, timeout=30)
        generated = screen.generation.transcript.last_output
        assert len(generated) == screen.settings.length and len(services.fake.calls) == 1
        assert set(generated) <= set(Path(tiny_corpus_file).read_text())
