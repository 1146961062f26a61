"""Widgets on a small host app: output view wrapping/bounding/scrolling, training pane, corpus pane."""
from __future__ import annotations

import pytest
from chargen_core.train import BatchEnded, EpochEnded, TrainingStarted
from textual.app import App, ComposeResult
from textual.widgets import ProgressBar, Static

from chargen_tui.widgets.corpus_pane import CorpusPane
from chargen_tui.widgets.loss_curve import LossCurve
from chargen_tui.widgets.output_view import OutputView
from chargen_tui.widgets.training_pane import TrainingPane
from tui_fakes import FakeCorpus


class Host(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def rows(view: OutputView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


async def test_output_view_wraps_words_and_follows_the_end():
    view = OutputView()
    async with Host(view).run_test(size=(30, 8)) as pilot:
        view.begin_prompt("hi", "greedy")
        view.append("alpha beta gamma delta epsilon zeta eta theta")
        await pilot.pause()
        lines = [line for line in rows(view) if line]
        assert lines[0].startswith("› hi")
        assert all(len(line) <= 30 for line in lines)
        assert len(lines) >= 3  # wrapped onto several rows, at word boundaries
        assert " ".join(lines[1:]) == "alpha beta gamma delta epsilon zeta eta theta"
        for i in range(40):
            view.append(f"\nline {i}")
        await pilot.pause()
        assert rows(view)[-1] == "line 39"  # followed the stream
        view.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        view.append("\nmore")
        await pilot.pause()
        assert view.scroll_offset.y == 0  # the user scrolled up: the view stays put


async def test_output_view_is_bounded_and_colours_by_probability():
    view = OutputView(max_chars=5_000)
    async with Host(view).run_test(size=(40, 10)) as pilot:
        for _ in range(200):
            view.append("x" * 99 + "\n", [0.05] * 100)
        await pilot.pause()
        assert view.total_chars <= 5_000 and view.text.count("x") <= 5_000
        last = view.render_line(view.size.height - 2)
        assert any(seg.style and seg.style.color and seg.style.color.name == "red" for seg in last)
        view.colour = False
        view.append("plain", [0.05] * 5)
        await pilot.pause()
        assert all(not (seg.style and seg.style.color and seg.style.color.name == "red")
                   for seg in view.render_line(view.size.height - 1))


async def test_training_pane_shows_progress_losses_and_curve():
    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        pane.started(TrainingStarted("r", 2, 0, 10, 100, "CPU", "Default", 1, "float32"))
        for step in range(1, 6):
            pane.batch(BatchEnded(0, step, step, 10, 2.0 - step * 0.1, 1234.0, 1.0))
        pane.epoch(EpochEnded(0, 1.5, 1.6, 2.3, 0.5, 0.5, 3.0, 10))
        pane.preview(0, "the sample\ntext")
        await pilot.pause()
        assert pane.query_one(ProgressBar).progress == 5
        metrics = str(pane.query_one("#metrics", Static).render())
        assert "1.500" in metrics and "1.600" in metrics and "2.31" in metrics and "1,234" in metrics
        assert "Default, 1 replica, float32, CPU" in metrics  # where training runs (strategy, replicas)
        assert pane.query_one(LossCurve).train[-1] == (5, 1.5) and pane.query_one(LossCurve).val == [(10, 1.6)]
        assert "epoch 1: the sample text" in str(pane.query_one("#preview", Static).render())
        assert "epoch 1/2" in str(pane.query_one("#state", Static).render())


async def test_training_pane_progress_follows_the_time_budget_when_it_ends_the_run_first():
    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        # 1000 epochs of 10 steps planned, but a 100 s budget: after 25 s the bar is a quarter full, not 0.03%.
        pane.started(TrainingStarted("r", 1000, 0, 10, 100, "CPU", "Default", 1, "float32", time_budget=100.0))
        pane.batch(BatchEnded(0, 3, 3, 10, 2.0, 1234.0, 25.0))
        await pilot.pause()
        assert pane.query_one(ProgressBar).progress == pytest.approx(2500)
        assert "epoch 1  step 3/10" in str(pane.query_one("#state", Static).render())  # the cap is out of reach
        pane.started(TrainingStarted("r", 2, 0, 10, 100, "CPU", "Default", 1, "float32", time_budget=1e6))
        pane.batch(BatchEnded(0, 5, 5, 10, 2.0, 1234.0, 25.0))  # the epochs end it first: steps set the bar
        await pilot.pause()
        assert pane.query_one(ProgressBar).progress == 5
        assert "epoch 1/2  step 5/10" in str(pane.query_one("#state", Static).render())


async def test_training_pane_says_when_a_weights_only_model_continues_with_a_fresh_optimizer():
    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        pane.started(TrainingStarted("r", 9, 8, 10, 100, "CPU", "Default", 1, "float32", fresh_optimizer=True))
        await pilot.pause()
        assert "fresh optimizer" in str(pane.query_one("#preview", Static).render())
        pane.started(TrainingStarted("r", 9, 8, 10, 100, "CPU", "Default", 1, "float32"))
        pane.preview(8, "later text")
        await pilot.pause()
        assert "fresh optimizer" not in str(pane.query_one("#preview", Static).render())


async def test_training_pane_says_when_a_finished_run_trains_on_at_its_final_rate():
    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        pane.started(TrainingStarted("r", 9, 8, 10, 100, "CPU", "Default", 1, "float32", fresh_optimizer=True,
                                     continued_rate=0.000408))
        await pilot.pause()
        shown = str(pane.query_one("#preview", Static).render())
        assert "fresh optimizer" in shown and "final rate 0.00041, not its peak" in shown


async def test_corpus_pane_shows_stats():
    pane = CorpusPane()
    async with Host(pane).run_test(size=(50, 8)) as pilot:
        pane.show_corpus(FakeCorpus("x.txt", "x.txt", "abcabc\nhello world\n" * 50), val_fraction=0.1)
        await pilot.pause()
        text = str(pane.render())
        assert "x.txt" in text and "vocab  13 symbols" in text and "855 train / 95 val" in text and "abcabc" in text


async def test_training_pane_redraws_when_its_reactives_change():
    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        pane.state, pane.loss, pane.position = "paused", 1.2345, "epoch 3/9"
        await pilot.pause()
        assert "paused" in str(pane.query_one("#state", Static).render())
        assert "epoch 3/9" in str(pane.query_one("#state", Static).render())
        assert "1.234" in str(pane.query_one("#metrics", Static).render())


async def test_output_view_multiline_prompt_markers_and_dropped_notes():
    from chargen_tui.widgets.output_view import MARK

    view = OutputView()
    async with Host(view).run_test(size=(40, 10)) as pilot:
        view.begin_prompt("ab\ncd", "greedy")
        view.append("hello", [0.9] * 5, marks=[2])
        view.note("— 5 chars")
        await pilot.pause()
        assert [line for line in rows(view) if line][:3] == ["› ab", "  cd  (greedy)", "hello"]
        assert view._paras[-2].text == "— 5 chars" and view.marks == 1
        assert view._paras[2].styles[2] == MARK and view.text.count("hello") == 1  # a style, no extra text
        view.drop_trailing_notes()
        view.append(" world")
        await pilot.pause()
        assert view._paras[-1].text == "hello world" and "— 5 chars" not in view.text


async def test_an_append_that_does_not_scroll_repaints_only_the_rows_it_changed():
    from textual.geometry import Region

    view = OutputView()
    async with Host(view).run_test(size=(30, 8)) as pilot:
        view.begin_prompt("hi", "greedy")
        view.append("alpha")
        await pilot.pause()
        repainted = []
        refresh = view.refresh
        view.refresh = lambda *regions, **kw: (repainted.append(regions), refresh(*regions, **kw))[1]
        view.append(" beta gamma delta epsilon")  # wraps onto a new row; the view does not scroll yet
        await pilot.pause()
        assert repainted and all(regions for regions in repainted)  # a region each time, never the whole view
        assert repainted[0][0].y == 1 and repainted[0][0].height == view.size.height - 1  # from the open row on
        cached = [strip.text.rstrip() for strip in view.render_lines(Region(0, 0, view.size.width, view.size.height))]
        assert cached == rows(view)  # what the screen shows is what the view holds: no stale row
        assert " ".join(line for line in cached[1:] if line) == "alpha beta gamma delta epsilon"
        repainted.clear()
        for i in range(10):
            view.append(f"\nline {i}")  # scrolls: everything moved, the whole view is repainted
        assert any(regions == () for regions in repainted)
        await pilot.pause()
        cached = [strip.text.rstrip() for strip in view.render_lines(Region(0, 0, view.size.width, view.size.height))]
        assert cached == rows(view) and cached[-1] == "line 9"


def test_the_finish_notification_names_the_best_validation_when_a_stop_skipped_the_last():
    from chargen_core.train import TrainingFinished
    from chargen_tui.training import finished_text

    def done(reason, val, best):
        return finished_text(TrainingFinished("r", reason, 55, 4565, val, None, best, 10.0, 1000.0))

    assert done("stopped", None, 1.2705).endswith("55 epochs, best val loss 1.270 nats/char")
    assert done("completed", 1.3, 1.25).endswith("val loss 1.300, best val loss 1.250 nats/char")
    assert done("completed", 1.25, 1.25).endswith("55 epochs, val loss 1.250 nats/char")
    assert done("stopped", None, None) == "training stopped: 55 epochs"
