"""The listening matchers: does a group message complain about the product or service, or ask the group?

Pure and cheap (it runs on every group message nothing else took): rules on the word lists of
`lexicon.toml`, and a small linear model over the message's characters (`model.py`) that has the last
word. The rules alone are precise but know only the phrases someone wrote down (on fresh messages they
found about half the complaints); the model generalises from a training set. A message is a complaint
when the model is sure enough on its own, or somewhat sure and the rules agree; likewise a question.

The rules: the word lists compiled into a few regular expressions, then rules on what they found. A complaint needs a negative
phrase about a product or the service that is not negated ("一点都不卡"), not blamed on something else
(traffic, the boss, the cat), not outweighed by praise in the part of the message that counts (after the
last "但是/就是/but"), and not a joke. A question needs a question word, a question mark or a final
question particle, and no rhetorical turn ("难道", "这还用问"). A message that is both is a complaint.

Single characters (差, 坏, 卡...) count only where they stand alone: jieba's dictionary (the one the
feedback capability loads in the background) says whether they are part of a longer word ("差不多",
"坏消息"); until it is loaded they do not count at all.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

from bot.events import IncomingMessage
from handlers.listening.model import model, read

_MENTION = re.compile(r"@\S+?(?:\u2005|\s|$)")
_URL = re.compile(r"https?://\S+")
_A_NOT_A = re.compile(r"(.)不\1")  # "大不大", "支不支持": a question, not a complaint
_OR_QUESTION = re.compile(r"(?<![我也但可都])还是(?![很太不没一挺会有觉同和跟像])")
_TRAILING = re.compile(r"[\s。.!！~～…,，、\U0001F300-\U0001FAFF]+$")
# "一点毛病没有", "卡顿？没有": the phrase is denied right after it
_DENIED_AFTER = re.compile(r"(?:都|也|一点|完全|从来)?(?:没有|没|无)(?:了|过)?(?:[\s，。,.!！~～]|$)")
# "本来以为会硌耳朵": what was feared is no complaint
_FEARED = re.compile(r"(以为|担心|生怕|怕|还想着|本来觉得|本来(打算|想|要))[^，。,.!！?？]{0,6}$")
_WINDOW = 4  # the longest dictionary word looked for around a single character
_LONGEST = 300  # a long post is judged by its beginning: the cost stays bounded


class Kind(StrEnum):
    COMPLAINT = "complaint"
    QUESTION = "question"


@dataclass(frozen=True, slots=True)
class ListeningMatch:
    """A group message worth a moderator's attention: its kind and what it is about."""

    kind: Kind
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The compiled word lists."""

    complaint: re.Pattern[str]
    complaint_shapes: tuple[re.Pattern[str], ...]
    negators: tuple[str, ...]
    blame: re.Pattern[str]
    elsewhere: re.Pattern[str]
    praise: re.Pattern[str]
    contrast: re.Pattern[str]
    jokes: re.Pattern[str]
    help: re.Pattern[str]
    topics: re.Pattern[str]
    single: re.Pattern[str]
    complaint_words: frozenset[str]
    evaluation: re.Pattern[str]
    targets: re.Pattern[str]
    excuse: re.Pattern[str]
    promised: re.Pattern[str]
    question: re.Pattern[str]
    question_shapes: tuple[re.Pattern[str], ...]
    rhetorical: re.Pattern[str]
    final: frozenset[str]


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a list: longest first; words in Latin letters only as whole words."""
    parts = [_word(w) for w in sorted({w.lower() for w in words}, key=len, reverse=True)]
    return re.compile("|".join(parts) or "(?!)")


def _patterns(patterns: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a list of regular expressions."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)")


def _word(word: str) -> str:
    escaped = re.escape(word)
    # whole words among Latin letters, but "app" counts in "这个app太卡" (Chinese characters are \w too)
    return rf"(?<![a-z0-9_]){escaped}(?![a-z0-9_])" if word.isascii() and word[:1].isalnum() else escaped


@functools.cache
def lexicon() -> Lexicon:
    """The package's word lists, read and compiled once per process."""
    raw = tomllib.loads((resources.files("handlers.listening") / "lexicon.toml").read_text("utf-8"))
    return compile_lexicon(raw)


def compile_lexicon(raw: Mapping[str, Any]) -> Lexicon:
    c, q = raw["complaint"], raw["question"]
    return Lexicon(
        complaint=_alternation(c["phrases"]),
        complaint_shapes=tuple(re.compile(p) for p in c["patterns"]),
        negators=tuple(sorted(c["negators"], key=len, reverse=True)),
        blame=_alternation(c["blame"]),
        elsewhere=_alternation(c["elsewhere"]),
        praise=_alternation(c["praise"]),
        contrast=_alternation(c["contrast"]),
        jokes=_alternation(c["jokes"]),
        help=_alternation(c["help"]),
        topics=_alternation(c["topics"]),
        single=re.compile("[" + "".join(c["single"]) + "]"),
        complaint_words=frozenset(w.lower() for w in c["phrases"]),
        evaluation=_patterns(c["evaluation"]),
        targets=_patterns([*map(re.escape, c["topics"]), *c["targets"]]),
        excuse=_patterns(c["excuse"]),
        promised=_patterns(c["promised"]),
        question=_alternation(q["phrases"]),
        question_shapes=tuple(re.compile(p) for p in q["patterns"]),
        rhetorical=_alternation(q["rhetorical"]),
        final=frozenset(q["final"]),
    )


def fold(text: str) -> str:
    """Lower-case, full-width folded text without @mentions and links."""
    return _URL.sub(" ", _MENTION.sub(" ", unicodedata.normalize("NFKC", text))).lower().strip()


def classify(text: str, words: Mapping[str, int] | None = None) -> ListeningMatch | None:
    """A complaint, a question, or None for anything else. `words`: jieba's dictionary, if loaded."""
    lex = lexicon()
    folded = fold(text[: _LONGEST * 2])[:_LONGEST]
    if not folded:
        return None

    def agrees(kind: str) -> bool:
        return is_complaint(folded, lex, words) if kind == Kind.COMPLAINT else is_question(folded, lex)

    kind = model().decide(read(folded), agrees)
    return ListeningMatch(Kind(kind), topics_of(folded, lex)) if kind else None


def topics_of(folded: str, lex: Lexicon) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.group() for m in lex.topics.finditer(folded)))


def is_complaint(folded: str, lex: Lexicon, words: Mapping[str, int] | None) -> bool:
    if lex.blame.search(folded) or lex.excuse.search(folded):
        return False
    clause = _last_clause(folded, lex)
    hits = _negative_hits(clause, lex, words) + (1 if lex.promised.search(folded) else 0)
    if hits == 0:  # weaker evidence: a question ("这款充电会发热吗") is asked, not complained
        hits = 0 if _asks(folded, lex) else _evaluated(clause, folded, lex)
    if hits == 0:
        return False
    if lex.elsewhere.search(folded) and not lex.topics.search(folded):
        return False
    praised = _praised(clause, lex)
    if hits == 1 and (praised or lex.jokes.search(folded) or lex.help.search(folded)):
        return False
    return not praised or hits > 1


def _praised(clause: str, lex: Lexicon) -> bool:
    """A word of praise that is not part of the complaint itself ("不会再推荐", "没有图上那么好看")."""
    if not lex.praise.search(clause):
        return False
    spans = _spans(clause, lex) + [(m.start(), m.end()) for m in lex.evaluation.finditer(clause)]
    return any(not any(s < m.end() and m.start() < e for s, e in spans) for m in lex.praise.finditer(clause))


def _evaluated(clause: str, folded: str, lex: Lexicon) -> int:
    """A word that runs something down ("慢", "差点意思", "烫得吓人") counts once the message says what:
    a product, the service, or the member's own use of it ("用了三天", "买的", "这款"). Two of them
    outweigh a word of praise, as two phrases do."""
    if not lex.targets.search(folded):
        return 0
    return sum(1 for m in lex.evaluation.finditer(clause) if _counts(clause, m.start(), m.end(), lex))


def _last_clause(folded: str, lex: Lexicon) -> str:
    """What follows the last "but": "挺好的，就是物流太慢了" means the delivery."""
    cut = max((m.end() for m in lex.contrast.finditer(folded)), default=0)
    return folded[cut:] if cut < len(folded) else folded


def _negative_hits(clause: str, lex: Lexicon, words: Mapping[str, int] | None) -> int:
    spans = _spans(clause, lex)
    hits = sum(1 for start, end in spans if _counts(clause, start, end, lex))
    if words is not None:  # a character inside a phrase already counted is not counted again
        free = (m.start() for m in lex.single.finditer(clause) if not any(s <= m.start() < e for s, e in spans))
        hits += sum(1 for at in free if _stands_alone(clause, at, lex, words))
    return hits


def _spans(clause: str, lex: Lexicon) -> list[tuple[int, int]]:
    """Where the phrases and shapes matched, each stretch of text counted once."""
    found = [(m.start(), m.end()) for m in lex.complaint.finditer(clause)]
    for shape in lex.complaint_shapes:
        for m in shape.finditer(clause):
            if not any(s < m.end() and m.start() < e for s, e in found):
                found.append((m.start(), m.end()))
    return found


def _counts(text: str, start: int, end: int, lex: Lexicon) -> bool:
    """Not negated right before ("没有问题"), not asked as "A不A" ("延迟大不大")."""
    before = text[max(0, start - 3) : start].rstrip()
    if any(before.endswith(n) for n in lex.negators) or _DENIED_AFTER.match(text, end):
        return False
    if _FEARED.search(text, max(0, start - 12), start):
        return False
    if text.startswith("不", start) and start > 0 and text[start - 1 : start] == text[start + 1 : start + 2]:
        return False  # "值不值得"
    return not _A_NOT_A.match(text, end - 1)


def _stands_alone(text: str, at: int, lex: Lexicon, words: Mapping[str, int]) -> bool:
    """A single negative character that is no part of a longer (harmless) dictionary word."""
    if not _counts(text, at, at + 1, lex):
        return False
    for start in range(max(0, at - _WINDOW + 1), at + 1):
        for end in range(max(at + 1, start + 2), min(len(text), start + _WINDOW) + 1):
            word = text[start:end]
            if words.get(word) and word not in lex.complaint_words:
                return False
    return True


def is_question(folded: str, lex: Lexicon) -> bool:
    if lex.rhetorical.search(folded):
        return False
    if "?" in folded or lex.question.search(folded) or _OR_QUESTION.search(folded):
        return True
    if any(shape.search(folded) for shape in lex.question_shapes):
        return True
    stripped = _TRAILING.sub("", folded)
    return bool(stripped) and stripped[-1] in lex.final


def _asks(folded: str, lex: Lexicon) -> bool:
    """Asked outright: a question mark or a final question particle."""
    stripped = _TRAILING.sub("", folded)
    return "?" in folded or (bool(stripped) and stripped[-1] in lex.final)


def match_message(
    message: IncomingMessage, section: Any, words: Mapping[str, int] | None = None
) -> ListeningMatch | None:
    """The matcher as the router calls it: group text from a member."""
    return classify(message.text, words)
