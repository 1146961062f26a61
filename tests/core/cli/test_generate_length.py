"""Generation length: streaming keeps nothing (flat memory for any --length); --json caps a huge length."""
import json
import tracemalloc

from chargen_core.cli import generate as generate_cli
from chargen_core.cli import main
from chargen_core.generate import Generator
from chargen_core.runs import default_run_path
from chargen_core.generate import SamplerSettings


def test_streaming_without_keeping_the_text_does_not_grow_with_the_length():
    gen = Generator.from_run(default_run_path())
    settings = SamplerSettings(strategy="greedy")
    seen = [0]

    def count(char):
        seen[0] += 1

    def peak(length: int, keep: bool) -> int:
        gen.generate("The ", settings, 200, seed=0, on_char=count, keep_text=keep)  # warm caches first
        tracemalloc.start()
        try:
            result = gen.generate("The ", settings, length, seed=0, on_char=count, keep_text=keep)
            return tracemalloc.get_traced_memory()[1], result
        finally:
            tracemalloc.stop()

    short, short_result = peak(2_000, keep=False)
    long, long_result = peak(20_000, keep=False)
    kept, kept_result = peak(20_000, keep=True)
    assert long_result.chars == 20_000 and long_result.text == "" and short_result.chars == 2_000
    assert len(kept_result.text) == 20_000 and kept_result.chars_per_second > 0
    # 10x the characters, (nearly) the same peak; keeping the text costs bytes per character
    assert long < short + 64 * 1024, (short, long)
    assert kept > long + 20_000 * 4, (long, kept)  # a list of 20,000 references and the joined text


def test_json_with_a_huge_length_is_capped_with_a_notice(capsys, monkeypatch):
    monkeypatch.setattr(generate_cli, "JSON_MAX_LENGTH", 50)
    assert main(["generate", "--length", "10000000", "--json", "--seed", "1", "--prompt", "The "]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out.strip().splitlines()[-1])
    assert data["chars"] == 50 and len(data["text"]) == 50
    assert "capped at 50 characters" in err and "10,000,000" in err
