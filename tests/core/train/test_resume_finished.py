"""A run killed after its final checkpoint, before state.json said "completed", is finished: `--resume` records
that (as the uninterrupted run would have) and exits 0, and training it further starts a new curve."""
import json

import pytest

from chargen_core.cli import main
from chargen_core.config import ModelConfig, TrainConfig
from chargen_core.data import load_corpus
from chargen_core.runs import RunDir
from chargen_core.train import FLOOR, BatchEnded, Trainer, TrainingFinished

MODEL = ModelConfig(units=16, embedding_dim=8, seq_len=16)
CONFIG = TrainConfig(epochs=2, batch_size=4, steps_per_epoch=5, checkpoint_every=0, preview_length=0, seed=3)


@pytest.fixture
def killed_at_the_end(tiny_corpus_file, tmp_path):
    """A completed run whose state.json went back to what it said before the final bookkeeping."""
    run = tmp_path / "run"
    assert Trainer(load_corpus(str(tiny_corpus_file)), run, MODEL, CONFIG).run().reason == "completed"
    state = json.loads((run / "state.json").read_text())
    (run / "state.json").write_text(json.dumps({**state, "status": "running"}))
    return run


def files(run) -> dict:
    """Every file but those recording the outcome (state.json, and the events log, which gains its end line)."""
    return {p.relative_to(run): p.stat().st_mtime_ns for p in run.rglob("*")
            if p.name not in ("state.json", "events.jsonl", ".lock")}


def test_resume_records_the_completion_and_exits_0(killed_at_the_end, capsys):
    run, before = killed_at_the_end, files(killed_at_the_end)
    history = RunDir.open(run).history()
    assert main(["train", "--resume", str(run)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err  # one line, and no training
    assert "trained all 2 epochs" in err and "recorded it as completed" in err
    state = json.loads((run / "state.json").read_text())
    assert (state["status"], state["epochs_done"], state["global_step"]) == ("completed", 2, 10)
    assert files(run) == before and RunDir.open(run).history() == history  # nothing trained, nothing rewritten
    last = json.loads((run / "events.jsonl").read_text().splitlines()[-1])
    assert (last["type"], last["reason"]) == ("TrainingFinished", "completed")  # whoever follows the run sees it
    assert main(["train", "--resume", str(run)]) == 2  # now recorded: training further needs --epochs, as ever
    assert "already trained 2 of 2 epochs" in capsys.readouterr().err


@pytest.mark.parametrize("status", ["running", "failed", "stopped"])
def test_the_trainer_finishes_the_bookkeeping_of_a_run_that_trained_everything(killed_at_the_end, status):
    state = json.loads((killed_at_the_end / "state.json").read_text())
    (killed_at_the_end / "state.json").write_text(json.dumps({**state, "status": status}))
    events = []
    finished = Trainer.resume(killed_at_the_end, events.append).run()
    assert (finished.reason, finished.epochs, finished.steps) == ("completed", 2, 10)
    assert finished.val_loss == RunDir.open(killed_at_the_end).history()[-1]["val_loss"]
    assert events == [finished] and not any(isinstance(e, BatchEnded) for e in events)
    assert isinstance(events[0], TrainingFinished)
    assert RunDir.open(killed_at_the_end).state()["status"] == "completed"


def test_the_app_training_it_further_continues_from_the_end_of_its_curve(killed_at_the_end):
    """The app resumes with as many epochs again: the run is finished, so a new curve starts where it ended,
    at the rate it ended at, as for a run that recorded its completion (not back at the peak)."""
    trainer = Trainer.resume(killed_at_the_end, epochs=4)
    assert trainer.train_config.schedule_start == 10
    assert trainer.train_config.learning_rate == pytest.approx(CONFIG.learning_rate * FLOOR)
    assert trainer.run().steps == 20
