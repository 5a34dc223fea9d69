"""How alike two reports are in meaning: words (segmented), synonyms, rarity and characters, 0-100.

Pure: segmentation is passed in (`handlers.feedback.segmenter` gives jieba's). A report becomes a
`Doc`: its terms, each with a base weight (a meaning from `wording.toml` such as ~crash for 闪退 or
崩溃, a word, a light word such as "App"), and its character bigrams with each synonym read as one
character, which catch what segmentation splits differently. A `Scorer` weighs the terms by rarity
over the reports it is given (smoothed IDF: a term every report has counts least) and scores a pair:
the weighted cosine of their terms mixed with the Dice coefficient of their bigrams.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import chain, pairwise

Segment = Callable[[str], list[str]]
WORD, SHORT_WORD = 1.0, 0.5  # base weights; a lone Chinese character says less
WORDS_SHARE = 0.7  # of the score; the rest is the bigrams'
_ASCII_WORD = re.compile(r"^[a-z0-9' -]+$")
_PRIVATE_USE = 0xE000  # each meaning is one character of this plane in the bigrams


@dataclass(frozen=True, slots=True)
class Wording:
    """The table: each phrase's meanings, in one pattern (longest phrases first), light and stop words."""

    meanings: Mapping[str, tuple[str, ...]]  # broader problems included
    problems: frozenset[str]  # the meanings that say what goes wrong
    symbols: Mapping[str, str]  # each meaning's character in the bigrams
    light: frozenset[str]
    stop: frozenset[str]
    weights: Mapping[str, float]  # problem, light, different_problems
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Doc:
    """A report as the scorer sees it: base weight per term, the problems it names, character bigrams."""

    terms: Mapping[str, float]
    problems: frozenset[str]
    grams: frozenset[str]
    different_problems: float  # the factor when the other report names problems and shares none


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """English phrases match whole words only ("pay" not in "payday"); Chinese ones anywhere."""
    parts = []
    for phrase in sorted(phrases, key=lambda p: (-len(p), p)):
        escaped = re.escape(phrase)
        parts.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if _ASCII_WORD.match(phrase) else escaped)
    return re.compile("|".join(parts))


def read_wording(text: str) -> Wording:
    """Parse a wording table (the TOML of `wording.toml`)."""
    data = tomllib.loads(text)
    groups = {**data["problems"], **data["things"]}
    broader = {narrow: wide for wide, narrows in data["broader"].items() for narrow in narrows}
    meanings: dict[str, tuple[str, ...]] = {}
    for group, phrases in groups.items():
        implied = (group, broader[group]) if group in broader else (group,)
        for phrase in phrases:
            key = _fold(phrase)
            meanings[key] = tuple(dict.fromkeys((*meanings.get(key, ()), *implied)))
    return Wording(
        meanings=meanings,
        problems=frozenset(data["problems"]),
        symbols={group: chr(_PRIVATE_USE + index) for index, group in enumerate(groups)},
        light=frozenset(_fold(w) for w in data["light"]["words"]),
        stop=frozenset(_fold(w) for w in data["stop"]["words"]),
        weights={key: float(value) for key, value in data["weights"].items()},
        pattern=_phrase_pattern(meanings),
    )


@cache
def default_wording() -> Wording:
    """The table shipped with the package, read once per process."""
    return read_wording((resources.files("handlers.feedback") / "wording.toml").read_text(encoding="utf-8"))


def _fold(text: str) -> str:
    """Full-width to half-width (ＡＰＰ, ：), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _stem(word: str) -> str:
    """A crude English stem, enough for plurals and -ing/-ed: pairs, pairing, paired -> pair."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.isascii() and word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def analyse(text: str, segment: Segment, wording: Wording) -> Doc:
    """The terms and bigrams of one report."""
    folded, doc = _fold(text), _Builder(wording)
    position = 0
    for match in wording.pattern.finditer(folded):
        doc.add_words(folded[position : match.start()], segment)
        doc.add_meanings(wording.meanings[match.group()])
        position = match.end()
    doc.add_words(folded[position:], segment)
    return doc.build()


class _Builder:
    """Collects one report's terms, problems and characters, in order."""

    def __init__(self, wording: Wording) -> None:
        self.wording = wording
        self.terms: dict[str, float] = {}
        self.problems: set[str] = set()
        self.chars: list[str] = []

    def add_meanings(self, meanings: tuple[str, ...]) -> None:
        for meaning in meanings:
            problem = meaning in self.wording.problems
            self._add("~" + meaning, self.wording.weights["problem"] if problem else WORD, problem)
        self.chars.append(self.wording.symbols[meanings[0]])

    def add_words(self, piece: str, segment: Segment) -> None:
        self.chars.extend(c for c in piece if c.isalnum())
        for raw in segment(piece) if piece.strip() else ():
            word = _stem(raw.strip())
            if word and any(c.isalnum() for c in word) and word not in self.wording.stop:
                self._add(word, self._weight(word), problem=False)

    def _add(self, term: str, weight: float, problem: bool) -> None:
        self.terms[term] = max(self.terms.get(term, 0.0), weight)
        if problem:
            self.problems.add(term)

    def _weight(self, word: str) -> float:
        if word in self.wording.light:
            return self.wording.weights["light"]
        return SHORT_WORD if len(word) == 1 and not word.isascii() else WORD

    def build(self) -> Doc:
        grams = frozenset(a + b for a, b in pairwise(self.chars))
        return Doc(self.terms, frozenset(self.problems), grams, self.wording.weights["different_problems"])


class Scorer:
    """Scores pairs of reports, the rarity of each term taken from `corpus` (the reports compared)."""

    def __init__(self, corpus: Collection[Doc]) -> None:
        counts, size = Counter[str](chain.from_iterable(doc.terms for doc in corpus)), len(corpus)
        self._idf = {term: math.log((size + 1) / (count + 1)) + 1 for term, count in counts.items()}
        self._unseen = math.log(size + 1) + 1

    def vector(self, doc: Doc) -> tuple[dict[str, float], float]:
        """The doc's terms weighted by rarity, and the vector's length."""
        vector = {term: base * self._idf.get(term, self._unseen) for term, base in doc.terms.items()}
        return vector, math.sqrt(sum(w * w for w in vector.values()))

    def score(self, a: Doc, b: Doc) -> int:
        return self.score_vectors(a, self.vector(a), b, self.vector(b))

    @staticmethod
    def score_vectors(
        a: Doc, a_vector: tuple[dict[str, float], float], b: Doc, b_vector: tuple[dict[str, float], float]
    ) -> int:
        """0 (nothing in common) to 100 (the same words)."""
        (left, left_length), (right, right_length) = a_vector, b_vector
        shared = sum(w * right[t] for t, w in left.items() if t in right)
        cosine = shared / (left_length * right_length) if shared else 0.0
        dice = 2 * len(a.grams & b.grams) / (len(a.grams) + len(b.grams)) if a.grams and b.grams else 0.0
        factor = a.different_problems if a.problems and b.problems and not a.problems & b.problems else 1.0
        return round(100 * factor * (WORDS_SHARE * cosine + (1 - WORDS_SHARE) * dice))
