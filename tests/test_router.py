"""Routing without a database: command parsing, aliases, suggestions and matcher order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot import spelling
from bot.commands import normalise, parse_command
from bot.db.schema import Role
from bot.events import MessageKind
from bot.registry import HandlerRegistry, Where
from bot.router import CommandRoute, MatcherRoute, Router, UnknownCommandRoute
from handlers import REGISTRIES, core
from tests.support import make_message


async def _noop(ctx, arg) -> None:
    return None


@dataclass(frozen=True)
class ThanksMatch:
    receivers: tuple[str, ...]


def _thanks(message, config):
    if config["phrase"] in message.text and message.mentions:
        return ThanksMatch(tuple(c.id for c in message.mentions))
    return None


def _anything(message, config):
    assert config is None  # its capability has no config section
    return "anything"


def _router() -> Router:
    extra = HandlerRegistry("extra")
    extra.command("feedback", aliases=("反馈",), where=Where.ANYWHERE)(_noop)
    extra.command("issue open", aliases=("问题 新建",), role=Role.MODERATOR)(_noop)
    extra.matcher("thanks", _thanks)(_noop)
    chatter = HandlerRegistry("chatter")
    chatter.matcher("anything", _anything)(_noop)
    return Router([core.registry, extra, chatter], {"extra": {"phrase": "谢谢"}})


def test_full_width_punctuation_and_wechat_mention_padding_are_normalised() -> None:
    assert normalise("／帮助") == "/帮助"
    assert normalise("＠bob\u2005谢谢：") == "@bob 谢谢:"


@pytest.mark.parametrize("text", ["/help", "/帮助", "／帮助", "/HELP", "  /help  ", "/?"])
def test_help_by_any_alias(text: str) -> None:
    route = _router().route(make_message(text))
    assert isinstance(route, CommandRoute)
    assert route.spec.name == "help"


def test_multi_word_command_keeps_its_arguments_and_line_breaks() -> None:
    route = _router().route(make_message("/mod add @bob 因为他很热心\n第二行"))
    assert isinstance(route, CommandRoute)
    assert route.spec.name == "mod add"
    assert route.invocation.text == "因为他很热心\n第二行"
    assert route.invocation.args == ("因为他很热心", "第二行")
    assert [c.id for c in route.invocation.mentions] == ["bob"]


def test_chinese_multi_word_alias() -> None:
    route = _router().route(make_message("/问题 新建 登录失败"))
    assert isinstance(route, CommandRoute)
    assert route.spec.name == "issue open"
    assert route.invocation.args == ("登录失败",)


def test_group_name_alone_lists_its_commands() -> None:
    route = _router().route(make_message("/mod"))
    assert isinstance(route, UnknownCommandRoute)
    assert {spec.name for spec in route.group} == {"mod add", "mod remove", "mod list"}


def test_did_you_mean_only_offers_what_the_caller_may_use() -> None:
    router = _router()
    route = router.route(make_message("/pnig"))
    assert isinstance(route, UnknownCommandRoute)
    assert router.suggest(route.parsed, Role.MEMBER) == "ping"
    typo = router.route(make_message("/issue opne x"))
    assert router.suggest(typo.parsed, Role.MODERATOR) == "issue open"
    assert router.suggest(typo.parsed, Role.MEMBER) is None
    assert router.suggest(router.route(make_message("/zzzzzz")).parsed, Role.ADMIN) is None


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("/帮主", "帮助"),
        ("/帮住", "帮助"),
        ("/感射 @bob", "感谢"),
        ("/反溃", "反馈"),
        ("/排形", "排行"),
        ("/我得", "我的"),
        ("/hlep", "help"),
        ("/fankui", None),  # pinyin typed for a Chinese name: not a typo of it
    ],
)
def test_chinese_typos_are_compared_by_sound(typed: str, meant: str | None) -> None:
    spelling.load()
    router = Router(REGISTRIES)
    route = router.route(make_message(typed))
    assert isinstance(route, UnknownCommandRoute)
    assert router.suggest(route.parsed, Role.MEMBER) == meant


def test_only_commands_the_caller_may_use_are_suggested() -> None:
    spelling.load()
    router = Router(REGISTRIES)
    typo = router.route(make_message("/反溃 列表"))
    assert isinstance(typo, UnknownCommandRoute)
    assert router.suggest(typo.parsed, Role.MODERATOR) == "反馈 列表"
    assert router.suggest(typo.parsed, Role.MEMBER) == "反馈 修改"  # the closest a member may use
    koc = router.route(make_message("/kco 候选"))
    assert router.suggest(koc.parsed, Role.MODERATOR) == "koc 候选"
    assert router.suggest(koc.parsed, Role.MEMBER) is None


def test_matchers_run_in_declared_order() -> None:
    router = _router()
    thanks = router.route(make_message("谢谢 @bob"))
    assert isinstance(thanks, MatcherRoute)
    assert thanks.spec.name == "thanks"
    assert thanks.match == ThanksMatch(("bob",))
    other = router.route(make_message("今天天气不错"))
    assert isinstance(other, MatcherRoute) and other.spec.name == "anything"


def test_room_matchers_ignore_direct_messages_which_go_to_the_fallback() -> None:
    route = _router().route(make_message("谢谢 @bob", room=None))
    assert isinstance(route, MatcherRoute) and route.spec.name == "pointer"  # core's, for what nothing took


def test_a_fallback_takes_only_what_no_matcher_took_and_only_in_private() -> None:
    quiet = HandlerRegistry("quiet")
    quiet.matcher("form", lambda message, config: "form" if "表单" in message.text else None, where=Where.DM)(_noop)
    router = Router([core.registry, quiet])
    assert router.route(make_message("这是表单", room=None)).spec.name == "form"
    assert router.route(make_message("你好", room=None)).spec.name == "pointer"
    assert router.route(make_message("你好")) is None  # in a group, chatter is nobody's
    assert isinstance(router.route(make_message("/help", room=None)), CommandRoute)


def test_own_and_non_text_messages_are_never_routed() -> None:
    from dataclasses import replace

    router = _router()
    assert router.route(replace(make_message("/help"), from_self=True)) is None
    assert router.route(replace(make_message("/help"), kind=MessageKind.OTHER)) is None


def test_not_a_command() -> None:
    assert parse_command(make_message("// a comment")) is None
    assert parse_command(make_message("just talking")) is None
    assert parse_command(make_message("/")) is None


def test_a_name_registered_twice_is_refused() -> None:
    one, two = HandlerRegistry("one"), HandlerRegistry("two")
    one.command("ping2", aliases=("p",))(_noop)
    two.command("p")(_noop)
    with pytest.raises(ValueError, match="registered twice"):
        Router([one, two])


def test_free_text_keeps_the_punctuation_as_typed_while_the_words_are_normalised() -> None:
    from bot.commands import parse_command

    parsed = parse_command(make_message("／公告 定时 2026-12-01 10：00 通知：明天＠所有人 见", "mod"))
    assert parsed is not None and parsed.words[:4] == ("公告", "定时", "2026-12-01", "10:00")
    assert parsed.rest_after(2) == "2026-12-01 10:00 通知:明天@所有人 见"
    assert parsed.raw_rest_after(2) == "2026-12-01 10：00 通知：明天＠所有人 见"  # every character as typed
