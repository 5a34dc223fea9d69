"""Listening through the pipeline: complaint notes and their one-step actions, the optional acknowledgement,
questions answered (by quote, mention, reply, thanks) or nudged and escalated, /listening and the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import schema
from bot.events import Contact, Quote
from bot.registry import ExportRequest
from handlers.listening.tables import flags, labels, notes
from handlers.listening.views import export_labels
from handlers.recognition.tables import thanks
from handlers.threads.tables import events, people, threads
from tests.conftest import START
from tests.support import Chat, rows
from tests.test_monthly_report import ask

BROKEN = "新买的耳机右边没声音了，才用了一个星期"
AGAIN = "我的耳机也是，右耳时有时无"
DELIVERY = "等了两周还没发货，到底什么情况"
ASKED = "请问耳机怎么恢复出厂设置？"


def note(number: int, who: str, text: str, to: str = "mod", room: str = "Playground") -> str:
    return (
        f"[dm {to}] 👂 #{number} {who} 在「{room}」说：\n「{text}」\n一步处理：\n"
        f"· /问题 新建 来自 {number} —— 记为问题并在群里谢谢 TA\n"
        f"· /问题 关联 编号 来自 {number} —— 并入已有的问题\n"
        f"· /忽略 {number} —— 不是对我们的抱怨\n"
        "一小时内同一件事的抱怨会并入这条。"
    )


def notes_for(number: int, who: str, text: str) -> list[str]:
    return [note(number, who, text, "admin"), note(number, who, text, "mod")]


async def test_a_complaint_gets_one_private_note_and_nothing_in_the_group(chat: Chat, app) -> None:
    assert await chat.say("bob", BROKEN) == notes_for(1, "bob", BROKEN)
    [flag] = await rows(app, flags)
    assert (flag.kind, flag.note_id, flag.text) == ("complaint", 1, BROKEN)
    assert [r for r in await rows(app, schema.outbox) if r.room_platform_id is not None] == []


async def test_complaints_about_one_thing_within_the_hour_share_the_note(chat: Chat, app, clock) -> None:
    await chat.say("bob", BROKEN)
    clock.advance(timedelta(minutes=40))
    assert await chat.say("carol", AGAIN) == []  # the same thing (耳机), 40 minutes later
    assert await chat.say("dave", DELIVERY) == notes_for(2, "dave", DELIVERY)  # another thing: its own note
    clock.advance(timedelta(minutes=61))
    assert await chat.say("erin", "耳机又断连了，烦") == notes_for(3, "erin", "耳机又断连了，烦")  # an hour later
    assert [(f.member_id, f.note_id) for f in await rows(app, flags)] == [(1, 1), (2, 1), (3, 2), (4, 3)]


async def test_staff_messages_and_other_rooms_keep_their_own_notes(chat: Chat, app) -> None:
    assert await chat.say("mod", BROKEN) == []
    await chat.say("bob", BROKEN)
    assert len(await chat.say("carol", AGAIN, room="二群")) == 2


class TestOwner:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"listening": {"owners": {"二群": "mod"}}}

    async def test_the_owning_moderator_alone_gets_the_rooms_notes(self, chat: Chat) -> None:
        await chat.say("mod", "大家好", room="二群")
        replies = await chat.say("bob", BROKEN, room="二群")
        assert replies == [note(1, "bob", BROKEN).replace("Playground", "二群")]
        assert len(await chat.say("bob", DELIVERY)) == 2  # playground has no owner: all staff


async def test_ignore_closes_the_note_and_keeps_a_label(chat: Chat, app) -> None:
    await chat.say("bob", BROKEN)
    await chat.say("carol", AGAIN)
    assert await chat.say("bob", "/ignore 1") == [
        "[playground] @bob 抱歉，/ignore 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert await chat.dm("mod", "/忽略 1") == ["[dm mod] 好的，#1 已忽略，不会再提醒。"]
    assert await chat.dm("mod", "/忽略 1") == ["[dm mod] #1 已经处理过了（已忽略）。"]
    assert await chat.dm("mod", "/忽略 9") == ["[dm mod] 没有编号为 9 的抱怨提醒。/倾听 可以看到编号。"]
    assert await chat.dm("mod", "/ignore") == [
        "[dm mod] 请写上提醒的编号，比如：/忽略 3\n正确的用法：/忽略 编号 （或 /ignore）"
    ]
    [row] = await rows(app, notes)
    assert (row.status, row.ack_due_at) == ("ignored", None)
    assert [(lb.text, lb.label, lb.source) for lb in await rows(app, labels)] == [
        (BROKEN, "other", "ignore"),
        (AGAIN, "other", "ignore"),
    ]


async def test_issue_open_from_a_note_thanks_the_reporter_in_their_room(chat: Chat, app) -> None:
    await chat.say("bob", BROKEN)
    assert await chat.dm("mod", "/issue open from 1 耳机右边无声") == [
        "[dm mod] 已记为问题 #1，并在「Playground」里谢过提出的人。",
        "[playground] @bob 谢谢你提出「耳机右边无声」这个问题 🙏 我们已经记下（#1），会认真跟进，有结果会第一时间在群里告诉大家。",
    ]
    [thread] = await rows(app, threads)
    assert thread.title == "耳机右边无声"
    assert [(p.part) for p in await rows(app, people)] == ["reporter"]
    assert [(e.kind, e.text) for e in await rows(app, events)] == [("open", BROKEN)]
    [row] = await rows(app, notes)
    assert (row.status, row.thread_id) == ("thread", 1)
    assert [(lb.label, lb.source) for lb in await rows(app, labels)] == [("complaint", "thread")]
    assert await chat.dm("mod", "/问题 新建 来自 1") == ["[dm mod] #1 已经处理过了（已记为问题）。"]
    assert await chat.dm("mod", "/问题 新建 来自 7") == ["[dm mod] 没有编号为 7 的待处理消息。看看 /倾听 里的编号。"]


async def test_issue_link_from_a_note_adds_the_room_and_reporter(chat: Chat, app) -> None:
    await chat.say("mod", "/issue open 耳机无声", room="二群")
    await chat.say("bob", BROKEN)
    assert await chat.dm("mod", "/issue link 1 from 1") == [
        "[dm mod] 已记为问题 #1，并在「Playground」里谢过提出的人。",
        "[playground] @bob 谢谢你的反馈 🙏 「耳机无声」这个问题我们已经在跟进（#1），有结果会在这个群里告诉大家。",
    ]
    assert [e.kind for e in await rows(app, events)] == ["open", "link"]
    assert [(row.status, row.thread_id) for row in await rows(app, notes)] == [("thread", 1)]


async def test_acknowledgement_is_off_by_default(chat: Chat, app) -> None:
    await chat.say("bob", BROKEN)
    await app.advance_to(START + timedelta(hours=2))
    assert chat.transport.take() == []


class TestAcknowledgement:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"listening": {"acknowledge": True}}

    async def test_nobody_acted_within_30_minutes_the_room_hears_thanks(self, chat: Chat, app, clock) -> None:
        await chat.say("bob", BROKEN)
        clock.advance(timedelta(minutes=10))
        await chat.say("carol", AGAIN)
        await app.advance_to(START + timedelta(minutes=29))
        assert chat.transport.take() == []
        await app.advance_to(START + timedelta(minutes=31))
        assert [f"[{m.room_id}] {m.text}" for m in chat.transport.take()] == [
            "[playground] @bob @carol 谢谢大家提出来 🙏 我们已经转给负责的同事在看了，有进展会在群里告诉大家。"
        ]
        [row] = await rows(app, notes)
        assert row.acknowledged_at == START + timedelta(minutes=30)

    async def test_a_moderator_who_acted_first_is_not_second_guessed(self, chat: Chat, app) -> None:
        await chat.say("bob", BROKEN)
        await chat.dm("mod", "/ignore 1")
        await app.advance_to(START + timedelta(hours=1))
        assert chat.transport.take() == []


def _quote(text: str = ASKED, sender: str = "bob") -> Quote:
    return Quote(text=text, sender=Contact(sender, sender), message_id="q-1")


NUDGE = "[dm {to}] 🙋 #1「Playground」里 bob 的问题 20 分钟还没人回答：\n「" + ASKED + "」"
ESCALATE = "[dm {to}] ⏰ #1「Playground」里 bob 的问题已经 80 分钟没人回答了，提醒过一次：\n「" + ASKED + "」"


async def _unanswered(chat: Chat, app, minutes: int) -> list[str]:
    await app.advance_to(START + timedelta(minutes=minutes))
    return [f"[dm {m.contact_id}] {m.text}" for m in chat.transport.take()]


async def test_an_unanswered_question_is_nudged_then_escalated_once(chat: Chat, app) -> None:
    assert await chat.say("bob", ASKED, message_id="q-1") == []
    assert await _unanswered(chat, app, 19) == []
    assert await _unanswered(chat, app, 20) == [NUDGE.format(to="admin"), NUDGE.format(to="mod")]
    assert await _unanswered(chat, app, 79) == []
    assert await _unanswered(chat, app, 80) == [ESCALATE.format(to="admin"), ESCALATE.format(to="mod")]
    assert await _unanswered(chat, app, 600) == []
    [flag] = await rows(app, flags)
    assert (flag.nudges, flag.due_at, flag.answered_at) == (2, None, None)


@pytest.mark.parametrize(
    ("answer", "how"),
    [
        ({"sender": "carol", "text": "在设置里长按", "quote": True}, "quote"),
        ({"sender": "carol", "text": "@bob 长按"}, "mention"),
        ({"sender": "carol", "text": "长按左耳十秒就行"}, "reply"),
        ({"sender": "bob", "text": "好了，解决了"}, "thanks"),
    ],
)
async def test_an_answered_question_is_not_nudged(chat: Chat, app, clock, answer: dict, how: str) -> None:
    await chat.say("bob", ASKED, message_id="q-1")
    clock.advance(timedelta(minutes=5))
    quote = _quote() if answer.get("quote") else None
    await chat.say(answer["sender"], answer["text"], quote=quote)
    assert await _unanswered(chat, app, 200) == []
    [flag] = await rows(app, flags)
    ids = {m.platform_id: m.id for m in await rows(app, schema.members)}
    by = ids["carol"] if how != "thanks" else None
    assert (flag.answered_how, flag.answered_by, flag.answered_at) == (how, by, START + timedelta(minutes=5))


async def test_a_late_reply_or_a_short_one_does_not_count(chat: Chat, app, clock) -> None:
    await chat.say("bob", ASKED, message_id="q-1")
    clock.advance(timedelta(minutes=2))
    await chat.say("carol", "+1")  # too short
    await chat.say("dave", "我也想知道怎么弄？")  # a question of its own
    clock.advance(timedelta(minutes=12))
    await chat.say("erin", "长按左耳十秒就行")  # after the 10-minute window
    assert len(await _unanswered(chat, app, 20)) == 2


async def test_an_active_koc_who_helped_in_the_room_is_nudged_first(chat: Chat, app, clock) -> None:
    await chat.say("carol", "大家好")
    async with app.engine.begin() as conn:
        members = schema.members
        await conn.execute(members.update().where(members.c.platform_id == "carol").values(stage="active"))
    await chat.say("dave", "谢谢 @carol 帮我解决了")
    clock.set(START)
    await chat.say("bob", ASKED, message_id="q-1")
    assert await _unanswered(chat, app, 20) == [
        "[dm carol] 🙋 「Playground」里 bob 问了一个问题，20 分钟还没人回答：\n「"
        + ASKED
        + "」\n你在群里帮过不少人，方便的话去看看？用你自己的话回答就好。"
    ]
    assert await _unanswered(chat, app, 80) == [ESCALATE.format(to="admin"), ESCALATE.format(to="mod")]


async def test_quiet_hours_move_the_nudge_to_the_morning(chat: Chat, app, clock) -> None:
    clock.set(START + timedelta(hours=12, minutes=50))  # 21:50 in Shanghai
    await chat.say("bob", ASKED, message_id="q-1")
    assert await _unanswered(chat, app, 12 * 60 + 50 + 20) == []  # 22:10: quiet
    morning = 23 * 60  # 08:00 the next day
    assert await _unanswered(chat, app, morning - 1) == []
    replies = await _unanswered(chat, app, morning)
    assert replies == [NUDGE.format(to=to).replace("20 分钟", f"{10 * 60 + 10} 分钟") for to in ("admin", "mod")]


async def test_listening_shows_staff_the_open_items_privately(chat: Chat, app, clock) -> None:
    await chat.say("bob", BROKEN)
    await chat.say("carol", ASKED, message_id="q-1")
    clock.advance(timedelta(minutes=15))
    assert await chat.say("mod", "/倾听") == [
        "[dm mod] 👂 倾听：待处理\n【Playground】\n· 抱怨 #1 bob：「" + BROKEN + "」 · 15分钟前\n"
        "· 问题 #2 carol：「" + ASKED + "」 · 15 分钟没人回答"
    ]
    await chat.say("dave", "@carol 在设置里")
    await chat.dm("mod", "/ignore 1")
    assert await chat.dm("mod", "/listening") == ["[dm mod] 👂 倾听：待处理\n各群都没有待处理的抱怨和问题 🎉"]


async def test_the_weekly_digest_counts_per_room(chat: Chat, app, clock) -> None:
    await chat.say("bob", BROKEN)
    await chat.say("carol", DELIVERY)
    await chat.dm("mod", "/issue open from 1")
    await chat.dm("mod", "/ignore 2")
    await chat.say("bob", ASKED, message_id="q-1")
    await chat.say("dave", "长按左耳十秒就行")
    await chat.say("erin", "有人知道降噪模式在哪里切换吗")
    clock.advance(timedelta(minutes=30))
    digest = "\n".join(await chat.dm("mod", "/digest"))
    assert "👂 倾听：本周\n【Playground】抱怨 2 条（记为问题 1，忽略 1）· 问题 2 个，已回答 1" in digest


async def test_export_writes_the_labels(chat: Chat, app) -> None:
    await chat.say("bob", BROKEN)
    await chat.dm("mod", "/ignore 1")
    async with app.engine.connect() as conn:
        written = await export_labels(conn, ExportRequest())
    assert written == (
        '{"text": "' + BROKEN + '", "label": "other", "source": "ignore", "decided_at": "2026-12-01T01:00:00+00:00"}\n'
    )


async def test_the_monthly_report_shows_the_share_answered_and_the_median_wait(chat: Chat, app, clock) -> None:
    await chat.say("bob", ASKED, message_id="q-1")
    clock.advance(timedelta(minutes=6))
    await chat.say("carol", "@bob 长按左耳十秒")
    await chat.say("dave", "有人知道降噪模式在哪里切换吗")
    await app.advance_to(START + timedelta(hours=3))  # nudged and escalated: still unanswered
    chat.transport.take()
    [report, *_charts] = await ask(chat, "mod", "/月报")
    assert "🙋 群里的提问：\n· Playground：2 个，已回答 50%，首次回答用时中位数 6 分钟\n" in report.text


async def test_the_asker_thanking_the_helper_closes_it_and_takes_the_ordinary_thanks_path(
    chat: Chat, app, clock
) -> None:
    await chat.say("bob", ASKED, message_id="q-1")
    clock.advance(timedelta(minutes=15))
    await chat.say("carol", "你试试长按左耳十秒")
    clock.advance(timedelta(minutes=3))
    thanked = await chat.say("bob", "谢谢 @carol 解决了")
    assert len(thanked) == 1 and thanked[0].startswith("[playground] ")  # recognition's answer, as usual
    assert await _unanswered(chat, app, 200) == []
    [flag] = await rows(app, flags)
    ids = {m.platform_id: m.id for m in await rows(app, schema.members)}
    assert (flag.answered_how, flag.answered_by) == ("thanks", ids["carol"])
    assert [(t.giver_id, t.receiver_id) for t in await rows(app, thanks)] == [(ids["bob"], ids["carol"])]
