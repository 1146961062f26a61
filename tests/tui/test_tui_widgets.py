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
        shown = rows(view)
        last = view.render_line(max(y for y, line in enumerate(shown) if line.startswith("x")))
        assert any(seg.style and seg.style.color and seg.style.color.name == "red" for seg in last)
        view.colour = False
        view.append("plain", [0.05] * 5)
        await pilot.pause()
        plain = rows(view).index("plain")
        assert all(not (seg.style and seg.style.color and seg.style.color.name == "red")
                   for seg in view.render_line(plain))


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
        assert "epoch 1  step  3/10" in str(pane.query_one("#state", Static).render())  # the cap is out of reach
        pane.started(TrainingStarted("r", 2, 0, 10, 100, "CPU", "Default", 1, "float32", time_budget=1e6))
        pane.batch(BatchEnded(0, 5, 5, 10, 2.0, 1234.0, 25.0))  # the epochs end it first: steps set the bar
        await pilot.pause()
        assert pane.query_one(ProgressBar).progress == 5
        assert "epoch 1/2  step  5/10" in str(pane.query_one("#state", Static).render())


async def test_training_pane_shows_the_time_left_and_the_eta_from_the_shared_estimate():
    import time

    from chargen_core.train import estimate, format_clock

    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        await pilot.pause()
        assert str(pane.query_one("#time-left", Static).render()).strip() == "–"  # idle: nothing to estimate
        started = TrainingStarted("r", 2, 0, 10, 100, "CPU", "Default", 1, "float32")
        pane.started(started)
        last = None
        for step in range(1, 6):  # 5 of 20 steps in 5 s: 15 s left
            last = BatchEnded(0, step, step, 10, 2.0, 1234.0, float(step))
            pane.batch(last)
        before = time.time()
        await pilot.pause(TrainingPane.REDRAW_INTERVAL + 0.1)
        after = time.time()
        assert estimate(started, last).seconds_left == 15.0
        assert str(pane.query_one("#time-left", Static).render()).strip() == "15s"
        metrics = str(pane.query_one("#metrics", Static).render())
        assert any(f"ETA {format_clock(t + 15, t)}" in metrics for t in (before, after)), metrics
        assert pane.query_one(ProgressBar).percentage == pytest.approx(0.25)
        pane.started(TrainingStarted("r", 1000, 0, 10, 100, "CPU", "Default", 1, "float32", time_budget=100.0))
        pane.batch(BatchEnded(0, 3, 3, 10, 2.0, 1234.0, 25.0))  # the budget ends it first: 75 s left
        await pilot.pause(TrainingPane.REDRAW_INTERVAL + 0.1)
        assert str(pane.query_one("#time-left", Static).render()).strip() == "1m 15s"
        pane.set_state("done")  # over: no time left, no ETA
        await pilot.pause()
        assert str(pane.query_one("#time-left", Static).render()).strip() == "–"
        assert "ETA" not in str(pane.query_one("#metrics", Static).render())


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


def recording_refreshes(view: OutputView) -> list[tuple]:
    repainted: list[tuple] = []
    refresh = view.refresh
    view.refresh = lambda *regions, **kw: (repainted.append(regions), refresh(*regions, **kw))[1]
    return repainted


def shown_rows(view: OutputView) -> list[str]:
    """The rows as Textual's line cache holds them: what the screen shows."""
    from textual.geometry import Region

    return [strip.text.rstrip() for strip in view.render_lines(Region(0, 0, view.size.width, view.size.height))]


async def test_an_append_repaints_only_the_cells_it_changed():
    from textual.geometry import Region

    view = OutputView()
    async with Host(view).run_test(size=(30, 8)) as pilot:
        view.begin_prompt("hi", "greedy")
        view.append("alpha beta")
        await pilot.pause()
        repainted = recording_refreshes(view)
        view.append(" gamma")  # the new characters only: not the rest of the row, nor the blank rows below
        assert repainted == [(Region(10, 1, 6, 1),)]
        repainted.clear()
        view.append(" delta eps")  # "alpha beta gamma delta eps": 26 of 30 columns
        assert repainted == [(Region(16, 1, 10, 1),)]
        repainted.clear()
        view.append("ilonzz")  # "epsilonzz" no longer fits: the word leaves the row above for a new one
        assert repainted == [(Region(23, 1, 3, 1),), (Region(0, 2, 9, 1),)]
        await pilot.pause()
        assert shown_rows(view) == rows(view)  # what the screen shows is what the view holds: no stale cell
        assert shown_rows(view)[1:3] == ["alpha beta gamma delta", "epsilonzz"]
        repainted.clear()
        view.append("\n\nomega")  # a paragraph two rows down: only its cells
        assert repainted == [(Region(0, 4, 5, 1),)]
        await pilot.pause()
        assert shown_rows(view) == rows(view)


async def test_following_the_end_scrolls_half_a_page_at_a_time():
    view = OutputView()
    async with Host(view).run_test(size=(30, 12)) as pilot:
        scrolls, sizes, blank_below = [], [], 0
        for i in range(60):
            view.append(f"\nline {i}")
            if view.scroll_offset.y not in scrolls:
                scrolls.append(view.scroll_offset.y)
            if view.virtual_size.height not in sizes:
                sizes.append(view.virtual_size.height)
            await pilot.pause()
            assert f"line {i}" in rows(view)  # the newest line is always in view
            blank_below += rows(view)[-1] == ""  # after a jump: the blank half page the next rows fill
        height = view.size.height
        # 61 rows through a 12-row view: a jump of half a page each time (not 49 one-row scrolls), and the
        # scrollbar's size changes only at the jumps, not at every new row.
        assert len(scrolls) <= 1 + (61 - height) // (height // 2) + 1
        assert len([s for s in sizes if s > height]) <= len(scrolls)
        assert blank_below >= 60 - 11 - len(scrolls) * 2
        assert shown_rows(view) == rows(view)


class OwingBudget:
    """A byte budget that is overspent until `paid` is set."""

    def __init__(self) -> None:
        self.paid = False

    def delay(self) -> float:
        return 0.0 if self.paid else 0.05


async def test_appends_wait_while_the_byte_budget_is_spent_and_show_when_it_is_paid():
    view = OutputView()
    async with Host(view).run_test(size=(30, 8)) as pilot:
        view.budget = budget = OwingBudget()
        view.append("held back")
        await pilot.pause(0.1)
        assert view.waiting and view.frames == 0 and "held back" not in rows(view)
        assert view.text.endswith("held back") and view.total_chars == len("held back")  # kept, not lost
        view.append(" and more")
        budget.paid = True
        await pilot.pause(0.15)
        assert not view.waiting and view.frames == 1  # one frame for both appends
        assert rows(view)[0] == "held back and more"
        budget.paid = False
        view.append(" then")
        view.note("— done")  # a note shows at once, after the text that was waiting
        assert not view.waiting and [line for line in rows(view) if line] == ["held back and more then", "— done"]


def test_the_finish_notification_names_the_best_validation_when_a_stop_skipped_the_last():
    from chargen_core.train import TrainingFinished
    from chargen_tui.training import finished_text

    def done(reason, val, best):
        return finished_text(TrainingFinished("r", reason, 55, 4565, val, None, best, 10.0, 1000.0))

    assert done("stopped", None, 1.2705).endswith("55 epochs, best val loss 1.270 nats/char")
    assert done("completed", 1.3, 1.25).endswith("val loss 1.300, best val loss 1.250 nats/char")
    assert done("completed", 1.25, 1.25).endswith("55 epochs, val loss 1.250 nats/char")
    assert done("stopped", None, None) == "training stopped: 55 epochs"


async def test_the_training_pane_redraws_a_few_times_a_second_however_fast_batches_end():
    import time

    pane = TrainingPane()
    async with Host(pane).run_test(size=(40, 16)) as pilot:
        pane.started(TrainingStarted("r", 2, 0, 1000, 100, "CPU", "Default", 1, "float32"))
        await pilot.pause()
        curve = pane.query_one(LossCurve)
        redraws, curve_redraws, start = pane._throttle.runs, curve.redraws, time.monotonic()
        for step in range(1, 301):  # 300 batches in about a second and a half: 200 steps/s
            pane.batch(BatchEnded(0, step, step, 1000, 3.0 - step * 0.005, 1000.0 + step, 1.0))
            await pilot.pause(0.005)
        seconds = time.monotonic() - start
        await pilot.pause(TrainingPane.REDRAW_INTERVAL + 0.1)  # the last batch still shows, a moment later
        assert pane._throttle.runs - redraws <= seconds / TrainingPane.REDRAW_INTERVAL + 2
        assert curve.redraws - curve_redraws <= seconds / LossCurve.REDRAW_INTERVAL + 2
        assert "step  300/1000" in str(pane.query_one("#state", Static).render())
        assert pane.query_one(ProgressBar).progress == 300 and curve.train[-1] == (300, 1.5)
        pane.set_state("paused")  # what the user did shows at once, not at the next interval
        await pilot.pause()
        assert "paused" in str(pane.query_one("#state", Static).render())


async def test_the_loss_curve_repaints_only_when_a_dot_moves():
    curve = LossCurve()
    async with Host(curve).run_test(size=(30, 6)) as pilot:
        curve.set_history([(1, 2.0), (2, 1.0)], [])
        await pilot.pause()
        drawn = curve.redraws
        curve._redraw_if_moved()  # nothing new: no repaint
        assert curve.redraws == drawn
        curve.train.append((2, 1.0))  # the same point again: every dot stays where it was
        curve._redraw_if_moved()
        assert curve.redraws == drawn
        curve.train.append((3, 0.5))  # a new low: the axes and the dots move
        curve._redraw_if_moved()
        assert curve.redraws == drawn + 1


def test_a_throttle_runs_at_once_after_a_quiet_spell_and_once_per_interval_under_load():
    from tui.widgets.throttle import Throttle

    class Host:
        def __init__(self) -> None:
            self.timers: list = []

        def set_timer(self, delay, callback):
            timer = type("Timer", (), {"stop": lambda _self: self.timers.remove(entry)})()
            entry = (delay, callback)
            self.timers.append(entry)
            return timer

    now, calls, host = [0.0], [], Host()
    throttle = Throttle(host, 0.5, lambda: calls.append(now[0]), clock=lambda: now[0])
    throttle.request()
    assert calls == [0.0]  # quiet before: at once
    for t in (0.1, 0.2, 0.3):
        now[0] = t
        throttle.request()
    assert calls == [0.0] and len(host.timers) == 1 and host.timers[0][0] == 0.5 - 0.1  # one call, at 0.5
    now[0] = 0.5
    host.timers.pop()[1]()
    assert calls == [0.0, 0.5] and throttle.runs == 2
    now[0] = 0.6
    throttle.request()
    throttle.now()  # something the user did: at once, and the pending call is dropped
    assert calls == [0.0, 0.5, 0.6] and not host.timers and not throttle.pending
