"""Authenticity: a KOC posting the month's brief nearly word for word is told to their moderator, privately only."""

from __future__ import annotations

from bot.db import schema
from bot.events import IncomingMessage
from handlers.koc.authenticity import closeness, match_brief_copy
from handlers.koc.config import KocSection
from handlers.koc.tables import koc_records
from tests.support import Chat, make_message, rows

POINTS = (
    "新品 X1 的续航比上一代提升了百分之三十，日常通勤一周只需要充一次电",
    "冬季骑行前记得检查胎压，低温下电池续航会略有下降，属于正常现象",
)
BRIEF = "/简报 设置 2026-12\n1. " + POINTS[0] + "\n2. " + POINTS[1]
COPIED = "新品 X1 的续航比上一代提升了百分之三十，日常通勤一周只需要充一次电！冬季骑行前记得检查胎压，低温下电池续航会略有下降，属于正常现象。"
ONE_POINT = "新品X1的续航比上一代提升了百分之三十，日常通勤一周只要充一次电"
OWN_WORDS = "我骑 X1 上下班快一个月了，说实话续航比我之前那台强不少，基本周末顺手充一次就够。天冷之后掉电快一点，不过出门前打打气问题不大。"
PARAPHRASE = "聊聊 X1 的续航：官方说提升了百分之三十，我实测通勤一周充一次电确实够用"


def test_the_matcher_is_pure_and_skips_short_messages_commands_and_private_ones() -> None:
    section = KocSection()
    assert match_brief_copy(make_message(COPIED, "bob"), section).text == COPIED
    assert match_brief_copy(make_message("好的，收到", "bob"), section) is None
    assert match_brief_copy(make_message("/koc health 看看大家最近的状态怎么样", "bob"), section) is None
    direct: IncomingMessage = make_message(COPIED, "bob", None)
    assert match_brief_copy(direct, section) is None


def test_closeness_works_for_chinese_copies_and_spares_own_words() -> None:
    assert closeness(COPIED, POINTS) >= 0.95
    assert closeness(ONE_POINT, POINTS) >= 0.9  # one point, a character changed, is still a script
    assert closeness(OWN_WORDS, POINTS) < 0.2  # the same topic in the KOC's own words
    assert closeness(PARAPHRASE, POINTS) < KocSection().brief_similarity  # shares facts, not the wording


async def _setup(chat: Chat, app, owner: str | None) -> dict[str, int]:
    await chat.say("bob", "大家好")
    await chat.say("carol", "大家好")
    await chat.say("mod", BRIEF)
    ids = {r.platform_id: r.id for r in await rows(app, schema.members)}
    async with app.engine.begin() as conn:
        await conn.execute(schema.members.update().where(schema.members.c.id == ids["bob"]).values(stage="active"))
        if owner is not None:
            await conn.execute(
                koc_records.insert().values(
                    member_id=ids["bob"],
                    domain="private",
                    since=app.clock.now(),
                    owner_id=ids[owner],
                    updated_at=app.clock.now(),
                    details={},
                )
            )
    chat.transport.take()
    return ids


async def test_a_copied_brief_is_told_to_the_owning_moderator_privately_once(chat: Chat, app) -> None:
    await chat.say("admin", "我是管理员")
    await _setup(chat, app, owner="admin")
    replies = await chat.say("bob", COPIED, message_id="m-copy")
    assert replies == [
        "[dm admin] （仅你可见）KOC bob 在「Playground」发的消息和 2026-12 的沟通主题几乎一样（相似度 100%）：\n"
        f"「{COPIED}」\n群友可能会觉得这是广告稿。沟通主题只是要点，不是稿子：方便的话私下和 TA 聊聊，"
        "请 TA 用自己的话、结合自己的体验来分享。请不要在群里指出这件事。"
    ]
    assert await chat.say("bob", COPIED, message_id="m-copy") == []  # the platform delivered it twice: told once
    assert await chat.say("bob", OWN_WORDS) == []
    assert await chat.say("bob", PARAPHRASE) == []
    assert await chat.say("carol", COPIED) == []  # not a KOC: nothing to say


async def test_without_an_owner_every_staff_member_is_told_and_never_the_member(chat: Chat, app) -> None:
    await _setup(chat, app, owner=None)
    replies = await chat.say("bob", ONE_POINT)
    assert sorted(r.split("]")[0] + "]" for r in replies) == ["[dm admin]", "[dm mod]"]
    assert all("相似度 95%" in r and "bob" in r for r in replies)
    outbox = await rows(app, schema.outbox)
    assert [m.contact_platform_id for m in outbox if m.template == "koc/brief_copy"] in (
        ["admin", "mod"],
        ["mod", "admin"],
    )
    assert not [m for m in outbox if m.contact_platform_id == "bob"]
