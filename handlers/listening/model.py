"""A small linear model over character n-grams, read beside the rules of `matching.py`.

The rules are precise, but they know only the phrases someone wrote down: on messages nobody had looked
at they found about half the complaints. The model reads every message the same way, as the characters
(and Latin words) it is made of, one to three at a time, and gives three probabilities: complaint,
question, other ("other" the reference class, its score 0). Its weights are trained by
`python -m bench.listening_train` (bench/listening_sets/train.jsonl and tests/labelled/listening*.jsonl)
and shipped in `weights.json`; at run time it is one dictionary look-up per n-gram: no download, no
numerical library, and no need for jieba's dictionary.

A message is a complaint when the model is sure enough on its own, or a little sure and the rules agree;
else a question, the same way with the question thresholds. The four thresholds were chosen by
cross-validation on the training set, never on the held-out sets (bench/listening_sets/heldout).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

# A Latin word or number, a Chinese character, a mark that says something (?!), an emoji, or other
# punctuation, which only separates; spaces are not read (between Latin words they are just spaces)
_UNIT = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]|[?!]|[\U0001F300-\U0001FAFF]|[^\s\w?!]+|[^\s]")
_DIGITS = re.compile(r"[0-9]+")
_SEPARATOR = "|"
_LONGEST_NGRAM = 3
_DAMPING = 0.75
SHORTEST = 3  # Chinese characters and Latin words: a shorter message is the rules' to flag, not the model's alone
CLASSES = ("complaint", "question")  # scored against "other"


def units(folded: str) -> list[str]:
    """The message as the model reads it: "^", Chinese characters, Latin words (digits as "0"),
    "?" and "!", emoji, "|" where other punctuation separates, "$"."""
    out = ["^"]
    for m in _UNIT.finditer(folded):
        unit = m.group()
        first = unit[0]
        if first.isascii() and first.isalnum():
            unit = _DIGITS.sub("0", unit)
        elif first in "?!" or "\U0001f300" <= first <= "\U0001faff":
            pass
        elif not ("\u3400" <= first <= "\u9fff"):
            unit = _SEPARATOR
        if unit != _SEPARATOR or out[-1] != _SEPARATOR:
            out.append(unit)
    if out[-1] == _SEPARATOR:
        out.pop()
    out.append("$")
    return out


def ngrams(seq: Sequence[str]) -> set[str]:
    """Every run of one to three units, each counted once."""
    found: set[str] = set()
    for n in range(1, _LONGEST_NGRAM + 1):
        for i in range(len(seq) - n + 1):
            found.add(" ".join(seq[i : i + n]) if n > 1 else seq[i])
    found.discard("^")
    found.discard("$")
    return found


@dataclass(frozen=True, slots=True)
class Reading:
    """The model's inputs, and whether the message is too short for the model to judge alone."""

    found: dict[str, float]
    short: bool


def read(folded: str) -> Reading:
    """The n-grams, each weighing 1/n^0.75 of a message with n of them, so that a long post does not
    score higher for its length alone (its weights add up to n^0.25: with 1/sqrt(n), long neutral text
    piled up its many faintly negative words)."""
    seq = units(folded)
    grams = ngrams(seq)
    share = len(grams) ** -_DAMPING if grams else 0.0
    content = sum(1 for unit in seq if unit[0].isalnum() and unit not in ("^", "$"))
    return Reading(dict.fromkeys(grams, share), content < SHORTEST)


@dataclass(frozen=True, slots=True)
class Model:
    """The trained weights: per input, one weight per class in `CLASSES`; a bias; per class, the
    threshold on its own and the threshold when the rules agree."""

    weights: Mapping[str, Sequence[float]]
    bias: Sequence[float]
    thresholds: Sequence[Sequence[float]]

    def probabilities(self, found: Mapping[str, float]) -> tuple[float, float]:
        """The complaint's and the question's probability (the rest is "other")."""
        c, q = self.bias
        for name, value in found.items():
            w = self.weights.get(name)
            if w is not None:
                c += w[0] * value
                q += w[1] * value
        top = max(c, q, 0.0)
        ec, eq, eo = math.exp(c - top), math.exp(q - top), math.exp(-top)
        total = ec + eq + eo
        return ec / total, eq / total

    def decide(self, reading: Reading, agrees: Callable[[str], bool]) -> str | None:
        """ "complaint", "question", or None for "other"; `agrees(kind)`: do the rules say so too."""
        return decide(self.probabilities(reading.found), self.thresholds, agrees, reading.short)


def decide(
    probabilities: Sequence[float],
    thresholds: Sequence[Sequence[float]],
    agrees: Callable[[str], bool],
    short: bool = False,
) -> str | None:
    """The first class whose probability reaches its threshold, the lower one where the rules agree
    (only that one for a short message: two characters say too little to go on without the rules).
    The rules are asked only between the two thresholds: most messages never need them."""
    for name, p, (alone, agreed) in zip(CLASSES, probabilities, thresholds, strict=True):
        if (p >= alone and not short) or (p >= agreed and agrees(name)):
            return name
    return None


def from_json(raw: Mapping[str, object]) -> Model:
    weights = raw["weights"]
    bias, thresholds = raw["bias"], raw["thresholds"]
    assert isinstance(weights, dict) and isinstance(bias, list) and isinstance(thresholds, list)
    return Model(
        weights={k: tuple(v) for k, v in weights.items()},
        bias=tuple(bias),
        thresholds=tuple(tuple(t) for t in thresholds),
    )


@functools.cache
def model() -> Model:
    """The shipped weights, read once per process."""
    return from_json(json.loads((resources.files("handlers.listening") / "weights.json").read_text("utf-8")))


def explain(model: Model, found: Mapping[str, float], top: int = 8) -> Iterator[tuple[str, float, float]]:
    """The inputs that weighed most, for a reader wondering why (`python -m bench.listening_train --explain`)."""
    scored = [(n, model.weights[n][0] * v, model.weights[n][1] * v) for n, v in found.items() if n in model.weights]
    yield from sorted(scored, key=lambda s: -max(abs(s[1]), abs(s[2])))[:top]
