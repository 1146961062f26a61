"""The app takes a run's counters from its checkpoint manifest (RunDir.progress), not by counting history lines."""
import shutil

from chargen_core.runs import RunDir, default_run_path
from chargen_tui.services import Services


def test_open_run_counts_epochs_from_the_checkpoint(tmp_path):
    run = tmp_path / "default"
    shutil.copytree(default_run_path(), run)
    epochs = RunDir.open(run).progress().epochs_done
    with open(run / "history.jsonl", "a") as fh:  # an epoch that ended just before a kill, never checkpointed
        fh.write('{"epoch": %d, "val_loss": 0.5}\n' % epochs)
    info, _ = Services().open_run(run)
    assert info.epochs_done == epochs > 0 and len(info.history) == epochs + 1
