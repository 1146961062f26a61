"""`chargen generate`: stream text from a trained run with any sampling strategy, or compare them all."""
from __future__ import annotations

import re
import sys
import time
from dataclasses import asdict

from ..config import MAX_SEED
from ..errors import SettingsError
from ..generate import (MAX_BEAMS, MAX_LENGTH_PENALTY, MAX_REPETITION_PENALTY, MAX_TEMPERATURE,
                        MIN_REPETITION_PENALTY, MIN_TEMPERATURE, STRATEGIES, SamplerSettings)
from .common import add_home_flag, print_json, resolve_run_arg, say

SETTING_FLAGS = ("strategy", "temperature", "k", "p", "min_p", "beams", "length_penalty", "repetition_penalty")
IMPORTS_TF_ITSELF = True  # it never does: generation reads numpy weights (an old run is converted once)
JSON_MAX_LENGTH = 1_000_000  # --json holds the text until its last line: about 1 MB of JSON at most
# Used to check settings before the run (and its vocabulary) is loaded; k is clamped later if too large.
_ANY_VOCAB = 1 << 30


def add_parser(subparsers):
    p = subparsers.add_parser(
        "generate", help="generate text from a trained run",
        description="Stream generated text to stdout. Prompt characters outside the vocabulary are dropped "
                    "(and reported on stderr); an empty prompt starts from a newline.")
    p.add_argument("run_dir", metavar="RUN", nargs="?", default=None,
                   help="a run folder, a run name from `chargen runs`, or a bundled model (default: the bundled one)")
    add_home_flag(p)
    p.add_argument("--prompt", default="", help="text to continue (default: empty)")
    p.add_argument("--strategy", choices=STRATEGIES, default=None, help="sampling strategy (temperature)")
    p.add_argument("--temperature", type=float, default=None,
                   help=f"T: 0 is greedy, else {MIN_TEMPERATURE:g} to {MAX_TEMPERATURE:g} (0.8)")
    p.add_argument("--k", type=int, default=None, help="top-k: sample among the k most likely (5)")
    p.add_argument("--p", type=float, default=None, help="top-p: nucleus mass in (0, 1] (0.9)")
    p.add_argument("--min-p", dest="min_p", type=float, default=None, help="min-p: in (0, 1] (0.05)")
    p.add_argument("--beams", type=int, default=None, help=f"beam: width B, 1 to {MAX_BEAMS} (4)")
    p.add_argument("--length-penalty", dest="length_penalty", type=float, default=None,
                   help=f"beam: length normalisation alpha, 0 to {MAX_LENGTH_PENALTY:g} (0)")
    p.add_argument("--repetition-penalty", dest="repetition_penalty", type=float, default=None,
                   help=f"> 1 discourages recently seen characters, 1 = off; {MIN_REPETITION_PENALTY:g} to "
                        f"{MAX_REPETITION_PENALTY:g} (default: 1)")
    p.add_argument("--stop", action="append", metavar="STR", default=None,
                   help="end when the output ends with STR (repeatable; escapes like \\n and \\t are understood)")
    p.add_argument("--length", type=int, default=200, help="characters to generate (200)")
    p.add_argument("--seed", type=int, default=None, help="random seed: the same seed gives the same text (default: random)")
    p.add_argument("--which", choices=("best", "last"), default="best", help="which saved model to use (best)")
    p.add_argument("--compare", action="store_true", help="run the 12 strategies of the comparison table")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last stdout line")
    return p


def settings_from_args(args) -> SamplerSettings:
    given = {name: getattr(args, name) for name in SETTING_FLAGS if getattr(args, name, None) is not None}
    settings = SamplerSettings(**given)
    settings.validate(_ANY_VOCAB)
    if args.length < 0:
        raise SettingsError(f"--length must be an integer >= 0, got {args.length}")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise SettingsError(f"--seed must be an integer from 0 to {MAX_SEED}, got {args.seed}")
    return settings


FLUSH_HZ = 60  # stdout flushes per second while streaming, at most

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "0": "\0"}


def stop_strings(raw: list[str] | None) -> tuple[str, ...]:
    """--stop values with backslash escapes turned into characters; an empty one is bad input."""
    out = []
    for value in raw or ():
        text = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), value)
        if not text:
            raise SettingsError("--stop must not be empty (it would end the generation before it starts)")
        out.append(text)
    return tuple(out)


def run(args) -> int:
    settings = settings_from_args(args)  # bad settings fail before the (slow) model load
    stop = stop_strings(getattr(args, "stop", None))
    from ..generate import Generator  # numpy: the run's weights are read without TensorFlow

    gen = Generator.from_run(resolve_run_arg(args), which=args.which)
    loading = len(gen.notices)
    for notice in gen.notices:  # a damaged file skipped for an older one: said as `chargen eval` says it
        say(f"chargen: notice: {notice}")
    if args.compare:
        return _compare(gen, args)
    for notice in gen.check(args.prompt, settings, args.length, args.seed)[1][loading:]:
        say(f"note: {notice}")  # before the text, so they are not lost below it
    length = args.length
    if args.json and length > JSON_MAX_LENGTH:  # the JSON line holds the whole text, in memory until the end
        say(f"note: --json keeps the whole text in memory for its last line: --length {length:,} capped at "
            f"{JSON_MAX_LENGTH:,} characters (without --json any length streams in flat memory)")
        length = JSON_MAX_LENGTH
    out = sys.stdout
    flushed = [time.perf_counter()]

    def write(char) -> None:
        out.write(char.char)
        # Stream: the text shows as it is made, flushed at up to FLUSH_HZ rather than once per character (a
        # system call each, at 10,000+ chars/s); a slow strategy still flushes every character.
        now = time.perf_counter()
        if now - flushed[0] >= 1 / FLUSH_HZ:
            out.flush()
            flushed[0] = now

    # Without --json nothing is kept: the text is on stdout already, and memory stays flat for any --length.
    result = gen.generate(args.prompt, settings, length, args.seed, on_char=write, stop=stop, keep_text=args.json)
    out.write("\n")
    out.flush()
    if args.json:
        print_json({"prompt": args.prompt, **asdict(result)})
    return 0


def _compare(gen, args) -> int:
    start = time.perf_counter()
    results = gen.compare(args.prompt, args.length, args.seed)
    elapsed = time.perf_counter() - start
    for notice in dict.fromkeys(n for _, r in results for n in r.notices if n not in gen.notices):
        say(f"note: {notice}")  # compare prints nothing until every strategy is done
    width = max(len(label) for label, _ in results)
    for label, result in results:
        print(f"{label:<{width}}  {result.text!r}", flush=True)
    if args.json:
        total = sum(r.chars for _, r in results)
        print_json({
            "prompt": args.prompt,
            "chars": total,
            "chars_per_second": total / elapsed if elapsed > 0 else 0.0,
            "strategies": [{"label": label, **asdict(r)} for label, r in results],
        })
    return 0
