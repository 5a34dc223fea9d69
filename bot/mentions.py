"""@mentions as people type them: a half- or full-width at sign, a name, and WeChat's U+2005 after it."""

from __future__ import annotations

import functools
import re

AT_SIGNS = "@＠"
# WeChat ends a mention it inserts with U+2005 (a four-per-em space); people type the others.
AFTER_MENTION = "\u2005\u0020\u00a0\u3000"
# In the mention list WeChat stands for @所有人 (@All in its English client) with this contact id.
EVERYONE_ID = "notify@all"
EVERYONE_NAMES = frozenset({"所有人", "all"})
# A typed name ends at a space (U+2005 included), another at sign or punctuation.
_TYPED = re.compile(r"[@＠]([^\s@＠:：,，。!！?？、;；]+)")


def typed_mentions(text: str) -> list[str]:
    """The names a text @mentions, in order, once each (@所有人 included: see `is_everyone`)."""
    return list(dict.fromkeys(_TYPED.findall(text)))


def is_everyone(name: str) -> bool:
    """Whether a mentioned name is WeChat's @所有人 (@All), which notifies the whole group, not a member."""
    return name.casefold() in EVERYONE_NAMES


@functools.lru_cache(maxsize=256)
def mention_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Any @mention: one of the known `names` (they may hold spaces; the longest first, and a Latin
    name not running on into more letters), else a typed name."""
    known = "|".join(re.escape(n) for n in sorted({n for n in names if n}, key=len, reverse=True))
    return re.compile(rf"[@＠](?:{known})(?![A-Za-z0-9_])|{_TYPED.pattern}" if known else _TYPED.pattern)
