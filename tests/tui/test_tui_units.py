"""Plain-Python pieces of the TUI: settings knobs, transcript, stream buffer, pacer, live generator, keymap."""
from __future__ import annotations

import threading

from chargen_tui.keymap import KEYS, QUIT, load_keymap
from chargen_tui.live_generator import LiveGenerator
from chargen_core.generate import SamplerSettings as S
from chargen_tui.gen_settings import LENGTHS, STRATEGIES, GenSettings
from chargen_tui.stream_pacer import Pacer, StreamBuffer
from chargen_tui.transcript import Transcript
from chargen_tui.widgets.loss_curve import plot, render_curve, resample
from tui_fakes import FakeGenerator


def test_strategy_cycles_in_order_and_wraps():
    s = GenSettings(S("greedy"))
    seen = [s.strategy]
    for _ in range(len(STRATEGIES)):
        s = s.next_strategy()
        seen.append(s.strategy)
    assert seen == [*STRATEGIES, "greedy"]


def test_knobs_clamp_and_follow_the_strategy():
    s = GenSettings(S(temperature=0.15))
    assert s.bump_temperature(-1).temperature == 0.1
    assert s.bump_temperature(-1).bump_temperature(-1).temperature == 0.1
    assert GenSettings(S(k=1)).bump_k(-1).k == 1
    assert GenSettings(S("beam", beams=4)).bump_k(1).beams == 5
    assert GenSettings(S("min-p", min_p=0.05)).bump_p(1).min_p == 0.06
    assert GenSettings(S(p=1.0)).bump_p(1).p == 1.0
    assert GenSettings(S(repetition_penalty=1.0)).bump_repetition(-1).repetition_penalty == 1.0
    assert GenSettings().bump_repetition(1).bump_repetition(1).sampling.repetition_penalty == 1.2
    assert GenSettings(length=400).bump_length(1).length == 800
    assert GenSettings(length=3200).bump_length(1).length is None  # until Esc
    assert GenSettings(length=LENGTHS[-1]).bump_length(1).length == LENGTHS[-1]
    assert GenSettings().toggle_seed(7).seed == 7 and GenSettings(seed=7).toggle_seed(3).seed is None
    assert GenSettings().next_stop().stop == ("\n\n",) and "stop=blank line" in GenSettings().next_stop().describe()


def test_transcript_is_bounded_and_exports(tmp_path):
    t = Transcript(max_exchanges=2, max_chars_each=10)
    for i in range(3):
        ex = t.begin(f"p{i}", "greedy")
        t.add(ex, "abcdefgh")
        t.add(ex, "ijklmnop")
    assert len(t.exchanges) == 2 and t.last_output == "abcdefghij"
    text = t.export(tmp_path, "header").read_text()
    assert "p2" in text and "p0" not in text and "6 more characters" in text


def test_transcript_segments_and_json_export(tmp_path):
    import json

    t = Transcript()
    ex = t.begin("hi", "greedy")
    t.add(ex, "abcd", [(0, S("greedy"))])
    t.add(ex, "efgh", [(2, S("top-k", k=3))])
    t.add(ex, "ij", [(0, S("top-k", k=3))])  # a continue with the same settings: no new segment
    data = json.loads(t.export(tmp_path, "h").with_suffix(".json").read_text())
    gen = data["generations"][0]
    assert gen["prompt"] == "hi" and gen["text"] == "abcdefghij"
    assert [(s["start"], s["settings"]["strategy"]) for s in gen["segments"]] == [(0, "greedy"), (6, "top-k")]
    assert gen["segments"][1]["settings"]["k"] == 3


def test_stream_buffer_hands_over_in_order_and_drops_superseded():
    buf = StreamBuffer(max_pending=4)
    token = buf.begin()
    for c in "abc":
        assert buf.put(c, 0.5, token)
    assert buf.take(2) == ("ab", [0.5, 0.5], [])
    new = buf.begin()
    assert not buf.put("x", 0.1, token)  # an old generation's char is dropped
    assert buf.put("y", 0.1, new) and buf.take() == ("y", [0.1], [])
    for i, c in enumerate("abcd"):
        buf.put(c, 0.5, new, mark="m" if c in "ad" else None)
    assert buf.take(2) == ("ab", [0.5, 0.5], [(0, "m")]) and buf.take() == ("cd", [0.5, 0.5], [(1, "m")])


def test_stream_buffer_blocks_writer_when_full():
    buf = StreamBuffer(max_pending=2)
    token = buf.begin()
    done = threading.Event()

    def writer():
        for c in "abcd":
            buf.put(c, 1.0, token)
        done.set()

    threading.Thread(target=writer, daemon=True).start()
    assert not done.wait(0.2) and buf.pending == 2  # back-pressure: the writer waits for the reader
    text = ""
    while not done.is_set() or buf.pending:
        text += buf.take()[0]
    assert text == "abcd"


def test_pacer_spreads_typing_speed_over_frames():
    pacer = Pacer(fps=30, cap=1000)
    assert sum(pacer.budget(60) for _ in range(30)) == 60
    assert pacer.budget(0) == 1000


def test_live_generator_defers_refresh_while_in_use():
    gen = FakeGenerator()
    live = LiveGenerator(gen)
    with live.use():
        assert live.offer([1]) is False and gen.refreshed == 0
    with live.use():
        assert gen.refreshed == 1  # applied before the next generation
    assert live.offer([2]) is True and gen.refreshed == 2


def test_keymap_overrides_and_problems(tmp_path):
    ids = [spec.id for spec in (*KEYS, QUIT)]
    assert len(ids) == len(set(ids))
    (tmp_path / "keys.toml").write_text('[keys]\n"temp.up" = "plus"\n"nope" = "x"\n')
    keymap, problems = load_keymap(tmp_path)
    assert keymap == {"temp.up": "plus"} and "nope" in problems[0]
    (tmp_path / "keys.toml").write_text("[keys\n")
    assert load_keymap(tmp_path)[0] == {} and load_keymap(tmp_path)[1]


def test_loss_curve_plot_shapes():
    assert resample([1.0, 3.0], 3) == [1.0, 2.0, 3.0]
    grid = plot([(0, 3.0), (5, 2.0), (10, 1.0)], width=4, height=2, x_range=(0, 10), lo=1.0, hi=3.0)
    assert grid[0][0] and grid[1][3] and all(any(row[c] for row in grid) for c in range(4))  # a joined line
    text = render_curve([(0, 3.0), (1, 2.0), (2, 1.0)], [(2, 2.5)], width=20, height=3).plain
    assert "3.00" in text and "1.00" in text and len(text.splitlines()) == 3
    assert "no loss yet" in render_curve([], [], 20, 3).plain


def test_core_subcommands_never_import_textual():
    import subprocess
    import sys

    code = ("import sys; from chargen_tui.__main__ import main; rc = main(['--version']); "
            "print('TEXTUAL', 'textual' in sys.modules, rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "TEXTUAL False 0" in out.stdout, out.stderr[-500:]


def test_app_arguments():
    from chargen_tui.__main__ import parse_app_args

    args = parse_app_args(["--run", "r", "--corpus", "nietzsche"])
    assert str(args.run) == "r" and args.corpus == "nietzsche"
    assert (args.distribute, args.precision) == ("auto", "auto")
    args = parse_app_args(["--distribute", "mirrored", "--precision", "mixed"])
    assert (args.distribute, args.precision) == ("mirrored", "mixed")


def test_messages_are_dataclasses():
    import dataclasses

    from chargen_tui import messages

    message_classes = [c for c in vars(messages).values()
                       if isinstance(c, type) and issubclass(c, messages.Message) and c is not messages.Message]
    assert len(message_classes) >= 9 and all(dataclasses.is_dataclass(c) for c in message_classes)
    assert messages.Failed("x", "y").reason == "y"


def test_a_setting_change_samples_one_char_at_once_even_while_the_stream_rests_for_a_key():
    import time
    from types import SimpleNamespace

    from chargen_tui.generation import GenerationControl

    buffer = StreamBuffer()
    gen = GenerationControl(host=None, live=LiveGenerator(), buffer=buffer)
    token = buffer.begin()
    worker = SimpleNamespace(is_cancelled=False)
    items = (SimpleNamespace(char="x", prob=1.0, settings=None) for _ in range(1000))
    gen.quiet(30)  # a key arrived while the stream runs free: sampling rests
    thread = threading.Thread(target=gen._pump, args=(items, worker, token))
    thread.start()
    time.sleep(0.2)
    assert buffer.pending == 0  # resting
    gen.setting_changed()
    deadline = time.perf_counter() + 5
    while buffer.pending == 0 and time.perf_counter() < deadline:
        time.sleep(0.001)
    time.sleep(0.2)
    assert buffer.pending == 1  # one char with the new setting, then the rest of the quiet
    gen.quiet_until = 0.0
    while buffer.pending < 1000 and time.perf_counter() < deadline:
        time.sleep(0.01)
    thread.join(5)
    assert buffer.pending == 1000


def test_the_heap_is_settled_at_open():
    import gc

    from chargen_tui import gc_tuning

    class Cycle:
        def __init__(self):
            self.me = self

    gc.unfreeze()
    garbage = Cycle()
    alive = Cycle()
    del garbage
    gc_tuning.settle()  # the cyclic garbage is collected first, what is alive is frozen
    assert gc.get_freeze_count() > 0 and not any(type(o) is Cycle and o is not alive for o in gc.get_objects())
    gc.unfreeze()


def test_config_folder_is_the_platform_s_unless_chargen_config_dir_says(tmp_path, monkeypatch):
    from chargen_tui.keymap import config_dir

    monkeypatch.delenv("CHARGEN_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "chargen"  # platformdirs' rule on Linux
    monkeypatch.setenv("CHARGEN_CONFIG_DIR", str(tmp_path / "mine"))
    assert config_dir() == tmp_path / "mine"
