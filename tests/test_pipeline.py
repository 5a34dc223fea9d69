"""The pipeline end to end through the in-memory transport, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import update

from bot.db import schema
from bot.db.schema import Role
from bot.errors import UsageError, UserFacingError
from bot.events import IncomingMessage
from bot.registry import HandlerRegistry
from handlers import REGISTRIES
from tests.support import TEST_TEMPLATES, Chat, make_message, rows

extra = HandlerRegistry("testing")  # usage lines in tests/templates/<locale>/testing/


async def _set_locale_then_fail(ctx, cmd) -> None:
    await ctx.db.execute(update(schema.members).where(schema.members.c.id == ctx.actor.id).values(locale="en"))
    await ctx.reply("core/pong")
    raise RuntimeError("a bug in a handler")


async def _set_locale_then_refuse(ctx, cmd) -> None:
    await ctx.db.execute(update(schema.members).where(schema.members.c.id == ctx.actor.id).values(locale="en"))
    raise UserFacingError("core/problem_needs_mention")


async def _needs_args(ctx, cmd) -> None:
    raise UsageError("core/problem_needs_mention")


async def _greet(ctx, cmd) -> None:
    member = await ctx.member(cmd.mentions[0])
    await ctx.post(ctx.community, "core/pong", mentions=(member.platform_id,), addressee=member)


extra.command("boom")(_set_locale_then_fail)
extra.command("greet", role=Role.MODERATOR)(_greet)
extra.command("nope")(_set_locale_then_refuse)
extra.command("ping_usage")(_needs_args)


@pytest.fixture
def registries() -> tuple:
    return (*REGISTRIES, extra)


async def test_ping_answers_the_sender_in_the_room(chat: Chat) -> None:
    assert await chat.say("alice", "/ping") == ["[playground] @alice 我在呢，一切正常。"]
    assert await chat.dm("alice", "/在吗") == ["[dm alice] 我在呢，一切正常。"]


async def test_help_lists_only_what_the_caller_may_use(chat: Chat) -> None:
    [member_help] = await chat.dm("alice", "/帮助")
    assert member_help.startswith("[dm alice] 你好，我是 kocbot，可以帮你做这些事：")
    assert "/在吗 （或 /ping）" in member_help
    assert "/mod" not in member_help
    [mod_core] = await chat.dm("mod", "/help core")
    assert "/运营 列表 （或 /mod list）" in mod_core and "/运营 添加" not in mod_core
    [admin_core] = await chat.dm("admin", "/help 基础")
    assert "/运营 添加 @成员 （或 /mod add @成员）" in admin_core


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "communities": [{"id": "playground", "name": "Playground"}, {"id": "global", "name": "Global", "locale": "en"}],
        "bot": {"templates_dir": str(TEST_TEMPLATES)},
    }


async def test_a_room_can_speak_english(chat: Chat) -> None:
    [reply] = await chat.say("alice", "/help", room="global")
    assert reply.startswith("[global] @alice Hi, I'm kocbot. Here is what I can do for you:")
    assert await chat.say("alice", "/pnig", room="global") == [
        "[global] @alice I don't know the command /pnig yet. Did you mean /ping?\nSend /help to see every command."
    ]


async def test_unknown_command_suggests_the_closest(chat: Chat) -> None:
    assert await chat.say("bob", "/hepl") == [
        "[playground] @bob 我还不认识 /hepl 这个命令。你是想用 /help 吗？\n发送 /帮助 可以查看全部命令。"
    ]
    assert await chat.say("bob", "/xyzzy") == [
        "[playground] @bob 我还不认识 /xyzzy 这个命令。\n发送 /帮助 可以查看全部命令。"
    ]


async def test_moderator_command_refused_for_a_member_and_audited(chat: Chat, app) -> None:
    assert await chat.say("bob", "/mod add @carol") == [
        "[playground] @bob 抱歉，/mod add 只有超级管理员可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    [entry] = await rows(app, schema.audit_log)
    assert (entry.action, entry.outcome, entry.details) == ("mod add", "refused", {"mentions": ["carol"]})
    [carol] = await rows(app, schema.members, schema.members.c.platform_id == "carol")
    assert carol.role == "member"


async def test_a_moderator_refused_an_admin_command_is_sent_to_an_admin_not_to_the_moderators(chat: Chat) -> None:
    assert await chat.say("mod", "/mod add @carol") == [
        "[playground] @mod 抱歉，/mod add 只有超级管理员可以使用。需要的话，请找超级管理员操作。"
    ]


async def test_admin_adds_and_removes_a_moderator(chat: Chat, app) -> None:
    assert await chat.say("admin", "/mod add @carol") == [
        "[dm admin] 已将 carol 设为社群运营。",
        "[dm carol] 你好！admin 已将你设为社群运营。发送 /帮助 可以看到你现在能用的所有命令。谢谢你愿意一起照顾好这个社群！",
    ]
    [listed] = await chat.say("carol", "/mod list")
    assert listed == "[dm carol] 社群运营团队：\n· admin（超级管理员）\n· carol（运营）\n· mod（运营）"
    assert await chat.say("admin", "/运营 移除 @carol") == ["[dm admin] 已取消 carol 的运营身份。"]
    assert (await chat.say("carol", "/mod list"))[0].startswith("[playground] @carol 抱歉，/mod list 只有社群运营")
    audit = await rows(app, schema.audit_log)
    assert [(a.action, a.outcome) for a in audit] == [
        ("mod add", "ok"),
        ("mod list", "ok"),
        ("mod remove", "ok"),
        ("mod list", "refused"),
    ]
    [carol] = await rows(app, schema.members, schema.members.c.platform_id == "carol")
    assert audit[0].target_id == carol.id
    assert audit[0].details == {"mentions": ["carol"], "added": ["carol"]}


async def test_mod_add_is_idempotent_and_config_staff_stay(chat: Chat) -> None:
    assert await chat.say("admin", "/mod add @mod") == ["[dm admin] mod 已经是运营了，无需重复设置。"]
    assert await chat.say("admin", "/mod remove @mod @bob") == [
        "[dm admin] mod 的权限写在配置文件里，请在配置中修改。\nbob 目前不是运营。"
    ]


async def test_wrong_arguments_get_the_usage_line(chat: Chat, app) -> None:
    assert await chat.say("admin", "/mod add") == [
        "[dm admin] 请 @ 一下你要设置的成员。\n正确的用法：/运营 添加 @成员 （或 /mod add @成员）"
    ]
    [entry] = await rows(app, schema.audit_log)
    assert entry.outcome == "invalid"


async def test_a_group_name_alone_shows_its_commands(chat: Chat) -> None:
    [reply] = await chat.say("admin", "/mod")
    assert reply.startswith("[dm admin] 这个命令还需要说明具体做什么，可以这样用：\n/运营 添加 @成员")


async def test_a_crashing_handler_apologises_rolls_back_and_keeps_the_message(chat: Chat, app, caplog) -> None:
    assert await chat.say("alice", "/boom") == [
        "[playground] @alice 抱歉，我这边出了点问题，没能完成这次操作。问题已经记录下来，请稍后再试一次。"
    ]
    [alice] = await rows(app, schema.members, schema.members.c.platform_id == "alice")
    assert alice.locale is None  # the handler's change was rolled back, its reply too
    [logged] = await rows(app, schema.messages)
    assert (logged.text, logged.routed_to) == ("/boom", "/boom")
    assert "a bug in a handler" in caplog.text and "Traceback" in caplog.text


async def test_a_user_facing_error_rolls_back_and_answers_with_its_template(chat: Chat, app) -> None:
    assert await chat.say("alice", "/nope") == ["[playground] @alice 请 @ 一下你要设置的成员。"]
    [alice] = await rows(app, schema.members, schema.members.c.platform_id == "alice")
    assert alice.locale is None


async def test_a_redelivered_message_is_processed_once(chat: Chat, app, transport) -> None:
    message = make_message("/ping", "alice", message_id="wx-123")
    assert await chat.send(message) == ["[playground] @alice 我在呢，一切正常。"]
    assert await chat.send(message) == []
    transport.inject(make_message("/ping", "bob", message_id="wx-124"))
    transport.inject(make_message("/ping", "bob", message_id="wx-124"))
    assert await chat.send(make_message("hi", "bob")) == ["[playground] @bob 我在呢，一切正常。"]
    assert len(await rows(app, schema.messages)) == 3
    assert len(await rows(app, schema.outbox)) == 2


async def test_every_message_is_logged_with_its_mentions_and_quote(chat: Chat, app) -> None:
    from bot.events import Contact, Quote

    await chat.say("bob", "怎么重置密码？")
    quote = Quote(text="怎么重置密码？", sender=Contact("bob", "bob"), message_id="q-1")
    assert await chat.say("alice", "在设置里 @bob @carol", quote=quote) == []
    logged = await rows(app, schema.messages)
    assert [m.text for m in logged] == ["怎么重置密码？", "在设置里 @bob @carol"]
    [bob] = await rows(app, schema.members, schema.members.c.platform_id == "bob")
    assert logged[1].mentions == ["bob", "carol"]
    assert (logged[1].quote_msg_id, logged[1].quote_member_id) == ("q-1", bob.id)
    [room] = await rows(app, schema.communities)
    assert (room.platform_id, room.name) == ("playground", "Playground")
    assert len(await rows(app, schema.memberships)) == 2  # bob and alice spoke there; carol was only named


async def test_a_changed_nickname_keeps_the_identity(chat: Chat, app) -> None:
    from dataclasses import replace

    from bot.events import Contact

    await chat.say("alice", "hi")
    renamed = replace(make_message("hi again", "alice"), sender=Contact("alice", "Alice 🌸"))
    await chat.send(renamed)
    [alice] = await rows(app, schema.members)
    assert alice.display_name == "Alice 🌸"
    assert {m.member_id for m in await rows(app, schema.messages)} == {alice.id}


async def test_joins_and_leaves_are_recorded(chat: Chat, app, clock) -> None:
    await chat.join("dave")  # outreach welcomes dave (tests/test_welcome.py)
    [membership] = await rows(app, schema.memberships)
    assert membership.joined_at == clock.now() and membership.left_at is None
    assert await chat.leave("dave") == []
    [membership] = await rows(app, schema.memberships)
    assert membership.left_at == clock.now()


async def test_event_handlers_receive_joins(settings, clock, transport) -> None:
    from bot.bootstrap import open_app

    welcome = HandlerRegistry("testing")
    seen: list[str] = []

    @welcome.on(__import__("bot.events", fromlist=["MemberJoined"]).MemberJoined)
    async def greet(ctx, event) -> None:
        seen.append(event.member.id)
        await ctx.post(ctx.community, "core/pong")

    app = await open_app(settings, transport=transport, registries=(welcome,), clock=clock)
    await app.start()
    try:
        assert await Chat(app, transport).join("dave") == ["[playground] 我在呢，一切正常。"]
        assert seen == ["dave"]
    finally:
        await app.close()


async def test_unlisted_rooms_are_ignored_when_configured(settings, clock, transport) -> None:
    from bot.bootstrap import open_app

    strict = settings.model_copy(update={"bot": settings.bot.model_copy(update={"serve_unlisted_rooms": False})})
    app = await open_app(strict, transport=transport, registries=REGISTRIES, clock=clock)
    await app.start()
    try:
        chat = Chat(app, transport)
        assert await chat.say("alice", "/ping", room="elsewhere") == []
        assert await rows(app, schema.messages) == []
        assert await chat.say("alice", "/ping") == ["[playground] @alice 我在呢，一切正常。"]
        assert await chat.dm("alice", "/ping") == ["[dm alice] 我在呢，一切正常。"]
    finally:
        await app.close()


async def test_roles_from_the_database_and_config_combine(chat: Chat, app) -> None:
    await chat.say("admin", "/mod add @bob")
    directory = app.services.directory
    async with app.engine.connect() as conn:
        bob = await directory.find_member(conn, "bob")
        admin = await directory.find_member(conn, "admin")
    assert bob.role is Role.MODERATOR and admin.role is Role.ADMIN


def test_message_factory_reads_mentions() -> None:
    message: IncomingMessage = make_message("谢谢 @bob 和 @carol，@kocbot 记一下")
    assert [c.id for c in message.mentions] == ["bob", "carol"]
    assert message.mentions_bot


@pytest.mark.parametrize(
    ("status", "rules", "allowed"),
    [
        ("owner", {}, False),
        ("owner", {"room_owners_are_moderators": True}, True),
        ("admin", {"room_owners_are_moderators": True}, False),
        ("admin", {"room_admins_are_moderators": True}, True),
        ("owner", {"room_admins_are_moderators": True}, True),
    ],
)
async def test_room_owners_and_admins_may_act_as_moderators(
    settings, clock, transport, status: str, rules: dict, allowed: bool
) -> None:
    from dataclasses import replace

    from bot.bootstrap import open_app
    from bot.events import RoomStatus

    permissions = settings.permissions.model_copy(update=rules)
    app = await open_app(
        settings.model_copy(update={"permissions": permissions}),
        transport=transport,
        registries=REGISTRIES,
        clock=clock,
    )
    await app.start()
    try:
        message = replace(make_message("/mod list", "carol"), sender_room_status=RoomStatus(status))
        [reply] = await Chat(app, transport).send(message)
        assert reply.startswith("[dm carol] 社群运营团队") is allowed
        [carol] = await rows(app, schema.members, schema.members.c.platform_id == "carol")
        assert carol.role == "member"  # a standing in one room, never stored as a role
    finally:
        await app.close()


async def test_a_failure_in_a_batch_spoils_nothing_else_in_it(chat: Chat, app, transport) -> None:
    """Batches run without savepoints first; a failing handler makes the batch run again isolated."""
    for sender, text in [("alice", "/ping"), ("bob", "/boom"), ("admin", "/mod add @carol"), ("dave", "/nope")]:
        transport.inject(make_message(text, sender))
    assert await chat.send(make_message("/ping", "erin")) == [
        "[playground] @alice 我在呢，一切正常。",
        "[playground] @bob 抱歉，我这边出了点问题，没能完成这次操作。问题已经记录下来，请稍后再试一次。",
        "[dm admin] 已将 carol 设为社群运营。",
        "[playground] @dave 请 @ 一下你要设置的成员。",
        "[playground] @erin 我在呢，一切正常。",
        # after every reply: the news to carol is transactional
        "[dm carol] 你好！admin 已将你设为社群运营。发送 /帮助 可以看到你现在能用的所有命令。谢谢你愿意一起照顾好这个社群！",
    ]
    members = {m.platform_id: m for m in await rows(app, schema.members)}
    assert members["carol"].role == "moderator"
    assert members["bob"].locale is None and members["dave"].locale is None
    assert len(await rows(app, schema.messages)) == 5
    assert [a.outcome for a in await rows(app, schema.audit_log)] == ["ok"]


async def test_an_unreachable_database_loses_nothing(app, transport, caplog) -> None:
    """While the database is down the batch waits in memory and is tried again with backoff."""
    import asyncio

    from sqlalchemy.exc import OperationalError

    real_run_batch = app.pipeline._run_batch
    failures: list[int] = []

    async def flaky(batch, *, isolated):
        if len(failures) < 2:
            failures.append(len(batch))
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("database down"))
        return await real_run_batch(batch, isolated=isolated)

    app.pipeline._run_batch = flaky
    running = asyncio.create_task(app.pipeline.run())
    transport.inject(make_message("/ping", "alice"))
    for _ in range(200):
        if await rows(app, schema.messages):
            break
        await asyncio.sleep(0.01)
    app.pipeline.stop()
    await asyncio.wait_for(running, 5)
    await app.drain()
    assert failures == [1, 1]
    assert [m.text for m in transport.take()] == ["@alice 我在呢，一切正常。"]
    assert "the database is unreachable; 1 events wait, next try in 2 s" in caplog.text


async def test_a_member_never_seen_before_still_leaves_a_record(chat: Chat, app, clock) -> None:
    assert await chat.leave("ghost") == []
    [membership] = await rows(app, schema.memberships)
    assert membership.left_at == clock.now()


async def test_a_post_meant_for_a_member_who_has_left_the_room_is_not_written(chat: Chat, app, caplog) -> None:
    await chat.say("dave", "大家好")
    assert await chat.say("mod", "/greet @dave") == ["[playground] 我在呢，一切正常。"]
    await chat.leave("dave")
    with caplog.at_level(logging.INFO, logger="bot.context"):
        assert await chat.say("mod", "/greet @dave") == []
    assert any("core/pong to dave is dropped: they left playground" in r.getMessage() for r in caplog.records)
    [post] = [r for r in await rows(app, schema.outbox) if r.room_platform_id]
    assert (post.addressee, post.mentions) == ("dave", ["dave"])
