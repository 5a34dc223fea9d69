"""How a group message reads: its sentences, the thanks phrases in them, and the words that undo them.

Pure and cheap: the patterns are compiled once (per phrase list and brand words), and a message is
read in one pass. `read` returns each sentence with what it does with thanks (`Sense`) and the
names it @mentions; `handlers/recognition/thanks.py` decides whom the message thanks from that.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.mentions import is_everyone, mention_pattern
from handlers.recognition.undoing import EVERYONE_MARK, MENTION_MARK, Spot, spot_at, to_everyone, undoing

_MARKS = MENTION_MARK + EVERYONE_MARK
_UNMARK = str.maketrans("", "", _MARKS)
_WORDY = re.compile(r"[^\W_]")  # a letter or a digit, in any script
# Sentences end at these; a full stop only before a space or the end ("2.3.1" is a version).
_SENTENCE = re.compile(r"(?:[^。!?;\n~.]|\.(?!\s|$))+(?:[。!?;\n~]+|\.+)?|[。!?;\n~.]+")
# Clauses: commas, enumeration commas, colons, and a space between two Chinese characters.
_CLAUSE_BREAK = re.compile(r"[,、:]|(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


class Sense(StrEnum):
    """What a sentence does with thanks."""

    NONE = "none"  # no thanks phrase
    UNDONE = "undone"  # phrases only in senses that thank nobody now (a refusal, a question, ...)
    PERSONAL = "personal"  # thanks whom it mentions, else whom the message quotes or mentions
    EVERYONE = "everyone"  # thanks everyone (大家, @所有人): only a member it names in particular


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # normalised (NFKC, lower case), each @mention a mark
    names: tuple[str, ...]  # the names it @mentions (folded), less those in `aside`
    aside: tuple[str, ...]  # names addressed in a clause of their own about something else ("@dave 你的问题…")
    sense: Sense
    why: tuple[str, ...] = ()  # the rules that undid its phrases (logged, and tested)

    @property
    def bare(self) -> bool:
        """Nothing but mentions (and punctuation or emoji): it goes with the rest of the message."""
        return not _WORDY.search(self.text.translate(_UNMARK))


def fold(text: str) -> str:
    """Full-width letters, digits and punctuation to ASCII, U+2005 and U+3000 to spaces, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def read(text: str, phrases: tuple[str, ...], brand_words: tuple[str, ...], names: tuple[str, ...]) -> list[Sentence]:
    """The message's sentences, each with its sense and its mentioned names (as `fold` gives them)."""
    marked, mentioned = _mark(text, names)
    pattern, left = phrase_pattern(phrases), iter(mentioned)
    sentences, done = [], ""
    for found in _SENTENCE.finditer(fold(marked)):
        sentence = found.group()
        own = [next(left) for _ in range(sentence.count(MENTION_MARK))]
        sentences.append(_sentence(sentence, own, done, pattern, brand_words))
        done += sentence
    return sentences


def _mark(text: str, names: tuple[str, ...]) -> tuple[str, list[str]]:
    """Each @mention replaced by a mark; the names of those that are not @所有人, in order."""
    mentioned: list[str] = []

    def mark(found: re.Match[str]) -> str:
        name = found.group()[1:]
        if is_everyone(name):
            return f" {EVERYONE_MARK} "
        mentioned.append(fold(name))
        return f" {MENTION_MARK} "

    typed = text.translate(_UNMARK)  # nobody types these; should someone, they mark nothing
    return mention_pattern(names).sub(mark, typed), mentioned


def _sentence(text: str, names: list[str], earlier: str, pattern: re.Pattern[str], brand: tuple[str, ...]) -> Sentence:
    if pattern.search(text) is None:
        return Sentence(text, tuple(names), (), Sense.NONE)
    spots = _spots(text, earlier, pattern)
    aside = _aside(text, names, pattern)
    thanked = tuple(n for n in names if n not in aside)
    undone = [undoing(spot, brand) for spot in spots]
    if all(undone):
        return Sentence(text, tuple(names), (), Sense.UNDONE, tuple(dict.fromkeys(str(u) for u in undone)))
    kept = [s for s, u in zip(spots, undone, strict=True) if u is None]
    sense = Sense.EVERYONE if all(to_everyone(s) for s in kept) else Sense.PERSONAL
    return Sentence(text, thanked, aside, sense, tuple(dict.fromkeys(u for u in undone if u)))


def _spots(text: str, earlier: str, pattern: re.Pattern[str]) -> list[Spot]:
    spots = []
    clauses = _clauses(text)
    for number, (begin, clause) in enumerate(clauses):
        asking = _asks(clause, last=number == len(clauses) - 1, sentence=text)
        rest, told = text[begin + len(clause) :], earlier + text[:begin]
        for found in pattern.finditer(clause):
            spots.append(spot_at(found.group(), clause, found.span(), rest, told, asking))
    return spots


def _clauses(text: str) -> list[tuple[int, str]]:
    """(where it starts, the clause) for each clause of a sentence, separators left out."""
    clauses, start = [], 0
    for found in _CLAUSE_BREAK.finditer(text):
        clauses.append((start, text[start : found.start()]))
        start = found.end()
    clauses.append((start, text[start:]))
    return clauses


_ASKING_END = re.compile(r"(?:吗|么|嘛|呢|没|没有|不)[\s\W\ue000]*$")
_ASKING_WORDS = re.compile(r"要不要|是不是|该不该|有没有|需不需要|用不用|应不应该|好不好|怎么|如何|咋")


def _asks(clause: str, *, last: bool, sentence: str) -> bool:
    ends_asking = last and "?" in sentence[-3:]
    return ends_asking or bool(_ASKING_END.search(clause[-8:]) or _ASKING_WORDS.search(clause))


_TALKS_TO = re.compile(rf"\s*(?:{MENTION_MARK}\s*)+(?:你|您|you\b)")


def _aside(text: str, names: list[str], pattern: re.Pattern[str]) -> tuple[str, ...]:
    """Names whose own clause talks to them about something else: "谢谢 @bob，@dave 你的问题晚点回"."""
    aside: list[str] = []
    index = 0
    for _, clause in _clauses(text):
        count = clause.count(MENTION_MARK)
        if _TALKS_TO.match(clause) and not pattern.search(clause):
            aside.extend(names[index : index + count])
        index += count
    return tuple(aside)


def says_thanks(text: str, phrases: Iterable[str]) -> bool:
    """Whether any of the phrases is in the text, whatever it means there."""
    return phrase_pattern(tuple(phrases)).search(fold(text)) is not None


@functools.lru_cache(maxsize=16)
def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any of the phrases (as `fold` gives them). A Latin phrase is a word of its own ("thanks", not
    "thanksgiving"), its last letter as often as people type it ("thanksss", "tyyy"), said once or
    more ("3q3q")."""
    parts = []
    for phrase in sorted({fold(p) for p in phrases if p.strip()}, key=len, reverse=True):
        escaped = re.escape(phrase).replace(r"\ ", r"\s+")
        if phrase.isascii() and phrase[-1].isalpha():
            escaped += "+"
        parts.append(rf"(?<![a-z0-9])(?:{escaped})+(?![a-z0-9])" if phrase.isascii() else escaped)
    return re.compile("|".join(parts))
