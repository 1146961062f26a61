"""The one time-left computation (CLI progress, app pane, chargen runs)."""
import time

from chargen_core.train import BatchEnded, TrainingStarted, estimate, format_clock, format_duration


def started(budget=None, initial_epoch=2):
    return TrainingStarted("r", epochs=10, initial_epoch=initial_epoch, steps_per_epoch=100, params=1, device="CPU",
                           strategy="default", replicas=1, precision="float32", time_budget=budget)


def batch(global_step, elapsed):
    return BatchEnded(epoch=global_step // 100, step=global_step % 100 or 100, global_step=global_step,
                      steps_per_epoch=100, loss=1.0, chars_per_second=1.0, elapsed=elapsed)


def test_epochs_end_the_session_at_the_measured_speed():
    e = estimate(started(), batch(250, 10.0))  # 50 of 800 steps in 10 s
    assert e.total_steps == 800 and e.steps_done == 50
    assert e.seconds_left == 150.0 and not e.budget_ends_first
    assert abs(e.fraction - 50 / 800) < 1e-9
    assert e.eta(now=1000.0) == 1150.0


def test_a_nearer_budget_ends_the_session_and_sets_the_bar():
    e = estimate(started(budget=30), batch(250, 10.0))
    assert e.budget_ends_first and e.seconds_left == 20.0
    assert abs(e.fraction - 1 / 3) < 1e-9


def test_a_far_budget_leaves_the_epochs_in_charge():
    e = estimate(started(budget=10_000), batch(250, 10.0))
    assert not e.budget_ends_first and e.seconds_left == 150.0


def test_no_speed_before_two_steps():
    assert estimate(started(), None).seconds_left is None
    assert estimate(started(), batch(201, 3.0)).seconds_left is None
    assert estimate(started(budget=60), None).seconds_left == 60


def test_durations_read_as_people_write_them():
    assert format_duration(None) == "–"
    assert format_duration(37.4) == "37s"
    assert format_duration(249) == "4m 09s"
    assert format_duration(7500) == "2h 05m"


def test_end_times_read_as_a_clock_with_the_day_when_it_is_not_today():
    noon = time.mktime((2031, 6, 2, 12, 0, 0, 0, 0, -1))  # local time, a Monday
    assert format_clock(None, now=noon) == "–"
    assert format_clock(noon + 2 * 3600 + 32 * 60, now=noon) == "14:32"
    assert format_clock(noon + 21 * 3600 + 5 * 60, now=noon) == "Tue 09:05"
    assert format_clock(noon + 30 * 86400, now=noon) == "2031-07-02 12:00"
