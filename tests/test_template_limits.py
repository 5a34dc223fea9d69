"""Moderators' templates cannot freeze the bot: argument limits and a step budget, checked when saved and
with the real values when rendered; renders in worker processes with a hard time limit and a memory cap."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import update

from bot import app as app_module
from bot.bootstrap import open_app
from bot.clock import SystemClock
from bot.config import LOCALES
from bot.db import schema
from bot.events import MemberJoined, OutgoingMessage
from bot.sandbox.engine import Engine
from bot.sandbox.limits import Limits, Refused
from bot.templates import TemplateRenderer
from bot.transports.memory import InMemoryTransport
from handlers import REGISTRIES
from handlers.campaigns.tables import clues
from handlers.outreach.sandbox import VARIABLES, member_view
from handlers.outreach.tables import announcements, custom_templates, welcomes
from tests.conftest import START
from tests.support import Chat, contact, make_message, rows
from tests.template_samples import ARGUMENT_KINDS, REFUSALS

WELCOME_BOB = (
    "[playground] 欢迎 @bob 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，"
    "发送 /帮助 可以看看我能帮你做什么。"
)
# Limits loose enough that only the time limit can stop a long loop.
LOOSE = {"template_max_steps": 10**12, "template_render_seconds": 0.5}
# The same, with time enough for a template that does finish even on a loaded machine (a fresh worker's
# first render took over 0.5 s in CI): what must finish and what must be stopped are in one run.
ROOMY = {"template_max_steps": 10**12, "template_render_seconds": 3}


@pytest.fixture
def settings_overrides() -> dict:
    return {"communities": [{"id": "playground", "name": "Playground"}, {"id": "second", "name": "二群"}]}


def _bob(points: int = 50, titles: tuple[str, ...] = ("热心答主",), name: str = "bob") -> dict:
    return {"member": member_view(name, points, titles)}


def _refused(source: str, context: dict | None = None, limits: Limits | None = None) -> Refused:
    with pytest.raises(Refused) as stopped:
        Engine(VARIABLES, limits).render(source, context or _bob())
    return stopped.value


# When saved: from the text alone, with the line.


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 1|round(-100000000) }}", "argument"),
        ("{{ 1|round(member.points * -1000000) }}", "literal"),  # the issue's: passed the old check
        ("{{ member.titles|sum(start=[]) }}", "argument"),
        ("{{ [[1], [2]]|sum(start=member.titles) }}", "literal"),
        ("{{ range(10)|map('round', -10**8)|list }}", "argument"),
        ("{{ member.titles|map('center', 10**9)|list }}", "argument"),
        ("{{ member.titles|map('attr', '__class__')|list }}", "argument"),
        ("{{ member.titles|select('callable')|list }}", "argument"),
        ("{{ member.titles|join(*member.titles) }}", "arguments"),
        ("{{ member.name|truncate(length=10**9) }}", "argument"),
        ("{{ member.name|replace('a', 'b', 1, 2) }}", "arguments"),
        ("{{ member.name|round(digits=2) }}", "argument_name"),
        ("{{ 'x' * 10**9 }}", "text"),
        ("{{ 10 ** 10 ** 10 }}", "number"),
        ("{{ 2 ** 100000 }}", "number"),
        ("{{ [member.name] * 100000 }}", "list_repeat"),
        ("{% for a in member.titles %}{% for b in range(9) %}{{ b }}{% endfor %}{% endfor %}", "loop"),
        ("{% for x in range(9) recursive %}{{ loop(range(9)) }}{% endfor %}", "loop"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "tag"),
        ("{% call range(3) %}x{% endcall %}", "tag"),
        ("{{ '{:>999999999}'.format(1) }}", "call"),
        ("{{ '%999999999s' % 1 }}", "percent"),
        ("{{ member.name|format(1) }}", "filter"),
        ("{{ member.name.__class__.__mro__ }}", "internals"),
        ("{{ member['__class__'] }}", "internals"),
        ("{{ member.points is sameas member }}", "test"),
        ("{{ cycler() }}", "call"),
        ("{{ namespace() }}", "call"),
        ("{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "nesting"),
    ],
)
def test_what_the_text_shows_is_refused_before_anything_runs(source: str, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        Engine(VARIABLES).check(source)
    assert (refused.value.reason, refused.value.line) == (reason, None if reason == "nesting" else 1)


# When rendered: the same limits, with the real values.


@pytest.mark.parametrize(
    ("source", "context", "reason", "details"),
    [
        ("{{ range(member.points * 1000)|length }}", _bob(50), "range", {"limit": 10_000}),
        ("{{ 'x' * member.points }}", _bob(5000), "text", {"limit": 4000}),
        ("{{ member.titles|join(member.name) }}", _bob(name="b" * 101), "argument", None),
        ("{{ member.name|truncate(member.points) }}", _bob(10**6), "argument", None),
        ("{{ member.titles|map('truncate', member.points)|list }}", _bob(10**6), "argument", None),
        ("{{ member.points ** member.points }}", _bob(100), "number", {}),
        ("{{ member.points * member.points * member.points }}", _bob(10**3000), "number", {}),
        ("{{ member.titles|list * member.points }}", _bob(2), "list_repeat", {}),
        ("{{ member.titles * 100000 }}", _bob(), "list_repeat", {}),
        ("{% for t in member.titles %}{% endfor %}", _bob(titles=("t",) * 20_000), "steps", {"limit": 10_000}),
        ("{{ member.titles|unique|list|length }}", _bob(titles=("t",) * 20_000), "steps", {"limit": 10_000}),
        (
            "{% for c in member.name %}{{ member.titles|sort|first }}{% endfor %}",
            _bob(name="b" * 20, titles=("t",) * 999),
            "steps",
            {"limit": 10_000},
        ),
        ("{{ range(5000)|map('string')|join(',') }}", _bob(), "steps", {"limit": 10_000}),
        ("{{ range(3000)|join(',') }}", _bob(), "text", {"limit": 4000}),
        ("{{ range(3000)|list }}", _bob(), "output", {"limit": 4000}),
        ("{% for t in member.titles %}{{ t }}{% endfor %}", _bob(titles=("x" * 1000,) * 5), "output", None),
    ],
)
def test_limits_are_checked_again_with_the_real_values(source: str, context: dict, reason: str, details) -> None:
    Engine(VARIABLES).check(source)  # nothing in the text alone
    stopped = _refused(source, context)
    assert stopped.reason == reason
    if details is not None:
        assert stopped.details == details


def test_a_refusal_while_rendering_names_its_line() -> None:
    stopped = _refused("第一行\n第二行\n{{ range(member.points * 1000)|length }}")
    assert (stopped.reason, stopped.line) == ("range", 3)


def test_what_stays_within_the_limits_renders() -> None:
    source = (
        "{{ member }}：{{ member.points|round(-1)|int }} 分，{{ member.titles|map('upper')|join('、') }}"
        "{% for i in range(3) %}{{ loop.index }}{% endfor %}{{ [3, 1, 2]|sort|sum(start=0.5) }}"
        "{{ member.titles|select('string')|list|length }}{{ '⭐' * 3 }}"
    )
    assert Engine(VARIABLES).render(source, _bob(47, ("a", "b"))) == "bob：50 分，A、B1236.52⭐⭐⭐"


# In the chat: refused when saved; stopped when sent, with the built-in welcome instead.


async def _grant(chat: Chat, member: str, points: int) -> None:
    await chat.say("mod", f"/points grant @{member} {points} 帮忙")


async def test_a_welcome_that_breaks_a_limit_with_the_members_values_falls_back(chat: Chat, app, caplog) -> None:
    """Saved fine (the moderator has no points), stopped at the join: the built-in welcome goes out."""
    [saved] = await chat.say("mod", "/template set welcome 欢迎 {{ member }}！{{ '🎉' * (member.points * 100) }}")
    assert saved == "[dm mod] 已新建模板 welcome，用到的变量：member。\n在这里的预览：\n欢迎 mod！"
    await _grant(chat, "bob", 50)
    with caplog.at_level(logging.WARNING, logger="handlers.outreach"):
        assert await chat.join("bob") == [WELCOME_BOB]
    assert any("custom welcome template failed (text:" in r.getMessage() for r in caplog.records)
    assert await chat.join("carol") == ["[playground] @carol 欢迎 carol！"]
    assert len(await rows(app, welcomes)) == 2


@pytest.mark.parametrize("settings_overrides", [{"outreach": LOOSE}])
async def test_a_runaway_welcome_is_stopped_at_its_time_limit(chat: Chat, app, caplog) -> None:
    await chat.say(
        "mod", "/template set welcome 欢迎 {{ member }}！{% for i in range(member.points * 10**9) %}{% endfor %}"
    )
    await _grant(chat, "bob", 50)
    with caplog.at_level(logging.WARNING):
        assert await chat.join("bob") == [WELCOME_BOB]
    assert any("custom welcome template failed (time:" in r.getMessage() for r in caplog.records)
    assert any("still running after 0.5 s; killed" in r.getMessage() for r in caplog.records)
    assert await chat.join("carol") == ["[playground] @carol 欢迎 carol！"]  # a fresh worker
    assert app.services.workers.started == 2


@pytest.mark.parametrize("settings_overrides", [{"outreach": LOOSE}])
async def test_a_template_that_runs_away_with_the_moderators_values_is_refused(chat: Chat, app) -> None:
    assert await chat.say("mod", "/template set slow {% for i in range(10**11) %}{% endfor %}完") == [
        "[dm mod] 抱歉，这个模板不能使用：\n生成它用了超过 0.5 秒，已经被强制停止。\n"
        "发送 /模板 帮助 可以查看可用的变量和写法。"
    ]
    assert await rows(app, custom_templates) == []
    [audit] = await rows(app, schema.audit_log)
    assert (audit.action, audit.outcome, audit.details.get("template")) == ("template set", "invalid", None)


async def test_a_stored_template_the_checks_refuse_falls_back_at_a_join(chat: Chat, app) -> None:
    await chat.say("mod", "/ping")
    [mod] = [m for m in await rows(app, schema.members) if m.platform_id == "mod"]
    async with app.engine.begin() as conn:  # written some other way: a macro calling itself
        await conn.execute(
            custom_templates.insert().values(
                name="welcome",
                source="{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
                variables=[],
                created_at=START,
                created_by=mod.id,
                updated_at=START,
                updated_by=mod.id,
            )
        )
    assert await chat.join("bob") == [WELCOME_BOB]
    assert app.services.workers.started == 0  # refused before any rendering


class WatchedTransport(InMemoryTransport):
    """Says when something was sent: the test waits on that, never on a clock."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> str:
        found = await super().send(message)
        self.arrived.set()
        return found

    async def first(self, wanted) -> OutgoingMessage:
        while True:
            for message in self.sent:
                if wanted(message):
                    return message
            self.arrived.clear()
            await self.arrived.wait()


@pytest.mark.parametrize(
    "settings_overrides",
    [{"outreach": {"template_max_steps": 10**12, "template_render_seconds": 60}, "communities": []}],
)
async def test_the_bot_answers_other_rooms_while_a_render_runs_away(settings, monkeypatch) -> None:
    """The real-time app: bob's welcome renders for ever in a worker; /ping in another room is answered
    meanwhile. Closing stops the render, and bob still gets the built-in welcome."""
    monkeypatch.setattr(app_module, "FOLLOW_UP_GRACE_SECONDS", 0.1)
    transport = WatchedTransport()
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=SystemClock())
    running = asyncio.create_task(app.run_forever())
    try:
        async with asyncio.timeout(120):  # a safety net for a broken build, not what is tested
            while transport._sink is None:
                await asyncio.sleep(0.01)
            slow = "/template set welcome 欢迎 {{ member }}{% for i in range(member.points * 10**9) %}{% endfor %}"
            transport.inject(make_message(slow, "mod"))
            await transport.first(lambda m: "已新建模板 welcome" in m.text)
            transport.inject(make_message("/points grant @bob 50 帮忙", "mod"))
            transport.inject(MemberJoined(room_id="playground", member=contact("bob"), room_name="playground"))
            await app.services.workers.dispatched()  # bob's welcome is rendering
            transport.inject(make_message("/ping", "alice", room="second"))
            pong = await transport.first(lambda m: m.room_id == "second")
            assert pong.text == "@alice 我在呢，一切正常。"
            assert app.services.workers.busy == 1  # still rendering
            assert not [m for m in transport.sent if "bob" in m.mentions]
    finally:
        app.stop()
        await asyncio.wait_for(running, 30)
        await app.close()
    [welcome] = [r for r in await rows(app, schema.outbox) if r.mentions == ["bob"]]
    assert welcome.template == "outreach/welcome"  # the built-in one, never nothing


# Every refusal reads well, in every language, wherever it is shown.


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("reason", sorted(REFUSALS))
def test_every_refusal_reads_well_when_a_template_fails_to_render(reason: str, locale: str) -> None:
    details = {**REFUSALS[reason], "detail": REFUSALS[reason].get("detail", "")}
    params = {"name": "weekly", "reason": reason, "detail": details["detail"], "line": 2, "details": details}
    text = TemplateRenderer().render("outreach/template_render_failed", locale, **params)
    assert ("第 2 行" if locale == "zh_CN" else "line 2") in text
    skipped = TemplateRenderer().render(
        "outreach/template_skipped",
        locale,
        what="clue",
        number=4,
        template="weekly",
        rooms=["一群", "二群"],
        others=0,
        failure=params,
        refused=False,
    )
    assert ("活动线索 #4" if locale == "zh_CN" else "Campaign clue #4") in skipped


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ARGUMENT_KINDS, ids=lambda k: k["kind"])
def test_every_kind_of_argument_limit_reads_well(kind: dict, locale: str) -> None:
    details = {"filter": "truncate", "argument": "length", **kind}
    text = TemplateRenderer().render("outreach/template_refused", locale, reason="argument", line=1, details=details)
    assert "truncate" in text and "length" in text


# Scheduled posts: a room whose text cannot be made is skipped; the others get theirs; the staff are told once.

STEPS_PER_MEMBER = "{{ community.name }} 本周话题{% for i in range(community.members * 4000) %}{% endfor %}"


def _sent(chat: Chat) -> list[str]:
    return [f"[{m.room_id or f'dm {m.contact_id}'}] {m.text}" for m in chat.transport.take()]


async def _crowd_second_room(chat: Chat) -> None:
    """二群 gets three members (the template's loop grows past the budget there); Playground has only mod."""
    await chat.say("mod", "/ping")  # Playground first: the campaign's first room, where its sample renders
    for member in ("alice", "bob", "carol"):
        await chat.say(member, "大家好", room="second")


async def test_an_announcement_skips_the_room_its_template_fails_in_and_tells_the_staff(chat: Chat, app) -> None:
    await _crowd_second_room(chat)
    await chat.say("mod", f"/template set weekly {STEPS_PER_MEMBER}")
    [reply] = await chat.say("mod", "/公告 定时 2026-12-01 20:00 #Playground #二群 --模板 weekly")
    assert reply.startswith("[dm mod] 已安排定时公告 #1，发到：Playground、二群。")
    await app.advance_to(START.replace(hour=12, minute=1))  # 20:01 in Shanghai
    assert _sent(chat) == [
        *(
            f"[dm {staff}] 【定时公告 #1 有群没有发出】模板 weekly 在二群没能生成消息：第 1 行：range() 最多只能生成 "
            "10000 个数。\n这一次在这些群里跳过了，其他 1 个群照常发出。请用 /模板 查看 weekly 检查并修改它。"
            for staff in ("admin", "mod")
        ),
        "[playground] Playground 本周话题",  # the staff's alarm first: its lane is before bulk posts
    ]
    [row] = await rows(app, announcements)
    assert (row.status, row.runs) == ("done", 1)


async def test_a_clue_skips_the_room_its_template_fails_in_and_tells_the_staff(chat: Chat, app) -> None:
    await _crowd_second_room(chat)
    await chat.say("mod", f"/template set teaser {STEPS_PER_MEMBER}")
    await chat.say("mod", "/活动 创建 新品 X1 预热 --上线 2026-12-15 #Playground #二群")
    [reply] = await chat.say("mod", "/campaign clue 1 --template teaser --at 2026-12-01 20:00")
    assert reply.startswith("[dm mod] 已安排活动 #1 的线索 #1：2026-12-01 20:00")
    await app.advance_to(START.replace(hour=12, minute=1))
    assert _sent(chat) == [
        *(
            f"[dm {staff}] 【活动线索 #1 有群没有发出】模板 teaser 在二群没能生成消息：第 1 行：range() 最多只能生成 "
            "10000 个数。\n这一次在这些群里跳过了，其他 1 个群照常发出。请用 /模板 查看 teaser 检查并修改它。"
            for staff in ("admin", "mod")
        ),
        "[playground] Playground 本周话题",
    ]
    [clue] = await rows(app, clues)
    assert clue.status == "posted"


async def test_a_koc_told_of_a_clue_its_template_then_fails_in_their_room_learns_it_will_not_drop_there(
    chat: Chat, app
) -> None:
    """bob, a KOC of 二群, gets the heads-up at 18:00 (two members there: the text renders); carol joins
    at 19:00, and at 20:00 the text cannot be made in 二群 any more: posted in Playground only, bob is told."""
    await chat.say("mod", "/ping")
    for member in ("alice", "bob"):
        await chat.say(member, "大家好", room="second")
    async with app.engine.begin() as conn:
        members = schema.members
        await conn.execute(update(members).where(members.c.platform_id == "bob").values(stage="active"))
    await chat.say("mod", f"/template set teaser {STEPS_PER_MEMBER}")
    await chat.say("mod", "/活动 创建 新品 X1 预热 --上线 2026-12-15 #Playground #二群")
    await chat.say("mod", "/campaign clue 1 --template teaser --at 2026-12-01 20:00")
    chat.transport.take()
    await app.advance_to(START.replace(hour=10, minute=1))  # 18:01 in Shanghai
    [heads_up] = _sent(chat)
    assert heads_up.startswith("[dm bob] bob，你好！「新品 X1 预热」的下一条线索将在 2026-12-01 20:00")
    await app.advance_to(START.replace(hour=11))
    await chat.say("carol", "大家好", room="second")
    await app.advance_to(START.replace(hour=12, minute=1))
    sent = _sent(chat)
    assert (
        "[dm bob] bob，你好！之前预告的「新品 X1 预热」线索（原定 2026-12-01 20:00 发布）这次不会在二群发出，"
        "不用再为它准备了。预告里的内容还请继续保密，谢谢你 🙏"
    ) in sent
    assert "[playground] Playground 本周话题" in sent
    [clue] = await rows(app, clues)
    assert clue.status == "posted"


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "outreach": ROOMY,
            "communities": [
                {"id": "playground", "name": "Playground"},
                {"id": "second", "name": "二群"},
                {"id": "third", "name": "三群"},
            ],
        }
    ],
)
async def test_a_template_stopped_for_its_time_in_one_room_is_not_tried_in_the_next(chat: Chat, app, caplog) -> None:
    """A post to many rooms costs one time limit, not one per room."""
    runaway = "{{ community.name }}{% for i in range(community.members * 10**9) %}{% endfor %}"
    await chat.dm("mod", f"/template set slow {runaway}")  # no room here: saved without a preview
    [reply] = await chat.dm("mod", "/公告 定时 2026-12-01 20:00 #三群 #Playground #二群 --模板 slow")
    assert reply.startswith("[dm mod] 已安排定时公告 #1，发到：三群、Playground、二群。")  # 三群 has no one yet
    await chat.say("alice", "大家好")
    await chat.say("bob", "大家好", room="second")
    with caplog.at_level(logging.WARNING):
        await app.advance_to(START.replace(hour=12, minute=1))
    assert _sent(chat) == [
        *(
            f"[dm {staff}] 【定时公告 #1 有群没有发出】模板 slow 在Playground、二群没能生成消息：生成它用了超过 3 秒，"
            "已经被强制停止。\n这一次在这些群里跳过了，其他 1 个群照常发出。请用 /模板 查看 slow 检查并修改它。"
            for staff in ("admin", "mod")
        ),
        "[third] 三群",
    ]
    assert sum("still running after 3 s; killed" in r.getMessage() for r in caplog.records) == 1
