"""Thank-yous through the real pipeline: natural and explicit, every anti-gaming rule, the monthly threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import schema
from bot.events import Quote
from handlers.recognition.config import RecognitionSection
from handlers.recognition.tables import ledger, thanks, title_events
from tests.support import Chat, contact, rows

THRESHOLD = {"monthly_thanks_threshold": 3}


@pytest.fixture
def settings_overrides() -> dict:
    return {"recognition": THRESHOLD}


def _with(**recognition) -> dict:
    return {"recognition": {**THRESHOLD, **recognition}}


async def _thanks(app) -> list[tuple]:
    """(giver, receiver, counted, why_not, reason, via) of every stored thank-you, in order."""
    members = {m.id: m.platform_id for m in await rows(app, schema.members)}
    stored = sorted(await rows(app, thanks), key=lambda t: t.id)
    return [(members[t.giver_id], members.get(t.receiver_id), t.counted, t.why_not, t.reason, t.via) for t in stored]


async def test_natural_thanks_with_a_mention_is_recorded_and_acknowledged(chat: Chat, app) -> None:
    assert await chat.say("alice", "谢谢 @bob 帮我解决了问题") == ["[playground] @alice 收到！已记下你对 bob 的感谢 🌸"]
    assert await _thanks(app) == [("alice", "bob", True, None, "谢谢 @bob 帮我解决了问题", "message")]
    [row] = await rows(app, thanks)
    assert row.month == "2026-12" and row.platform_msg_id.startswith("test-")


async def test_several_members_in_one_message_and_english_phrases(chat: Chat, app) -> None:
    assert await chat.say("alice", "Thank you @bob and @carol") == [
        "[playground] @alice 收到！已记下你对 bob、carol 的感谢 🌸"
    ]
    assert await chat.say("dave", "THX @bob") == ["[playground] @dave 收到！已记下你对 bob 的感谢 🌸"]
    assert [(g, r, c) for g, r, c, *_ in await _thanks(app)] == [
        ("alice", "bob", True),
        ("alice", "carol", True),
        ("dave", "bob", True),
    ]


async def test_quoting_a_member_thanks_them(chat: Chat, app) -> None:
    quote = Quote(text="在设置里重置就行", sender=contact("bob"), message_id="q-1")
    assert await chat.say("alice", "太感谢了！", quote=quote) == ["[playground] @alice 收到！已记下你对 bob 的感谢 🌸"]
    assert await _thanks(app) == [("alice", "bob", True, None, "太感谢了！", "message")]


async def test_chatter_without_a_phrase_or_without_someone_to_thank_is_not_thanks(chat: Chat, app) -> None:
    assert await chat.say("alice", "@bob 你好") == []
    assert await chat.say("alice", "谢谢大家") == []
    assert await chat.say("alice", "Happy thanksgiving @bob") == []
    assert await chat.dm("alice", "谢谢 @bob") == [  # thanks are given in groups: where to say it
        "[dm alice] 不客气 😊 想感谢帮过你的群友的话，在群里 @TA 说声谢谢就好：我会记下来，大家也都看得到。"
    ]
    assert await rows(app, thanks) == []


async def test_refusals_questions_talk_about_thanks_and_everyone_are_neither_answered_nor_recorded(
    chat: Chat, app
) -> None:
    assert await chat.say("alice", "谢谢 @bob") == ["[playground] @alice 收到！已记下你对 bob 的感谢 🌸"]
    declined = Quote(text="谢谢 @bob", sender=contact("alice"))
    assert await chat.say("bob", "不用谢谢我啦", quote=declined) == []  # no thanks from bob to alice
    assert await chat.say("alice", "no thanks @carol") == []
    assert await chat.say("alice", "@bob\u2005你谢谢他了吗？") == []
    assert await chat.say("alice", "感谢信模板 @bob") == []
    assert await chat.say("alice", "谢谢客服！@carol 我的退款到了") == []
    assert await chat.say("mod", "@所有人\u2005谢谢大家", quote=Quote(text="好的", sender=contact("bob"))) == []
    assert await _thanks(app) == [("alice", "bob", True, None, "谢谢 @bob", "message")]


async def test_full_width_at_signs_wechat_spaces_slang_and_emoji_thank(chat: Chat, app) -> None:
    assert await chat.say("alice", "谢谢＠bob\u2005帮我解决了问题") == [
        "[playground] @alice 收到！已记下你对 bob 的感谢 🌸"
    ]
    assert await chat.say("alice", "＠carol 3q") == ["[playground] @alice 收到！已记下你对 carol 的感谢 🌸"]
    assert await chat.say("alice", "🙏", quote=Quote(text="重启一下", sender=contact("dave"))) == [
        "[playground] @alice 收到！已记下你对 dave 的感谢 🌸"
    ]
    assert [(r, reason) for _, r, _, _, reason, _ in await _thanks(app)] == [  # each as typed
        ("bob", "谢谢＠bob\u2005帮我解决了问题"),
        ("carol", "＠carol 3q"),
        ("dave", "🙏"),
    ]


async def test_explicit_thanks_with_a_reason_in_english_and_chinese(chat: Chat, app) -> None:
    assert await chat.say("alice", "/thanks @bob 帮我选了合适的型号") == [
        "[playground] @alice 收到！已记下你对 bob 的感谢 🌸"
    ]
    assert await chat.say("carol", "／感谢 @bob") == ["[playground] @carol 收到！已记下你对 bob 的感谢 🌸"]
    quote = Quote(text="试试重启", sender=contact("dave"))
    assert await chat.say("carol", "/感谢 这个办法管用", quote=quote) == [
        "[playground] @carol 收到！已记下你对 dave 的感谢 🌸"
    ]
    assert await _thanks(app) == [
        ("alice", "bob", True, None, "帮我选了合适的型号", "command"),
        ("carol", "bob", True, None, "", "command"),
        ("carol", "dave", True, None, "这个办法管用", "command"),
    ]


async def test_explicit_thanks_needs_someone_and_a_room(chat: Chat, app) -> None:
    assert await chat.say("alice", "/thanks 你们真好") == [
        "[playground] @alice 请 @ 一下你想感谢的群友，或者引用 TA 的消息再发送。\n"
        "正确的用法：/感谢 @群友 [理由] （或 /thanks）"
    ]
    assert await chat.dm("alice", "/thanks @bob") == [
        "[dm alice] 这个命令需要在群聊里使用：/感谢 @群友 [理由] （或 /thanks）"
    ]
    assert await rows(app, thanks) == []


async def test_acknowledgement_can_be_silent(settings, clock, transport) -> None:
    app = await _open(settings, clock, transport, acknowledge="silent")
    try:
        chat = Chat(app, transport)
        assert await chat.say("alice", "谢谢 @bob") == []
        assert await chat.say("carol", "/thanks @bob") == [  # a command always gets its answer
            "[playground] @carol 收到！已记下你对 bob 的感谢 🌸"
        ]
        assert [t[2] for t in await _thanks(app)] == [True, True]
    finally:
        await app.close()


async def _open(settings, clock, transport, **recognition):
    from bot.bootstrap import open_app
    from handlers import REGISTRIES

    section = settings.section(RecognitionSection).model_copy(update=recognition)
    app = await open_app(
        settings.model_copy(update={"recognition": section}), transport=transport, registries=REGISTRIES, clock=clock
    )
    await app.start()
    return app


SELF = ("self", "谢谢 @alice", "自己谢自己可不算数哦 😄 把感谢留给帮过你的群友吧。")
BOT = ("bot", "谢谢 @kocbot", "不客气，能帮上忙我很开心！感谢是留给群友之间的，我就不占名额啦。")


@pytest.mark.parametrize("answer", ["reply", "silent"])
@pytest.mark.parametrize(("rule", "text", "refusal"), [SELF, BOT])
async def test_thanking_yourself_or_the_bot_never_counts(
    settings, clock, transport, rule: str, text: str, refusal: str, answer: str
) -> None:
    from handlers.recognition.config import RefusalAnswers

    app = await _open(settings, clock, transport, refusals=RefusalAnswers.model_validate({rule: answer}))
    try:
        replies = await Chat(app, transport).say("alice", text)
        assert replies == ([f"[playground] @alice {refusal}"] if answer == "reply" else [])
        [stored] = await _thanks(app)
        assert stored[:4] == ("alice", "alice" if rule == "self" else None, False, rule)
    finally:
        await app.close()


async def test_quoting_the_bot_thanks_the_bot_and_explicit_self_thanks_answers(chat: Chat, app) -> None:
    quote = Quote(text="我在呢", sender=contact("kocbot"), from_bot=True)
    assert await chat.say("alice", "谢谢", quote=quote) == [f"[playground] @alice {BOT[2]}"]
    assert await chat.say("alice", "/thanks @kocbot") == [f"[playground] @alice {BOT[2]}"]
    assert await chat.say("alice", "/thanks @alice @bob") == [
        f"[playground] @alice 收到！已记下你对 bob 的感谢 🌸\n{SELF[2]}"
    ]
    assert [(r, c, w) for _, r, c, w, *_ in await _thanks(app)] == [
        (None, False, "bot"),
        (None, False, "bot"),
        ("alice", False, "self"),
        ("bob", True, None),
    ]


COOLDOWN_REPLY = "bob 在 24 小时内已经收到过你的感谢，这次先不重复计数，你的心意我们记下了。"


@pytest.mark.parametrize("answer", ["reply", "silent"])
async def test_the_same_pair_counts_once_per_cooldown(settings, clock, transport, answer: str) -> None:
    from handlers.recognition.config import RefusalAnswers

    app = await _open(settings, clock, transport, refusals=RefusalAnswers.model_validate({"cooldown": answer}))
    try:
        chat, start = Chat(app, transport), clock.now()
        await chat.say("alice", "谢谢 @bob")
        await app.advance_to(start + timedelta(hours=23, minutes=59))
        assert await chat.say("alice", "再次感谢 @bob") == (
            [f"[playground] @alice {COOLDOWN_REPLY}"] if answer == "reply" else []
        )
        assert await chat.say("alice", "谢谢 @carol") == ["[playground] @alice 收到！已记下你对 carol 的感谢 🌸"]
        await app.advance_to(start + timedelta(hours=24))
        assert await chat.say("alice", "又要谢谢 @bob") == ["[playground] @alice 收到！已记下你对 bob 的感谢 🌸"]
        assert [(r, c, w) for _, r, c, w, *_ in await _thanks(app)] == [
            ("bob", True, None),
            ("bob", False, "cooldown"),
            ("carol", True, None),
            ("bob", True, None),
        ]
    finally:
        await app.close()


async def test_a_command_on_cooldown_answers_even_when_natural_refusals_are_silent(chat: Chat) -> None:
    await chat.say("alice", "谢谢 @bob")
    assert await chat.say("alice", "谢谢 @bob") == []  # cooldown refusals are silent by default
    assert await chat.say("alice", "/thanks @bob") == [f"[playground] @alice {COOLDOWN_REPLY}"]


CAP_REPLY = "你今天已经送出 2 次感谢了，谢谢你这么热心！对 {names} 的这次感谢先不计数，明天继续。"


@pytest.mark.parametrize("answer", ["reply", "silent"])
async def test_a_daily_cap_per_giver_in_the_rooms_time_zone(settings, clock, transport, answer: str) -> None:
    from handlers.recognition.config import RefusalAnswers

    app = await _open(
        settings, clock, transport, daily_cap=2, refusals=RefusalAnswers.model_validate({"daily_cap": answer})
    )
    try:
        chat = Chat(app, transport)
        assert await chat.say("alice", "谢谢 @bob @carol @dave @erin") == [
            "[playground] @alice 收到！已记下你对 bob、carol 的感谢 🌸"
            + (f"\n{CAP_REPLY.format(names='dave、erin')}" if answer == "reply" else "")
        ]
        await chat.say("alice", "谢谢 @grace", room="room2")  # the cap is per giver, across rooms
        # 23:59 in Asia/Shanghai is still the same day; midnight there starts a new one.
        await app.advance_to(clock.now().replace(hour=15, minute=59))
        assert await chat.say("alice", "/thanks @frank") == [f"[playground] @alice {CAP_REPLY.format(names='frank')}"]
        await app.advance_to(clock.now().replace(hour=16, minute=0))
        assert await chat.say("alice", "谢谢 @frank") == ["[playground] @alice 收到！已记下你对 frank 的感谢 🌸"]
        assert [(r, c, w) for _, r, c, w, *_ in await _thanks(app)] == [
            ("bob", True, None),
            ("carol", True, None),
            ("dave", False, "daily_cap"),
            ("erin", False, "daily_cap"),
            ("grace", False, "daily_cap"),
            ("frank", False, "daily_cap"),
            ("frank", True, None),
        ]
    finally:
        await app.close()


NEWCOMER_REPLY = "欢迎新朋友！加入社群满 7 天后，你送出的感谢就会开始计数；这次先帮你记下对 bob 的心意。"


@pytest.mark.parametrize("answer", ["reply", "silent"])
async def test_thanks_from_newcomers_can_be_set_not_to_count(settings, clock, transport, answer: str) -> None:
    from handlers.recognition.config import RefusalAnswers

    app = await _open(
        settings, clock, transport, newcomer_days=7, refusals=RefusalAnswers.model_validate({"newcomer": answer})
    )
    try:
        chat, start = Chat(app, transport), clock.now()
        await chat.join("nina")
        assert await chat.say("nina", "谢谢 @bob") == (
            [f"[playground] @nina {NEWCOMER_REPLY}"] if answer == "reply" else []
        )
        await app.advance_to(start + timedelta(days=7))
        assert await chat.say("nina", "谢谢 @bob") == ["[playground] @nina 收到！已记下你对 bob 的感谢 🌸"]
        assert [(g, c, w) for g, _, c, w, *_ in await _thanks(app)] == [
            ("nina", False, "newcomer"),
            ("nina", True, None),
        ]
    finally:
        await app.close()


COUNTED = "收到！已记下你对 bob 的感谢 🌸"


@pytest.mark.parametrize("settings_overrides", [_with(newcomer_days=7)])
async def test_members_there_before_the_bot_are_no_newcomers(chat: Chat, app, clock) -> None:
    # deployed today: alice was in the group already (the bot never saw her join)
    assert await chat.say("alice", "谢谢 @bob") == [f"[playground] @alice {COUNTED}"]
    # carol, seen speaking before, leaves and comes back: still no newcomer
    await chat.say("carol", "大家好")
    await chat.leave("carol")
    await chat.join("carol")
    assert await chat.say("carol", "谢谢 @bob") == [f"[playground] @carol {COUNTED}"]
    [alice, carol] = [m for m in await rows(app, schema.members) if m.platform_id in ("alice", "carol")]
    assert (alice.arrived_at, carol.arrived_at) == (None, None)


@pytest.mark.parametrize("settings_overrides", [_with(newcomer_days=7)])
async def test_leaving_and_rejoining_does_not_make_a_newcomer_again(chat: Chat, app, clock) -> None:
    start = clock.now()
    await chat.join("nina")
    assert await chat.say("nina", "谢谢 @bob") == [f"[playground] @nina {NEWCOMER_REPLY}"]
    await app.advance_to(start + timedelta(days=8))
    await chat.leave("nina")
    await chat.join("nina")
    await chat.join("nina", room="second")  # a second group: the same arrival
    assert await chat.say("nina", "谢谢 @bob") == [f"[playground] @nina {COUNTED}"]
    [nina] = await rows(app, schema.members, schema.members.c.platform_id == "nina")
    assert nina.arrived_at == start


@pytest.mark.parametrize(
    "settings_overrides", [{"recognition": THRESHOLD, "communities": [{"id": "global", "locale": "en"}]}]
)
async def test_an_english_room_is_thanked_in_english(chat: Chat) -> None:
    assert await chat.say("alice", "thanks @bob @carol @dave", room="global") == [
        "[global] @alice Noted: your thanks to bob, carol and dave 🌸"
    ]
    assert await chat.say("alice", "/thanks @alice", room="global") == [
        "[global] @alice Thanking yourself doesn't count 😄 Save your thanks for the people who helped you."
    ]


REACHED = (
    "[playground] 🎉 恭喜 @bob！2026 年 12 月你已经收到 3 次群友的感谢，获得 50 积分和「热心答主」称号。"
    "谢谢你一直热心帮助大家！"
)


async def test_the_monthly_threshold_rewards_once_a_month(chat: Chat, app, clock) -> None:
    await chat.say("alice", "谢谢 @bob")
    await chat.say("carol", "谢谢 @bob")
    assert await chat.say("dave", "谢谢 @bob") == [
        "[playground] @dave 收到！已记下你对 bob「热心答主」 的感谢 🌸",
        REACHED,
    ]
    assert await chat.say("erin", "谢谢 @bob") == ["[playground] @erin 收到！已记下你对 bob「热心答主」 的感谢 🌸"]
    [bob] = await rows(app, schema.members, schema.members.c.platform_id == "bob")
    [award] = await rows(app, ledger)
    assert (award.member_id, award.amount, award.source, award.key, award.granted_by) == (
        bob.id,
        50,
        "thanks_threshold",
        f"thanks_threshold:{bob.id}:2026-12",
        None,
    )
    [title] = await rows(app, title_events)
    assert (title.member_id, title.title, title.granted, title.source) == (bob.id, "热心答主", True, "thanks_threshold")
    # A new month (in Asia/Shanghai) counts from zero and rewards again; the title is held already.
    await app.advance_to(clock.now().replace(hour=16, day=31))
    for giver in ("alice", "carol"):
        await chat.say(giver, "谢谢 @bob")
    assert await chat.say("dave", "谢谢 @bob") == [
        "[playground] @dave 收到！已记下你对 bob「热心答主」 的感谢 🌸",
        "[playground] 🎉 恭喜 @bob！2027 年 1 月你已经收到 3 次群友的感谢，获得 50 积分。谢谢你一直热心帮助大家！",
    ]
    assert [(e.key, e.amount) for e in await rows(app, ledger)] == [
        (f"thanks_threshold:{bob.id}:2026-12", 50),
        (f"thanks_threshold:{bob.id}:2027-01", 50),
    ]
    assert len(await rows(app, title_events)) == 1


async def test_uncounted_thanks_do_not_reach_the_threshold(chat: Chat, app) -> None:
    for _ in range(3):
        await chat.say("alice", "谢谢 @bob")
    await chat.say("bob", "谢谢 @bob")
    assert await rows(app, ledger) == []
