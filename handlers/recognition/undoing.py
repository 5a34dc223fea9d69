"""The words around a thanks phrase that make it thank nobody now: refusals, questions, talk about thanks...

Each rule looks at one thanks phrase in a text already folded (NFKC, lower case, mentions marked)
and names why it does not thank anyone, or says nothing. The rules are for the way members write in
Chinese and English groups; tests/labelled/thanks.jsonl measures them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

WINDOW = 24  # characters next to a phrase that anchored rules read
EARLIER = 160  # characters before a phrase where a request for help is looked for
MENTION_MARK = "\ue000"  # an @mention of someone, in the text as read (private-use characters nobody types)
EVERYONE_MARK = "\ue001"  # an @所有人


@dataclass(frozen=True, slots=True)
class Spot:
    """One thanks phrase where it stands. Rules anchored at the phrase read a WINDOW next to it,
    so that a long post costs no more per phrase."""

    phrase: str
    before: str  # its clause up to it
    after: str  # its clause after it
    following: str  # its clause after it and the rest of its sentence
    tail: str  # the end of `before`
    head: str  # the start of `after`
    next: str  # the start of the rest of its sentence
    previous: str  # the end of the message before its clause
    earlier: str  # the message before it, its last EARLIER characters
    asking: bool  # its clause is a question


def spot_at(phrase: str, clause: str, where: tuple[int, int], rest: str, earlier: str, asking: bool) -> Spot:
    """The phrase found at `where` in `clause`; `earlier` is the message before the clause."""
    before, after = clause[: where[0]], clause[where[1] :]
    told = (earlier[-EARLIER:] + before)[-EARLIER:]
    return Spot(
        phrase,
        before,
        after,
        after + rest,
        before[-WINDOW:],
        after[:WINDOW],
        rest[:WINDOW],
        earlier[-WINDOW:],
        told,
        asking,
    )


def _end(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{pattern})\s*$")


def _start(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*(?:{pattern})")


# "特别感谢" is not a "别感谢" (don't thank), nor "要不要感谢" a "不要感谢"; "首先感谢" is not in advance.
_NOT = (
    r"(?<!用)不用|不必|无需|无须|(?<![特区告分级性类个识辨])别|(?<!要)不要|甭|用不着|何必|(?<!需)不需要"
    r"|没什么好|没啥好|有啥好|有什么好"
)
# 周 and 季 are surnames too ("谢谢周老师"): a thanks week or season only ends there or is an event.
_NOMINAL = (
    r"名单|信(?![任赖息])|函|卡(?!顿)|日(?![常夜])|节(?!目)|[周季](?=$|[\s,.!?。]|活动|福利)|会(?![长员议])|宴|状|词|帖|贴"
    r"|模板|文案|环节|活动(?![组中里期上当现])|视频|海报|墙|榜|大促|回馈|专场|红包|礼包|清单|仪式|致辞|晚会"
    r"|典礼|惠顾|卡片|邮件|短信|话术|记录|语(?!音)|的话|是|这个词|两个字|二字|[”\"'」』’]"
    r"|[\s-]*(?:notes?|cards?|letters?|emails?|lists?|messages?|posts?|pages?)(?![a-z])"
)
_TELLING = (
    r"记得|别忘|不要忘|还不快|快去|赶紧去|你们?(?:也|都|就|自己)?(?:要|得|应该|该|去|快|可以|需要|记得)"
    r"|you (?:should|can|could|need to|have to|must)|remember to|don'?t forget to"
)
# (why, where it looks, what it looks for): the first rule that finds its words undoes the phrase.
# Where: the `tail` of its clause before it, the `head` after it, the `next` words of its sentence,
# the `previous` clause of its message (each a WINDOW), or all of its clause `before` it.
# Where: `before` and `after` the phrase in its clause, the `rest` of its sentence, the `following`
# words (after and rest), the `previous` clauses of its message.
_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("refusal", "tail", _end(rf"(?:{_NOT})(?:再|这么|那么|跟我|和我|对我|说|客气)?")),
    ("refusal", "tail", _end(r"(?<![a-z])(?:no|no need (?:to|for)|don'?t|do not|never)(?: say)?")),
    ("refusal", "head", _start(r"啥|什么|个啥|个毛|毛线|就不用|就免|就算了|就不必|不用|不必|,?\s*but no\b")),
    (
        "refusal",
        "previous",
        _end(r"(?:^|[\s,、:!?。\ue000])(?:不用|不必|不需要|不了)(?:了|啦|哈|呀|不用|不必)*[\s,、:]*"),
    ),
    (
        "a polite no",
        "next",
        _start(r"[,、:\s]*(?:但|不过|but)?\s*我?(?:不用了|不需要了?|不必了|不了|算了|免了|用不上了?|i'?m good)"),
    ),
    ("talk about thanks", "tail", _end(r"连一?[句声个]?|(?:不|没有?)(?:说|讲|道)?一?[声句个]?|[“\"'「『‘]")),
    ("talk about thanks", "head", _start(rf"{_NOMINAL}|错|(?:都|也)(?:显得|不|没)")),
    ("a question", "head", _start(r"(?:了|过)?(?:吗|么(?!么)|没有?|了没|了吗)")),
    ("an earlier thanks", "tail", _end(r"(?:已经|早就|早已)(?:跟|和|给|向)?|(?<![a-z])already(?: said)?")),
    ("an earlier thanks", "head", _start(r"过(?![去程来年])")),
    ("in advance", "tail", _end(r"(?<![首原优早])(?:先|提前|预先|事先|提早)(?:在此)?")),
    ("in advance", "head", _start(r"in adv")),
    ("because of", "head", _start(r"to (?:the|this|that|these|those|it|its|my|your|our)(?![a-z])")),
    ("sarcasm", "head", _start(r"(?:你|您)?(?:全家|祖宗|八辈)|for nothing")),
    ("sarcasm", "next", _start(r"[,、:\s]*(?:又把|又来|害得?我?|搞得我|弄得我|白等|白跑)")),
    ("telling someone to thank", "before", re.compile(_TELLING)),
    ("a condition", "before", re.compile(r"如果|要是|假如|假设|若是|万一|(?<![a-z])if(?![a-z])")),
)
_ASKER = re.compile(
    r"你|您|他|她|有人|谁|要|该|得|应该|需要|怎么|如何|咋|要不要|是不是"
    r"|(?<![a-z])(?:did|do|does|should|shall|will|would|can|could|have|has|are|is|you|we)(?![a-z])"
)
_REQUEST = re.compile(
    r"麻烦(?![你您]了)|拜托|求助|求求|请问|请教|请帮|能不能|能否|可不可以|可以帮|帮我(?:看|查|问|找)|帮忙(?:看|查|问|找)"
    r"|有没有人|有人知道|谁知道|(?<![a-z])(?:please|pls|plz|could you|can you|would you|anyone know|does anyone)(?![a-z])"
)
_DONE = re.compile(
    r"解决|好了|好啦|搞定|成功|可以了|行了|懂了|明白了|学到|原来|找到了|弄好|修好|有用|管用"
    r"|(?<![a-z])(?:works|worked|fixed|solved|got it|found it|helped)(?![a-z])"
)
# A phrase inside another word: "对比心率" (compare heart rates), "花都谢了" (the flowers withered).
_OTHER_WORDS = re.compile(r"对比心|比心[率跳电]|[凋花].{0,2}谢了|吃.{0,3}蟹蟹")
_TIRED = _end(r"我|我们|咱们|自己|好|挺|蛮|有点|很")  # "我今天好辛苦了" is tired, not thanking
_SELF_MOCK = _end(r"我(?:可|真是|可真是?)?")
_EVERYBODY = (
    r"大家|各位|所有人|全体|诸位|群友们|家人们|宝子们|姐妹们|兄弟们|朋友们|小伙伴们|大佬们|老师们"
    r"|everyone|everybody|all(?![a-z])|guys|y'?all|you all|" + EVERYONE_MARK
)
_TO_EVERYONE = _start(r"(?:一下|下|了|啦|\s)*(?:" + _EVERYBODY + ")")
_FROM_EVERYONE = _end(r"(?:" + _EVERYBODY + r")(?:也|都|真的?|今天|这几天)?")
# What a thanks is for may be named by the brand's service: "谢谢客服电话" thanks for a phone number.
_FOR_A_THING = r"电话|号码?|热线|微信|链接|入口|渠道|联系方式|的电话"


def undoing(spot: Spot, brand_words: tuple[str, ...]) -> str | None:
    """Why this thanks phrase thanks nobody now, or None when it does."""
    for why, where, pattern in _RULES:
        if pattern.search(getattr(spot, where)):
            return why
    return _in_context(spot) or _to_the_brand(spot, brand_words)


def _in_context(spot: Spot) -> str | None:
    if spot.asking and _ASKER.search(spot.before):
        return "a question"
    if _REQUEST.search(spot.earlier) and not _DONE.search(spot.earlier):
        return "a request"  # thanks for help not given yet
    if "🙂" in spot.following or "[微笑]" in spot.following:
        return "sarcasm"  # the slight smile reads as a sneer in Chinese chat
    if _OTHER_WORDS.search(spot.before[-3:] + spot.phrase + spot.after[:3]):
        return "another word"
    if spot.phrase.startswith("辛苦") and _TIRED.search(spot.tail):
        return "another word"
    if _SELF_MOCK.search(spot.tail) and re.match(r"\s*(?:你|您)", spot.after):
        return "sarcasm"  # "我谢谢你" is the ironic idiom
    if spot.phrase == "谢谢" and spot.after.startswith("参与"):
        return "talk about thanks"  # a lottery's blank, not "感谢参与讨论的 @bob"
    if "你" in spot.before and re.search(r"吧(?:哈+|啊|呀)?[\s\W]*$", spot.after[-8:]):
        return "telling someone to thank"  # "你自己谢谢你自己吧"
    return None


def _to_the_brand(spot: Spot, brand_words: tuple[str, ...]) -> str | None:
    after, before = _brand_patterns(brand_words)
    if after is not None and after.search(spot.head):
        return "the brand"
    if before is not None and before.search(spot.tail):
        return "the brand"
    return None


@functools.lru_cache(maxsize=16)
def _brand_patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """Thanks to the brand, its service or the bot: named right after the phrase ("谢谢客服", "谢谢小米
    官方"), or right before it ("客服小哥辛苦了", "官方感谢")."""
    if not words:
        return None, None
    names = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    filler = r"(?:\s|一下|下|一波|一声|了|啦|你们|您们|咱们|我们|的|亲爱的|可爱的|贴心的|靠谱的|给力的|the|our|to)*"
    after = re.compile(
        rf"^{filler}[^\s你您他她它帮找联系的,{MENTION_MARK}]{{0,4}}?(?:{names})(?![a-z])(?!{_FOR_A_THING})"
    )
    before = _end(rf"(?:{names})(?:们|小姐姐|小哥哥?|同学|大大|团队|也|都|真的?|太|好)*")
    return after, before


def to_everyone(spot: Spot) -> bool:
    """A thanks to everyone (谢谢大家, 大家辛苦了, 感谢@所有人): no member in particular."""
    return bool(_TO_EVERYONE.search(spot.head) or _FROM_EVERYONE.search(spot.tail))
