"""Training in its own process: the events log (written, throttled, followed while it grows), detached trainers
that outlive their starter and SIGHUP, pause/resume/stop by signal, two runs at once, a crash and a stale pid as
`chargen runs` shows them, and a second trainer told who holds the run. Every wait polls with a deadline."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chargen_core.cli import main
from chargen_core.config import CorpusConfig, ModelConfig, TrainConfig
from chargen_core.data import Vocab
from chargen_core.runs import EVENTS, LOCK_FILE, STATE, RunDir, is_held, list_runs
from chargen_core.train import (BatchEnded, CheckpointSaved, EpochEnded, EventLogFollower, EventLogWriter,
                                TrainingFailed, TrainingFinished, TrainingPaused, TrainingStarted, event_from_record,
                                launch_training, live_status, log_tail, signal_run)

REPO = Path(__file__).resolve().parents[3]
TINY = ["--units", "16", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", "5",
        "--preview-length", "0", "--checkpoint-every", "0"]
LONG = ["--epochs", "100000"]  # trains until stopped
DEADLINE = 120.0  # seconds any one wait may take (a loaded 2-core machine imports TensorFlow slowly)


def started(epoch=0, spe=5, epochs=3):
    return TrainingStarted("run", epochs, epoch, spe, 100, "CPU", "DefaultStrategy", 1, "float32")


def batch(step, epoch=0, spe=5):
    return BatchEnded(epoch, step, epoch * spe + step, spe, 2.0, 1000.0, float(step))


class Watch:
    """Follows a run's events log; until() polls it with a deadline."""

    def __init__(self, run):
        self.follower = EventLogFollower(run)
        self.events = []

    def until(self, test, what: str, deadline: float = DEADLINE):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            for event in self.follower.poll():
                self.events.append(event)
                if test(event):
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {deadline:.0f} s; events: {[type(e).__name__ for e in self.events]}")

    def steps_past(self, step: int) -> BatchEnded:
        return self.until(lambda e: isinstance(e, BatchEnded) and e.global_step > step, f"batch past step {step}")


def wait_for(test, what: str, deadline: float = DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if test():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {deadline:.0f} s")


def stop_and_reap(launched_or_pid, run) -> None:
    """Clean up a trainer a test left running (never leave one behind)."""
    if is_held(run):
        signal_run(run, "stop")
    process = getattr(launched_or_pid, "process", None)
    if process is not None:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cli_subprocess(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chargen_core.cli", *argv], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


# --- the events log, without TensorFlow -----------------------------------------------------------------------
def test_writer_throttles_batches_but_keeps_the_first_and_the_last_before_an_epoch_end(tmp_path):
    writer = EventLogWriter(tmp_path, argv=["chargen", "train", "--epochs", "3"], interval=3600)
    writer.write(started())
    for step in range(1, 5):  # 1 is the session's first; 2-4 fall inside the interval
        writer.write(batch(step))
    writer.write(CheckpointSaved("x", 0, 4, "step"))  # brings the pending batch (step 4) in first
    writer.write(batch(5))  # the epoch's last step
    writer.write(EpochEnded(0, 2.0, 2.1, 3.0, 0.1, 0.1, 1.0, 5))
    writer.close()
    records = [json.loads(line) for line in (tmp_path / EVENTS).read_text().splitlines()]
    assert [(r["type"], r.get("global_step")) for r in records] == [
        ("TrainingStarted", None), ("BatchEnded", 1), ("BatchEnded", 4), ("CheckpointSaved", 4), ("BatchEnded", 5),
        ("EpochEnded", 5)]
    assert records[0]["pid"] == os.getpid() and records[0]["argv"] == ["chargen", "train", "--epochs", "3"]
    assert all(isinstance(r["time"], float) for r in records)
    assert event_from_record(records[4]) == batch(5)
    assert event_from_record({"type": "BatchEnded", "epoch": 0}) is None  # fields missing: not an event
    assert event_from_record({"type": "SomethingNew"}) is None


def test_a_failed_write_turns_the_log_off_with_one_notice(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (a device that is always out of space)")
    (tmp_path / EVENTS).symlink_to("/dev/full")
    notices = []
    writer = EventLogWriter(tmp_path, notice=notices.append)
    writer.write(started())
    writer.write(batch(1))
    writer.write(TrainingFinished("run", "completed", 1, 5, None, None, None, 1.0, 1.0))
    assert writer.disabled and len(notices) == 1 and "events.jsonl" in notices[0] and "goes on" in notices[0]


def test_the_follower_waits_for_a_partial_line_and_rereads_a_replaced_or_truncated_file(tmp_path):
    log = tmp_path / EVENTS
    follower = EventLogFollower(tmp_path)
    assert follower.poll() == []  # no log yet
    first = json.dumps({"type": "TrainingStarted", "time": 1.0, "pid": 7, "argv": ["chargen", "train"],
                        **started().__dict__})
    old_session = json.dumps({"type": "TrainingStarted", "time": 0.5, **started(epochs=2).__dict__})
    one = json.dumps({"type": "BatchEnded", "time": 2.0, **batch(1).__dict__})
    with open(log, "w") as fh:
        fh.write(old_session + "\n" + json.dumps({"type": "BatchEnded", **batch(3).__dict__}) + "\n")
        fh.write(first + "\nnot json\n" + one[:20])
    events = follower.poll()
    assert events == [started()]  # the newest session only; the bad line skipped; the partial one waits
    assert follower.session["pid"] == 7
    with open(log, "a") as fh:
        fh.write(one[20:] + "\n")
    assert follower.poll() == [batch(1)]
    assert follower.poll() == []
    replaced = tmp_path / "new.jsonl"  # an atomic replace: a new file under the same name
    replaced.write_text(json.dumps({"type": "BatchEnded", **batch(2).__dict__}) + "\n")
    os.replace(replaced, log)
    assert follower.poll() == [batch(2)]
    log.write_text("")  # truncated, then written again from its start
    assert follower.poll() == []
    log.write_text(json.dumps({"type": "BatchEnded", **batch(4).__dict__}) + "\n")
    assert follower.poll() == [batch(4)]
    whole = EventLogFollower(tmp_path, from_session_start=False)
    assert whole.poll() == [batch(4)]


def test_the_session_start_is_found_far_back_in_a_long_log(tmp_path):
    with open(tmp_path / EVENTS, "w") as fh:
        fh.write(json.dumps({"type": "TrainingStarted", **started().__dict__}) + "\n")
        for step in range(1, 3001):  # ~450 kB: several chunks back from the end
            fh.write(json.dumps({"type": "BatchEnded", **batch(step % 5 + 1).__dict__}) + "\n")
    events = EventLogFollower(tmp_path).poll()
    assert events[0] == started() and len(events) == 3001


# --- `chargen runs` on runs nobody trains ---------------------------------------------------------------------
def make_run(path: Path, status: str) -> Path:
    RunDir.create(path, model_config=ModelConfig(units=16), train_config=TrainConfig(),
                  corpus_config=CorpusConfig(source="x.txt"), vocab=Vocab.from_text("abc"))
    RunDir(path).write_state(status=status, epochs_done=1, global_step=5)
    return path


def test_a_run_whose_process_is_gone_shows_as_stopped_and_resumable(chargen_home, capsys):
    run = make_run(chargen_home / "runs" / "gone", "running")
    (run / LOCK_FILE).write_text("999999\n")  # the pid of a process that died (nobody holds the lock)
    assert live_status(run) is None and signal_run(run, "stop") is None
    summary = next(r for r in list_runs() if r.name == "gone")
    assert summary.state == "stopped" and summary.pid is None and "process is gone" in summary.detail
    assert summary.resume_command == "chargen train --resume gone"
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "resume: chargen train --resume gone" in out and "process is gone" in out
    assert main(["runs", "--json"]) == 0
    listed = next(r for r in json.loads(capsys.readouterr().out)["runs"] if r["name"] == "gone")
    assert listed["state"] == "stopped" and listed["live"] is None and listed["resume_command"]


# --- trainers in their own processes ----------------------------------------------------------------------------
def test_background_trains_after_its_starter_exits_and_after_sighup_pauses_resumes_and_stops(
        tiny_corpus_file, chargen_home, capsys):
    proc = run_cli_subprocess("train", "--corpus", str(tiny_corpus_file), *TINY, *LONG, "--background", "--json")
    assert proc.returncode == 0, proc.stderr  # the starter has exited: what follows is the detached trainer
    told = json.loads(proc.stdout.strip().splitlines()[-1])
    run, pid = Path(told["run_dir"]), told["pid"]
    assert run.parent == chargen_home / "runs" and told["log"] == str(run / "train.log")
    assert told["command"].startswith("chargen train --corpus") and "--detached" not in told["command"]
    try:
        watch = Watch(run)
        first = watch.steps_past(0)
        os.kill(pid, signal.SIGHUP)  # a hang-up (the terminal or SSH link gone) does not stop it
        watch.steps_past(first.global_step + 10)
        live = live_status(run)
        assert live is not None and live.pid == pid and live.state == "training" and live.loss is not None
        assert live.command == told["command"] and live.epochs == 100000 and live.steps_per_epoch == 5

        assert main(["runs"]) == 0
        assert f"training (pid {pid})" in capsys.readouterr().out

        assert signal_run(run, "pause") == pid
        paused_at = watch.until(lambda e: isinstance(e, TrainingPaused) and e.paused, "pause").global_step
        wait_for(lambda: live_status(run).state == "paused", "a paused live status")
        assert main(["runs", "--json"]) == 0
        listed = next(r for r in json.loads(capsys.readouterr().out)["runs"] if r["path"] == str(run))
        assert listed["pid"] == pid and listed["live"]["state"] == "paused"
        assert listed["live"]["global_step"] == paused_at

        assert signal_run(run, "resume") == pid
        watch.until(lambda e: isinstance(e, TrainingPaused) and not e.paused, "resume")
        watch.steps_past(paused_at)

        assert signal_run(run, "stop") == pid
        finished = watch.until(lambda e: isinstance(e, TrainingFinished), "the end")
        assert finished.reason == "stopped"
        # a checkpoint of the last step (a "stop" one, or the epoch's own when the stop came at its end)
        assert any(isinstance(e, CheckpointSaved) and e.global_step == finished.steps for e in watch.events)
        wait_for(lambda: not is_held(run), "the trainer's exit")
        assert json.loads((run / STATE).read_text())["status"] == "stopped"
        assert signal_run(run, "stop") is None and live_status(run) is None
        assert "SIGTERM: stopping after this batch" in "\n".join(log_tail(run))
        assert json.loads((run / STATE).read_text())["detail"] == "stopped by SIGTERM"
    finally:
        stop_and_reap(pid, run)


def test_two_runs_train_at_once_and_a_second_trainer_names_the_holder(tiny_corpus_file, tmp_path, capsys):
    runs = [tmp_path / "one", tmp_path / "two"]
    launched = [launch_training(["train", "--corpus", str(tiny_corpus_file), *TINY, *LONG], run, nice=5)
                for run in runs]
    try:
        watches = [Watch(run) for run in runs]
        for watch in watches:
            watch.steps_past(0)
        both = [live_status(run) for run in runs]  # both training at the same moment
        assert [live.pid for live in both] == [item.pid for item in launched]
        assert all(live.state == "training" for live in both)
        assert os.getpriority(os.PRIO_PROCESS, launched[0].pid) >= 5  # nice: the starter's keys stay fast

        assert main(["train", "--resume", str(runs[0]), "--epochs", "200000"]) == 2
        err = capsys.readouterr().err
        assert f"pid {launched[0].pid}" in err and "training it since" in err and len(err.strip().splitlines()) == 1
        assert main(["train", "--resume", str(runs[0]), "--background"]) == 2  # refused here, nothing started
        assert f"pid {launched[0].pid}" in capsys.readouterr().err
        for watch in watches:  # the holder trains on, untouched
            watch.steps_past(max(e.global_step for e in watch.events if isinstance(e, BatchEnded)))
            assert not any(isinstance(e, TrainingFailed) for e in watch.events)

        # a paused trainer still hears a stop: it wakes, saves and ends
        assert signal_run(runs[1], "pause") == launched[1].pid
        watches[1].until(lambda e: isinstance(e, TrainingPaused) and e.paused, "pause")
        assert signal_run(runs[1], "stop") == launched[1].pid
        assert watches[1].until(lambda e: isinstance(e, TrainingFinished), "the end").reason == "stopped"
        assert launched[1].process.wait(timeout=DEADLINE) == 128 + signal.SIGTERM
    finally:
        for item, run in zip(launched, runs):
            stop_and_reap(item, run)
    assert [item.process.returncode for item in launched] == [128 + signal.SIGTERM] * 2


def test_a_trainer_that_fails_shows_its_log_tail(tmp_path, chargen_home, capsys):
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"caf\xe9 latin-1, not utf-8\n" * 50)  # a real corpus error in the trainer
    run = chargen_home / "runs" / "crashed"
    launched = launch_training(["train", "--corpus", str(broken), *TINY], run)
    assert launched.process.wait(timeout=DEADLINE) == 2
    failed = Watch(run).until(lambda e: isinstance(e, TrainingFailed), "the failure")
    assert "utf-8" in failed.reason.lower()
    tail = log_tail(run)
    assert tail and tail[-1].startswith("chargen: error:") and "utf-8" in tail[-1].lower()
    summary = next(r for r in list_runs() if r.name == "crashed")
    assert summary.state == "failed" and summary.log_tail[-1] == tail[-1]
    assert main(["runs"]) == 0
    assert tail[-1] in capsys.readouterr().out

    # a resume that cannot start (its corpus is gone) is a failure too, though state.json says stopped
    good = make_run(chargen_home / "runs" / "moved", "stopped")
    config = json.loads((good / "config.json").read_text())
    config["corpus"]["source"] = str(tmp_path / "gone.txt")
    (good / "config.json").write_text(json.dumps(config))
    resumed = launch_training(["train", "--resume", str(good)], good)
    assert resumed.process.wait(timeout=DEADLINE) == 2
    summary = next(r for r in list_runs() if r.name == "moved")
    assert summary.state == "failed" and "corpus" in summary.detail and summary.resume_command
    assert any("corpus" in line for line in summary.log_tail)
