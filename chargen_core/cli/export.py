"""`chargen export RUN DEST`: a run's model as weights only, with its settings and vocabulary, ready to share."""
from __future__ import annotations

from .common import add_home_flag, print_json, resolve_run_arg


def add_parser(subparsers):
    p = subparsers.add_parser("export", help="copy a run's model, weights only, to a new folder",
                              description="Write a run's best (or last) model without optimizer state, with its "
                                          "settings, vocabulary and history, to a new folder: a third of the size, "
                                          "and it opens, generates, evaluates and continues like any run (with a "
                                          "fresh optimizer). The bundled model is made this way.")
    p.add_argument("run_dir", metavar="RUN", help="a run folder or a run name from `chargen runs`")
    p.add_argument("dest", metavar="DEST", help="the folder to create (must not exist)")
    add_home_flag(p)
    p.add_argument("--which", choices=("best", "last"), default="best", help="model to export (best)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def run(args) -> int:
    from ..runs import export_run

    exported = export_run(resolve_run_arg(args), args.dest, which=args.which)
    m = exported.manifest
    val = f", val {m.val_loss:.4f} nats/char" if m.val_loss is not None else ""
    if args.json:
        print_json({"path": str(exported.path), "source": str(exported.source), "bytes": exported.bytes,
                    "epochs_done": m.epochs_done, "global_step": m.global_step, "val_loss": m.val_loss})
        return 0
    print(f"exported {exported.source} (epoch {m.epochs_done}{val}) to {exported.path}: weights only, "
          f"{exported.bytes / 1e6:.1f} MB")
    return 0
