"""The main screen's start-up: finding the device, opening a run and loading its corpus (in threads), and the
messages they send back."""
from __future__ import annotations

from pathlib import Path

from .. import gc_tuning, messages as msg
from ..generation import one_line
from ..widgets.corpus_pane import CorpusPane


class Opening:
    """Mixed into MainScreen; RunActions opens other runs through _open."""

    # --- start-up work (threads) ---------------------------------------------------------------------------------
    def _find_device(self) -> None:
        try:
            self.post_message(msg.DeviceKnown(self.app.services.device()))
        except Exception as exc:
            self.post_message(msg.DeviceKnown(f"? ({one_line(exc)})"))

    def _open(self, path: Path | None = None, serial: int = 0) -> None:
        services, path, info = self.app.services, path or self.app.run_path, None
        try:
            path = path or services.default_run()
            if path is None:
                self.post_message(msg.Failed("opening the bundled model", "assets/default is missing; "
                                             "press F2 to train a model on the corpus"))
            else:
                info, generator = services.open_run(path)
                if serial != self.open_serial:  # the user opened another run meanwhile: that one wins
                    return
                self.live.replace(generator)
                gc_tuning.settle()  # the model's objects live as long as it is open: out of the collector's way
                self.post_message(msg.RunOpened(info, generator))
        except Exception as exc:
            self.post_message(msg.Failed(f"opening run {path}", one_line(exc)))
        own = self.app.corpus_source is None and info is not None
        source = self.app.corpus_source or (info.corpus_source if info else "builtin")
        self.load_corpus(source, info.standardize if own else "none", in_thread=True)

    def load_corpus(self, source: str, standardize: str = "none", in_thread: bool = False) -> None:
        def job() -> None:
            try:
                self.post_message(msg.CorpusLoaded(self.app.services.load_corpus(source, standardize)))
            except Exception as exc:
                self.post_message(msg.Failed(f"loading corpus {source!r}", one_line(exc)))

        self.corpus_loading, self.corpus_source, self.corpus_failed = True, source, None
        if in_thread:
            job()
        else:
            self.run_worker(job, thread=True, exit_on_error=False, group="corpus")

    def on_device_known(self, message: msg.DeviceKnown) -> None:
        self.device = message.device

    def on_run_opened(self, message: msg.RunOpened) -> None:
        info = self.run_info = message.info
        self.model_failed = None
        self.untrained = not info.trained
        self.train.own_generator = False  # the live generator is this run's now, not the last trainer's
        self.vocab_size, self.model_name = info.vocab_size, info.name
        self.pane.history(list(info.history))
        self.set_state("idle")
        for notice in info.notices:
            self.notify(notice, severity="warning")
        if self.untrained:
            self.notify(self.untrained_note(), severity="warning", timeout=10)
        if self.corpus is None and self.corpus_failed is None:
            self.query_one(CorpusPane).show_source(info.corpus_source, f"{info.model}; loading corpus…")
        if self.pending_prompt is not None:
            prompt, self.pending_prompt = self.pending_prompt, None
            self.generate(prompt)

    def on_corpus_loaded(self, message: msg.CorpusLoaded) -> None:
        self.corpus, self.corpus_loading = message.corpus, False
        fraction = self.run_info.val_fraction if self.run_info else 0.1
        self.query_one(CorpusPane).show_corpus(message.corpus, fraction)
        if self.state == "loading":
            self.set_state("idle")

    def on_failed(self, message: msg.Failed) -> None:
        if message.what.startswith("opening"):
            self.model_failed = message.reason
            self.pending_prompt = None
        if message.what.startswith("loading corpus"):
            self.corpus_loading, self.corpus_failed = False, message.reason
            self.query_one(CorpusPane).show_source(self.corpus_source, f"not loaded: {message.reason}")
        if self.state == "loading":
            self.set_state("idle")
        self.notify(f"{message.what}: {message.reason}", severity="error", timeout=8)
