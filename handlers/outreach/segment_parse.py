"""The segment expression language: Chinese first, English aliases; parsed to a small tree, no database.

    阶段=活跃 且 群=产品体验群 且 非 沉默>=14
    (入群<=7 或 近30天收到感谢>=3) and not 反馈>=1
    stage=active and thanks_received[30d]>=3

An atom is FIELD OP VALUE; atoms combine with 且/and, 或/or, 非/not and brackets. Errors name the
unknown field, value or word and say what would be understood (see `SegmentProblem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import UsageError


class Kind(StrEnum):
    """What a field's value is, which decides the operators it takes."""

    CHOICE = "choice"  # one of a few words: = and !=
    NAME = "name"  # a room, title or campaign, looked up when the segment runs: = and !=
    DAYS = "days"  # an age in days: < <= > >=
    COUNT = "count"  # a number of things (a period may apply): every operator
    ITEM = "item"  # a count, or = one thing (FB-12, #12)


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # the canonical English name
    zh: str  # the name the Chinese docs use
    kind: Kind
    aliases: tuple[str, ...] = ()
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # value -> its words
    period: bool = False  # takes 近N天 / [Nd]


FIELDS: tuple[Field, ...] = (
    Field(
        "stage",
        "阶段",
        Kind.CHOICE,
        ("koc阶段", "koc_stage"),
        (
            ("member", ("成员", "普通成员")),
            ("candidate", ("候选", "候选人")),
            ("active", ("活跃", "在任")),
            ("resting", ("休息", "暂停")),
            ("alumni", ("校友", "名人堂")),
        ),
    ),
    Field("domain", "领域", Kind.CHOICE, ("koc_domain",), (("private", ("私域",)), ("public", ("公域",)))),
    Field("room", "群", Kind.NAME, ("社群", "群聊", "community")),
    Field("joined", "入群", Kind.DAYS, ("入群天数", "join", "joined_days")),
    Field("silent", "沉默", Kind.DAYS, ("沉默天数", "silent_days")),
    Field("thanks_received", "收到感谢", Kind.COUNT, ("被感谢", "received"), period=True),
    Field("thanks_given", "送出感谢", Kind.COUNT, ("感谢他人", "given"), period=True),
    Field("points", "积分", Kind.COUNT),
    Field("title", "称号", Kind.NAME, ("头衔",)),
    Field("feedback", "反馈", Kind.COUNT, ("提交反馈", "feedback_submitted"), period=True),
    Field("adopted", "被采纳", Kind.COUNT, ("采纳", "feedback_adopted"), period=True),
    Field("plus_one", "+1", Kind.ITEM, ("附议", "plus1"), period=True),
    Field("thread", "报告问题", Kind.ITEM, ("问题", "threads", "thread_reported"), period=True),
    Field("campaign", "活动", Kind.NAME, ("参与活动", "campaign_participation")),
)
_BY_NAME = {name.casefold(): f for f in FIELDS for name in (f.key, f.zh, *f.aliases)}
_OPERATORS = {
    "=": "=",
    "==": "=",
    "!=": "!=",
    ">=": ">=",
    "<=": "<=",
    ">": ">",
    "<": "<",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
}
_AND = {"且", "并且", "而且", "和", "and", "&", "&&"}
_OR = {"或", "或者", "or", "|", "||"}
_NOT = {"非", "不是", "not", "!"}
_DAYS = re.compile(r"(\d{1,5})\s*(?:天|日|d|days?)?", re.I)
_PERIOD_PREFIX = re.compile(r"(?:近|最近)(\d{1,5})(?:天|日)")
_PERIOD_SUFFIX = re.compile(r"\[(\d{1,5})\s*(?:天|日|d|days?)?\]", re.I)
_TOKEN = re.compile(
    r"\s*(?:(?P<open>[(（])|(?P<close>[)）])|(?P<quoted>[\"“「『](?P<inner>[^\"”」』]*)[\"”」』])"
    r"|(?P<op>>=|<=|!=|==|≥|≤|≠|[=<>])|(?P<word>[^\s()（）=<>!≥≤≠\"“「『]+|!|&&|\|\||[&|]))"
)


@dataclass(frozen=True, slots=True)
class Atom:
    field: Field
    op: str
    value: str  # the canonical value: a choice's key, a name, or digits
    period_days: int | None = None
    item: bool = False  # the value names one thing (FB-12, #12), not a count


@dataclass(frozen=True, slots=True)
class Not:
    inner: Node


@dataclass(frozen=True, slots=True)
class Both:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Either:
    parts: tuple[Node, ...]


Node = Atom | Not | Both | Either


class SegmentProblem(UsageError):
    """The expression is wrong; `reason` picks the explanation in outreach/segment_problem."""

    def __init__(self, reason: str, field: Field | str | None = None, **params: object) -> None:
        names = (field.zh, field.key) if isinstance(field, Field) else (field, field)
        super().__init__(
            "outreach/segment_problem",
            reason=reason,
            field=names[0],
            field_en=names[1],
            fields=[f.zh for f in FIELDS],
            fields_en=[f.key for f in FIELDS],
            **params,
        )


def tokens(text: str) -> list[str]:
    """The expression's words, brackets, operators and quoted names (quotes removed, marked by a NUL)."""
    out: list[str] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            raise SegmentProblem("syntax", near=text[pos : pos + 12])
        pos = found.end()
        if found["quoted"] is not None:
            out.append("\0" + found["inner"])
        else:
            out.append(next(v for k, v in found.groupdict().items() if v is not None and k != "inner"))
    return out


def parse(text: str) -> Node:
    """The tree of `text`; raises SegmentProblem."""
    words = tokens(text)
    if not words:
        raise SegmentProblem("empty")
    parser = _Parser(words)
    node = parser.either()
    if parser.pos < len(words):
        raise SegmentProblem("syntax", near=_shown(words[parser.pos]))
    return node


def _shown(word: str) -> str:
    return word.lstrip("\0")


class _Parser:
    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.pos = 0

    def _peek(self) -> str | None:
        return self.words[self.pos] if self.pos < len(self.words) else None

    def _is(self, group: set[str]) -> bool:
        word = self._peek()
        return word is not None and word.casefold() in group

    def either(self) -> Node:
        parts = [self.both()]
        while self._is(_OR):
            self.pos += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else Either(tuple(parts))

    def both(self) -> Node:
        parts = [self.unary()]
        while True:
            if self._is(_AND):
                self.pos += 1
            elif self._peek() is None or self._peek() in (")", "）") or self._is(_OR):
                break
            parts.append(self.unary())  # two conditions side by side: both must hold
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def unary(self) -> Node:
        word = self._peek()
        if word is None:
            raise SegmentProblem("incomplete")
        if self._is(_NOT):
            self.pos += 1
            return Not(self.unary())
        if word in ("(", "（"):
            self.pos += 1
            inner = self.either()
            if self._peek() not in (")", "）"):
                raise SegmentProblem("bracket")
            self.pos += 1
            return inner
        return self.atom()

    def atom(self) -> Atom:
        name = self.words[self.pos]
        op = self.words[self.pos + 1] if self.pos + 1 < len(self.words) else None
        value = self.words[self.pos + 2] if self.pos + 2 < len(self.words) else None
        if op not in _OPERATORS:
            field, _ = _field(name)  # an unknown field is the likelier mistake: name it first
            raise SegmentProblem("needs_op", field=field)
        if value is None or value in _OPERATORS or value in ("(", "（", ")", "）"):
            raise SegmentProblem("needs_value", field=_field(name)[0])
        self.pos += 3
        return make_atom(name, _OPERATORS[op], value)


def _field(name: str) -> tuple[Field, int | None]:
    """The field a word names, and the period (days) written with it: 近30天收到感谢, 收到感谢[30天]."""
    period: int | None = None
    word = name.lstrip("\0")
    if prefix := _PERIOD_PREFIX.match(word):
        period, word = int(prefix[1]), word[prefix.end() :]
    if suffix := _PERIOD_SUFFIX.search(word):
        period, word = int(suffix[1]), word[: suffix.start()]
    field = _BY_NAME.get(word.casefold())
    if field is None:
        raise SegmentProblem("unknown_field", field=word or name)
    if period is not None and not field.period:
        raise SegmentProblem("no_period", field=field)
    return field, period


def make_atom(name: str, op: str, value: str) -> Atom:
    field, period = _field(name)
    shown = value.lstrip("\0")
    if field.kind in (Kind.CHOICE, Kind.NAME):
        if op not in ("=", "!="):
            raise SegmentProblem("bad_op", field=field, op=op, allowed=["=", "!="])
        return Atom(field, op, _choice(field, shown) if field.kind is Kind.CHOICE else shown)
    if field.kind is Kind.ITEM and op in ("=", "!=") and (item := _item(shown)) is not None:
        return Atom(field, op, item, period, item=True)
    if field.kind is Kind.DAYS and op in ("=", "!="):
        raise SegmentProblem("bad_op", field=field, op=op, allowed=["<", "<=", ">", ">="])
    number = _DAYS.fullmatch(shown)
    if number is None:
        raise SegmentProblem("bad_number", field=field, value=shown)
    return Atom(field, op, number[1], period)


def _choice(field: Field, word: str) -> str:
    for key, words in field.choices:
        if word.casefold() in (key, *words):
            return key
    keys = [key for key, _ in field.choices]
    raise SegmentProblem(
        "unknown_value", field=field, value=word, allowed=[w[0] for _, w in field.choices], allowed_en=keys
    )


def _item(word: str) -> str | None:
    found = re.fullmatch(r"(?:FB-|#|＃)(\d{1,9})", word, re.I)
    return found[1] if found else None
