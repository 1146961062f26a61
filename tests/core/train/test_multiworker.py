"""MultiWorkerMirroredStrategy: two worker processes on 127.0.0.1 train together; a killed job resumes."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.errors import RunDirError, SettingsError
from chargen_core.train import restarted_chief_run, writes_run_dir
from chargen_core.runs import RunDir

REPO = Path(__file__).resolve().parents[3]
STEPS = 3  # optimizer steps per epoch


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Job:
    """The two workers of one cluster; every process is killed on close, every wait has a deadline."""

    def __init__(self, tmp_path: Path, corpus: Path, epochs: int):
        self.tmp, self.corpus, self.epochs = tmp_path, corpus, epochs
        self.cluster = {"worker": [f"127.0.0.1:{p}" for p in free_ports(2)]}
        self.procs: list[subprocess.Popen] = []
        self.launches = 0

    def run_dir(self, index: int) -> Path:
        return self.tmp / f"worker{index}"

    def start(self) -> None:
        """Start both workers with the same command and TF_CONFIG each time (as a cluster manager would)."""
        self.launches += 1
        self.procs = []
        for index in (0, 1):
            env = {**os.environ, "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3",
                   "TF_CONFIG": json.dumps({"cluster": self.cluster, "task": {"type": "worker", "index": index}})}
            cmd = [sys.executable, "-m", "chargen_core", "train", "--corpus", str(self.corpus), "--distribute",
                   "multiworker", "--run-dir", str(self.run_dir(index)), "--units", "16", "--embedding-dim", "8",
                   "--seq-len", "16", "--batch-size", "8", "--steps-per-epoch", str(STEPS), "--epochs",
                   str(self.epochs), "--preview-length", "0", "--seed", "0", "--json"]
            out = open(self.log(index, "out"), "w")
            err = open(self.log(index, "err"), "w")
            with out, err:
                self.procs.append(subprocess.Popen(cmd, cwd=self.tmp, env=env, stdout=out, stderr=err,
                                                   start_new_session=True))

    def log(self, index: int, kind: str) -> Path:
        return self.tmp / f"w{index}-{self.launches}.{kind}"

    def text(self, index: int, kind: str) -> str:
        return self.log(index, kind).read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        codes = []
        for index, proc in enumerate(self.procs):
            try:
                codes.append(proc.wait(max(1.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                self.close()
                pytest.fail(f"worker {index} still running after {timeout} s:\n{self.text(index, 'err')[-2000:]}")
        return codes

    def kill(self, index: int) -> None:
        proc = self.procs[index]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def close(self) -> None:
        for index in range(len(self.procs)):
            try:
                self.kill(index)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    def summary(self, index: int) -> dict:
        lines = self.text(index, "out").strip().splitlines()
        assert lines, f"worker {index} printed no summary:\n{self.text(index, 'err')[-3000:]}"
        return json.loads(lines[-1])


def history_rows(run_dir: Path) -> list[dict]:
    path = run_dir / "history.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().endswith("}")]


def assert_not_a_run(path: Path) -> None:
    assert not path.exists() or not any(path.iterdir()), sorted(p.name for p in path.iterdir())
    with pytest.raises(RunDirError):
        RunDir.open(path)


def wait_for_epoch(job: Job, run_dir: Path, timeout: float = 120) -> None:
    """Until the chief has written an epoch's history row (both workers must still be running)."""
    deadline = time.monotonic() + timeout
    while not history_rows(run_dir):
        assert all(p.poll() is None for p in job.procs), [job.text(i, "err")[-2000:] for i in (0, 1)]
        assert time.monotonic() < deadline, job.text(0, "err")[-2000:]
        time.sleep(0.05)


def test_two_workers_train_together_and_only_the_chief_writes(tmp_path, tiny_corpus_file):
    epochs = 30
    job = Job(tmp_path, tiny_corpus_file, epochs=epochs)
    try:
        job.start()
        wait_for_epoch(job, job.run_dir(0))
        # Ctrl-C on the chief alone: every worker must stop at the same batch (one stopping alone hangs the
        # others in a collective op), save, and finish cleanly: the interrupted chief with 130 (128 + SIGINT),
        # the worker that stopped because the chief did with 0.
        job.procs[0].send_signal(signal.SIGINT)
        codes = job.wait(120)
        assert codes == [130, 0], [job.text(i, "err")[-2000:] for i in (0, 1)]
        chief, other = job.summary(0), job.summary(1)
    finally:
        job.close()
    for summary in (chief, other):
        assert (summary["strategy"], summary["replicas"]) == ("MultiWorkerMirroredStrategy", 2)
        assert summary["reason"] == "stopped"
    assert (other["epochs"], other["steps"]) == (chief["epochs"], chief["steps"])
    assert 1 <= chief["epochs"] < epochs
    # Synchronous training: both replicas hold the same weights, so they score the same validation loss.
    assert other["val_loss"] == pytest.approx(chief["val_loss"], rel=1e-6)
    run = RunDir.open(job.run_dir(0))
    assert [row["epoch"] for row in run.history()] == list(range(chief["epochs"]))
    assert run.state()["status"] == "stopped"
    assert run.load_model("last") is not None
    assert_not_a_run(job.run_dir(1))
    assert "MultiWorkerMirroredStrategy, 2 replicas" in job.text(0, "err")


def test_killed_worker_restarts_and_the_job_resumes_from_the_checkpoint(tmp_path, tiny_corpus_file):
    epochs = 5
    job = Job(tmp_path, tiny_corpus_file, epochs=epochs)
    chief_dir = job.run_dir(0)
    try:
        job.start()
        wait_for_epoch(job, chief_dir)
        job.kill(1)
        # The chief's next collective fails once its peer is gone (or a cluster manager kills it).
        try:
            survivor = job.procs[0].wait(60)
        except subprocess.TimeoutExpired:
            survivor = None
        job.kill(0)
        assert survivor != 0, "the chief must not finish the job alone"
        before = history_rows(chief_dir)
        assert 1 <= len(before) < epochs, "the job finished before the kill; the test proves nothing"

        job.start()  # both workers again, same TF_CONFIG, same command
        codes = job.wait(150)
        assert codes == [0, 0], [job.text(i, "err")[-2000:] for i in (0, 1)]
        chief, other = job.summary(0), job.summary(1)
    finally:
        job.close()
    starts = [re.search(r"resuming at epoch (\d+)", job.text(i, "err")) for i in (0, 1)]
    assert all(starts), [job.text(i, "err")[-2000:] for i in (0, 1)]
    done = int(starts[0].group(1)) - 1  # epochs the chief's last checkpoint covers
    assert int(starts[1].group(1)) - 1 == done  # worker 1 took the chief's state
    assert 1 <= done <= len(before)
    for summary in (chief, other):
        assert (summary["reason"], summary["epochs"], summary["steps"]) == ("completed", epochs, epochs * STEPS)
    assert other["val_loss"] == pytest.approx(chief["val_loss"], rel=1e-6)
    rows = history_rows(chief_dir)
    assert [row["epoch"] for row in rows] == list(range(epochs))
    assert rows[:done] == before[:done]  # history continued, not rewritten
    assert [row["global_step"] for row in rows] == [STEPS * (e + 1) for e in range(epochs)]
    assert_not_a_run(job.run_dir(1))


def test_who_writes_and_who_resumes(tmp_path, monkeypatch, tiny_text):
    from chargen_core.config import CorpusConfig
    from chargen_core.data import Vocab

    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    model = ModelConfig(units=16, seq_len=16)
    run = tmp_path / "run"
    RunDir.create(run, model_config=model, train_config=TrainConfig(), corpus_config=CorpusConfig(source="x"),
                  vocab=Vocab.from_text(tiny_text))
    for index, chief in ((0, True), (1, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        assert writes_run_dir(TrainConfig(distribute="multiworker")) is chief
        assert writes_run_dir(TrainConfig(distribute="default"))
        resumed = restarted_chief_run(run, model)
        assert (resumed is not None) is chief
        assert restarted_chief_run(tmp_path / "empty", model) is None
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    with pytest.raises(SettingsError, match="other model settings"):
        restarted_chief_run(run, ModelConfig(units=32, seq_len=16))


def test_missing_keras_internal_fails_with_one_line(monkeypatch):
    from chargen_core.train import check_keras_internals

    check_keras_internals()  # the Keras this project declares has every patched name
    from keras.src.backend.tensorflow import trainer as tf_trainer

    monkeypatch.delattr(tf_trainer, "reduce_per_replica")
    with pytest.raises(SettingsError, match=r"lacks \(keras\.src\.backend\.tensorflow\.trainer\.reduce_per_replica\); "
                       r"install keras<4,>=3\.15") as caught:
        check_keras_internals()
    assert "\n" not in str(caught.value)
