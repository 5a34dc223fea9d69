"""Recognition's pure parts, without a database: the thanks matcher, the rules, periods and /top's words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import month_of
from bot.commands import parse_month
from bot.events import Quote
from bot.router import MatcherRoute, Router
from handlers import core, recognition
from handlers.recognition.config import RecognitionSection
from handlers.recognition.reading import Sense, read, says_thanks
from handlers.recognition.rules import (
    Board,
    GiverFacts,
    PairFacts,
    Period,
    TopRequest,
    UnknownWord,
    day_start,
    judge,
    parse_top,
    previous_month,
)
from handlers.recognition.tables import WhyNot
from handlers.recognition.thanks import ThanksMatch, match_thanks
from tests.support import contact, make_message

SECTION = RecognitionSection()
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
FRESH = GiverFacts(arrived_at=NOW - timedelta(days=30), counted_today=0)
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


# Issue 16's examples, exactly: false positives the bot used to acknowledge, and misses.
@pytest.mark.parametrize(
    ("text", "sender", "quoted"),
    [
        ("no thanks @bob", "alice", None),
        ("@bob\u2005你谢谢他了吗？", "alice", None),
        ("感谢信模板 @bob", "alice", None),
        ("不用谢谢我啦", "bob", "alice"),  # bob declining alice's thanks is no thanks from bob to alice
        ("@所有人\u2005谢谢大家", "mod", "bob"),
        ("感谢名单出来了吗 @bob", "alice", None),
        ("@bob 感谢日活动是几号？", "alice", None),
        ("谢谢客服！@bob 我的退款到了", "alice", None),
        ("感谢品牌方的试用装 @bob", "alice", None),
        ("thanks kocbot", "alice", "bob"),
    ],
)
def test_not_a_thanks_from_the_sender_to_a_member(text: str, sender: str, quoted: str | None) -> None:
    quote = Quote("…", sender=contact(quoted)) if quoted else None
    assert _route(text, sender=sender, quote=quote) is None


@pytest.mark.parametrize(
    "text",
    [
        "3q @bob",
        "蟹蟹 @bob",
        "比心 @bob",
        "🙏 @bob",
        "＠bob 谢谢",
        "谢谢＠bob\u2005",
        "@bob\u2005多谢！",
        "ｔｈｘ @bob",
    ],
)
def test_slang_emoji_and_full_width_mentions_thank(text: str) -> None:
    assert _route(text).match == ThanksMatch((contact("bob"),), False, text.strip())  # the reason as typed


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("不用谢谢我", "refusal"),
        ("thanks but no thanks", "refusal"),
        ("谢谢啥呀", "refusal"),
        ("不用不用，谢谢你的好意", "refusal"),
        ("谢谢，不用了", "a polite no"),
        ("连句谢谢都没有", "talk about thanks"),
        ("感谢信模板", "talk about thanks"),
        ("感恩节快乐", "talk about thanks"),
        ("抽了个谢谢惠顾", "talk about thanks"),
        ("又是谢谢参与", "talk about thanks"),
        ("你谢谢他了吗？", "a question"),
        ("要不要感谢一下", "a question"),
        ("我已经谢谢过他了", "an earlier thanks"),
        ("已经感谢 @bob 了", "an earlier thanks"),
        ("先谢谢啦", "in advance"),
        ("thanks in advance", "in advance"),
        ("thanks to the update it broke", "because of"),
        ("谢谢你啊，又把群聊炸了", "sarcasm"),
        ("我谢谢你啊", "sarcasm"),
        ("谢谢你的剧透哦🙂", "sarcasm"),
        ("记得谢谢他哦", "telling someone to thank"),
        ("如果能修好就太感谢了", "a condition"),
        ("麻烦帮我查下订单，谢谢", "a request"),
        ("请问赠品什么时候发🙏", "a request"),
        ("手表和手机对比心率", "another word"),
        ("我家的花都谢了", "another word"),
        ("我今天好辛苦了", "another word"),
        ("谢谢客服小姐姐", "the brand"),
        ("客服小哥辛苦了", "the brand"),
        ("感谢这次系统更新", "the brand"),
    ],
)
def test_each_rule_that_undoes_a_thanks_phrase(text: str, why: str) -> None:
    [sentence] = [s for s in _read(text) if s.sense is not Sense.NONE]
    assert (sentence.sense, sentence.why) == (Sense.UNDONE, (why,))


@pytest.mark.parametrize(
    "text",
    [
        "特别感谢",
        "首先感谢",
        "感谢过去一年的陪伴",
        "感谢日常答疑",
        "感谢活动组织者",
        "谢谢客服电话",
        "谢谢，不用再找了",
    ],
)
def test_words_that_look_like_a_rule_but_thank(text: str) -> None:
    assert [s.sense for s in _read(text)] == [Sense.PERSONAL]


def test_thanks_to_everyone_thanks_only_the_members_it_names() -> None:
    assert _route("谢谢大家", quote=Quote("…", sender=contact("bob"))) is None
    assert _route("大家辛苦了", quote=Quote("…", sender=contact("bob"))) is None
    assert _route("谢谢大家，特别是 @bob 熬夜帮我查").match.receivers == (contact("bob"),)
    assert _route("@所有人 特别感谢 @bob 组织这次活动", sender="mod").match.receivers == (contact("bob"),)


def test_the_receivers_are_the_members_mentioned_where_it_thanks() -> None:
    assert _route("谢谢 @bob！@carol 你也可以试试").match.receivers == (contact("bob"),)
    assert _route("谢谢 @bob @carol，@dave 你的问题我晚点回").match.receivers == (contact("bob"), contact("carol"))
    assert _route("谢谢！@bob 你真厉害").match.receivers == (contact("bob"),)  # mentioned elsewhere
    quoted = _route("谢谢！@carol 你看，这个办法管用", quote=Quote("…", sender=contact("bob")))
    assert quoted.match.receivers == (contact("bob"),)  # the quote before a mention elsewhere


def test_a_mention_the_text_does_not_show_is_thanked() -> None:
    """WeChat may show a member's group nickname where the mention list names the contact."""
    message = replace(make_message("谢谢 @CC\u2005帮忙"), mentions=(contact("carol"),))
    assert match_thanks(message, SECTION) == ThanksMatch((contact("carol"),), False, "谢谢 @CC\u2005帮忙")


def test_brand_words_are_configurable() -> None:
    assert _route("谢谢小米客服 @bob") is None
    section = RecognitionSection(brand_words=["小米"])
    assert match_thanks(make_message("谢谢小米 @bob"), section) is None
    assert match_thanks(make_message("谢谢客服 @bob"), section).receivers == (contact("bob"),)


def test_marks_typed_into_a_message_mark_nothing() -> None:
    assert _route("\ue000谢谢 @bob \ue000\ue001").match.receivers == (contact("bob"),)


def _read(text: str) -> list:
    return read(text, tuple(SECTION.thanks_phrases), tuple(SECTION.brand_words), ())


def test_phrases_are_configurable_and_latin_ones_match_whole_words() -> None:
    assert says_thanks("Thank   you so much", SECTION.thanks_phrases)
    assert says_thanks("多谢多谢", SECTION.thanks_phrases)
    assert not says_thanks("pretty typical", SECTION.thanks_phrases)
    assert says_thanks("Thanksss", SECTION.thanks_phrases) and says_thanks("3Q3Q", SECTION.thanks_phrases)
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
    assert parse_month("2026-3") == "2026-03" and parse_month("上月") is None


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
