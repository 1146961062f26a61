"""Small corpora of shapes the defaults were never tuned on, generated here (seeded), for the start-state tests.

Each comes with the prompts a user of that text would type first. Every corpus holds a few characters that
occur once or twice (`$`, `&`, `3` in the play), the ones an untrained start state falls into.
"""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class OwnCorpus:
    name: str
    text: str
    prompts: tuple[str, ...]  # what opens this text's typical lines


WORDS = ("the king is dead and the night is long we shall see what comes of it my lord I will not go "
         "there is a light in the window speak to me tell me why you came so late").split()
SPEAKERS = ("HAMLET", "OPHELIA", "POLONIUS", "GERTRUDE", "HORATIO", "VALENTINE")


def _sentence(rng: random.Random, words, low=4, high=11) -> str:
    text = " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))
    return text[0].upper() + text[1:] + rng.choice(".?!.")


def play(rng: random.Random, speeches: int = 3600) -> OwnCorpus:
    parts = []
    for i in range(speeches):
        lines = [_sentence(rng, WORDS) for _ in range(rng.randint(1, 3))]
        parts.append(f"{rng.choice(SPEAKERS)}: " + "\n".join(lines) + "\n\n")
        if i in (120, 1310):
            parts.append("[Exit $3 & all]\n\n")  # the rare characters
    return OwnCorpus("play", "".join(parts), ("HAMLET:", "VALENTINE", "OPHELIA: ", "H"))


NAMES = ("total", "count", "value", "items", "result", "index", "name", "size")


def code(rng: random.Random, functions: int = 3500) -> OwnCorpus:
    parts = []
    for i in range(functions):
        a, b = rng.sample(NAMES, 2)
        body = rng.choice((f"    return {a} + {b}\n", f"    if {a} > {b}:\n        return {a}\n    return {b}\n",
                           f"    for x in {a}:\n        {b} += x\n    return {b}\n"))
        parts.append(f"def {rng.choice(NAMES)}_{i % 7}({a}, {b}):\n{body}\n\n")
        if i == 700:
            parts.append("# ~@^ legacy\n\n")
    return OwnCorpus("code", "".join(parts), ("def ", "    return ", "    if "))


CYRILLIC = ("и в не на я он что тот быть с а весь это как она по но они к у ты из мы за вы так же от сказать "
            "этот который мочь человек о один еще бы такой только себя свое какой когда уже для вот кто да "
            "говорить год знать мой до или если время рука нет самый ни стать большой даже другой наш").split()


def cyrillic(rng: random.Random, sentences: int = 8000) -> OwnCorpus:
    text = "\n".join(_sentence(rng, CYRILLIC) for _ in range(sentences)) + "\n"
    at = len(text) // 3
    text = text[:at] + " № " + text[at:]  # a rare sign
    return OwnCorpus("cyrillic", text, ("Он ", "Я ", "Когда "))


def quoted(rng: random.Random, messages: int = 7500) -> OwnCorpus:
    """A mailing-list thread: every line opens with punctuation (quote marks, dashes, bullets)."""
    parts = []
    for i in range(messages):
        mark = rng.choice(("> ", "> > ", "- ", "* ", "-- "))
        parts.append(f"{mark}{_sentence(rng, WORDS)}\n")
        if i == 2000:
            parts.append("%%% {~} %%%\n")
    return OwnCorpus("quoted", "".join(parts), ("> ", "- ", "* ", "> > "))


def all_corpora(seed: int = 0) -> list[OwnCorpus]:
    return [make(random.Random(seed)) for make in (play, code, cyrillic, quoted)]
