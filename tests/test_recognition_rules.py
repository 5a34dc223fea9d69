"""Recognition's pure parts, without a database: the thanks matcher, the rules, periods and /top's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.events import Quote
from bot.router import MatcherRoute, Router
from handlers import core, recognition
from handlers.recognition.config import RecognitionSection
from handlers.recognition.reading import says_thanks
from handlers.recognition.rules import (
    Board,
    GiverFacts,
    PairFacts,
    Period,
    TopRequest,
    UnknownWord,
    day_start,
    judge,
    month_of,
    parse_month,
    parse_top,
    previous_month,
)
from handlers.recognition.tables import WhyNot
from handlers.recognition.thanks import ThanksMatch
from tests.support import contact, make_message

SECTION = RecognitionSection()
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
FRESH = GiverFacts(first_joined_at=NOW - timedelta(days=30), counted_today=0)
PAIR = PairFacts(is_self=False, is_bot=False, last_counted_at=None)


def _route(text: str, **kwargs):
    router = Router([core.registry, recognition.registry], {"recognition": SECTION})
    return router.route(make_message(text, **kwargs))


def test_thanks_with_a_mention_routes_to_the_matcher_with_a_typed_match() -> None:
    route = _route("谢谢 @bob 和 @carol 的耐心解答")
    assert isinstance(route, MatcherRoute) and route.spec.name == "thanks"
    assert route.match == ThanksMatch((contact("bob"), contact("carol")), False, "谢谢 @bob 和 @carol 的耐心解答")


def test_a_quote_is_thanked_when_nobody_is_mentioned() -> None:
    route = _route("辛苦了！", quote=Quote("好了", sender=contact("bob")))
    assert route.match == ThanksMatch((contact("bob"),), False, "辛苦了！")
    mentioned = _route("谢谢 @carol", quote=Quote("好了", sender=contact("bob")))
    assert mentioned.match.receivers == (contact("carol"),)


def test_quoting_your_own_question_with_thanks_thanks_nobody() -> None:
    assert _route("有人知道吗？先谢谢啦", quote=Quote("蓝牙连不上怎么办", sender=contact("alice"))) is None


def test_only_the_bot_thanked_is_a_thanks_to_the_bot() -> None:
    assert _route("谢谢 @kocbot").match == ThanksMatch((), True, "谢谢 @kocbot")
    assert _route("thx", quote=Quote("pong", sender=contact("kocbot"), from_bot=True)).match.to_bot
    assert _route("@kocbot 谢谢 @bob").match == ThanksMatch((contact("bob"),), False, "@kocbot 谢谢 @bob")


@pytest.mark.parametrize("text", ["今天天气不错 @bob", "谢谢大家", "thanksgiving @bob", "/thanks @bob"])
def test_not_natural_thanks(text: str) -> None:
    route = _route(text)
    assert not isinstance(route, MatcherRoute)


def test_phrases_are_configurable_and_latin_ones_match_whole_words() -> None:
    assert says_thanks("Thank   you so much", SECTION.thanks_phrases)
    assert says_thanks("多谢多谢", SECTION.thanks_phrases)
    assert not says_thanks("pretty typical", SECTION.thanks_phrases)
    assert says_thanks("感恩 @bob", ["感恩"]) and not says_thanks("谢谢", ["感恩"])


@pytest.mark.parametrize(
    ("giver", "pair", "section", "why"),
    [
        (FRESH, PAIR, SECTION, None),
        (FRESH, PairFacts(True, False, None), SECTION, WhyNot.SELF),
        (FRESH, PairFacts(False, True, None), SECTION, WhyNot.BOT),
        (FRESH, PairFacts(False, False, NOW - timedelta(hours=23)), SECTION, WhyNot.COOLDOWN),
        (FRESH, PairFacts(False, False, NOW - timedelta(hours=24)), SECTION, None),
        (FRESH, PairFacts(False, False, NOW), RecognitionSection(cooldown_hours=0), None),
        (GiverFacts(NOW, 10), PAIR, SECTION, WhyNot.DAILY_CAP),
        (GiverFacts(NOW, 10), PAIR, RecognitionSection(daily_cap=0), None),
        (GiverFacts(NOW - timedelta(days=6), 0), PAIR, RecognitionSection(newcomer_days=7), WhyNot.NEWCOMER),
        (GiverFacts(NOW - timedelta(days=7), 0), PAIR, RecognitionSection(newcomer_days=7), None),
        (GiverFacts(NOW, 10), PairFacts(True, False, NOW), SECTION, WhyNot.SELF),  # the first rule wins
    ],
)
def test_the_anti_gaming_rules(
    giver: GiverFacts, pair: PairFacts, section: RecognitionSection, why: WhyNot | None
) -> None:
    assert judge(section, NOW, giver, pair) is why


def test_months_and_days_are_the_rooms() -> None:
    late = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in Shanghai
    assert month_of(late, "Asia/Shanghai") == "2026-12" and month_of(late, "Europe/Berlin") == "2026-11"
    assert day_start(late, "Asia/Shanghai") == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert previous_month("2027-01") == "2026-12" and previous_month("2026-12") == "2026-11"
    assert parse_month("2026-3") == "2026-03" and parse_month("2026-13") is None and parse_month("上月") is None


def test_top_words_in_any_order_and_both_languages() -> None:
    assert parse_top([]) == TopRequest(Period.MONTH, Board.THANKS, brand=False)
    assert parse_top(["brand", "points", "all"]) == TopRequest(Period.ALL, Board.POINTS, brand=True)
    assert parse_top(["全品牌", "本月", "积分"]) == TopRequest(Period.MONTH, Board.POINTS, brand=True)
    with pytest.raises(UnknownWord) as caught:
        parse_top(["本月", "weekly"])
    assert caught.value.word == "weekly"


def test_rule_titles_must_be_grantable() -> None:
    with pytest.raises(ValueError, match="threshold_title"):
        RecognitionSection(threshold_title="大神")
    assert RecognitionSection(threshold_title="").threshold_title == ""


def test_quotes_are_the_longest_one_per_giver_the_same_every_time() -> None:
    from handlers.recognition.rules import QuoteCandidate, choose_quotes

    candidates = [
        QuoteCandidate(1, 10, "谢谢"),
        QuoteCandidate(2, 11, "谢谢 @bob 教我设置夜间模式"),
        QuoteCandidate(3, 11, "谢谢 @bob 又一次帮我解决了同步的问题"),
        QuoteCandidate(4, 12, "谢谢 @bob 很及时"),
        QuoteCandidate(5, 13, "谢谢 @bob 很耐心"),
        QuoteCandidate(6, 14, ""),
    ]
    assert [c.thanks_id for c in choose_quotes(candidates, 2)] == [3, 4]
    assert [c.thanks_id for c in choose_quotes(reversed(candidates), 2)] == [3, 4]
    assert choose_quotes(candidates, 0) == []
