"""KOC records through the pipeline: promote with the right welcome per domain, rest, show, list, refusals."""

from __future__ import annotations

from datetime import timedelta

from bot.db import schema
from handlers.koc.tables import koc_events, koc_records
from tests.support import Chat, rows


async def _ids(app) -> dict[str, int]:
    return {m.platform_id: m.id for m in await rows(app, schema.members)}


async def _in_the_group(chat: Chat, *names: str) -> None:
    """Members the bot has seen in the group: only they can be made KOCs."""
    for name in names:
        await chat.say(name, "大家好")


async def test_promoting_a_private_domain_koc_records_it_and_welcomes_them_with_the_commitments(
    chat: Chat, app
) -> None:
    await _in_the_group(chat, "bob", "carol", "dave")
    replies = await chat.say("mod", "/koc 晋升 @bob 私域")
    assert "[dm mod] 已将 bob 设为私域 KOC，由你负责联系。欢迎信已私信发给 TA。" in replies
    assert len(replies) == 2
    [welcome] = [r for r in replies if r.startswith("[dm bob]")]
    assert "从今天起你是我们的私域 KOC 🎉 之后由 mod 和你保持联系" in welcome
    for commitment in (
        "称号、积分",
        "优先体验",
        "每一条建议都会得到答复（3 个工作日内）",
        "产品改进需要周期",
        "用自己的话",
    ):
        assert commitment in welcome
    assert "协议" not in welcome
    ids = await _ids(app)
    [member] = [m for m in await rows(app, schema.members) if m.platform_id == "bob"]
    assert member.stage == "active"
    [record] = await rows(app, koc_records)
    assert (record.member_id, record.domain, record.owner_id) == (ids["bob"], "private", ids["mod"])
    [event] = await rows(app, koc_events)
    assert (event.kind, event.from_stage, event.to_stage, event.actor_id) == ("promote", "member", "active", ids["mod"])
    [audit] = await rows(app, schema.audit_log)
    assert (audit.action, audit.outcome, audit.target_id) == ("koc promote", "ok", ids["bob"])


async def test_a_public_domain_koc_is_pointed_to_their_agreement(chat: Chat) -> None:
    await _in_the_group(chat, "bob", "carol", "dave")
    replies = await chat.say("mod", "/KOC promote @carol public")
    [welcome] = [r for r in replies if r.startswith("[dm carol]")]
    assert "公域 KOC" in welcome and "书面协议" in welcome and "/koc 协议" in welcome
    assert "优先体验" not in welcome


async def test_refusals_are_polite_and_change_nothing(chat: Chat, app) -> None:
    await _in_the_group(chat, "bob", "carol", "dave")
    assert await chat.say("mod", "/koc promote 私域") == [
        "[dm mod] 请 @ 一下要操作的成员。\n正确的用法：/koc 晋升 @成员 私域|公域 （或 /koc promote @member private|public）"
    ]
    assert await chat.say("mod", "/koc promote @bob") == [
        "[dm mod] 请写明是私域还是公域 KOC。\n正确的用法：/koc 晋升 @成员 私域|公域 （或 /koc promote @member private|public）"
    ]
    assert await chat.say("mod", "/koc rest @bob") == ["[dm mod] bob 现在不是活跃的 KOC，无法转为休息。"]
    assert await chat.say("mod", "/koc show @bob") == ["[dm mod] bob 还没有 KOC 记录。"]
    await chat.say("mod", "/koc promote @bob 私域")
    assert await chat.say("mod", "/koc 晋升 @bob 公域") == ["[dm mod] bob 已经是活跃的 KOC 了，不用再晋升。"]
    assert await chat.say("bob", "/koc promote @bob 私域") == [
        "[playground] @bob 抱歉，/koc promote 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    assert len(await rows(app, koc_events)) == 1


async def test_rest_show_and_list_keep_the_whole_history(chat: Chat, app, clock) -> None:
    await _in_the_group(chat, "bob", "carol", "dave")
    await chat.say("mod", "/koc promote @bob 私域")
    await chat.say("mod", "/koc promote @carol 公域")
    await app.advance_to(clock.now() + timedelta(days=3))
    chat.transport.take()
    rested = await chat.say("mod", "/koc 休息 @bob 最近工作太忙")
    assert rested[0] == "[dm mod] bob 已转为休息状态（最近工作太忙）。TA 的记录都会保留，随时可以重新晋升。"
    # The moderators are told privately, with successors proposed from the candidate pool.
    assert any(line.startswith("[dm mod]") and "bob" in line for line in rested[1:])
    [show] = await chat.say("mod", "/koc show @bob")
    assert show == (
        "[dm mod] KOC：bob\n阶段：休息 · 自 2026-12-04\n类型：私域 · 负责运营：mod\n【记录】\n"
        "· 2026-12-01 晋升：普通成员 → 活跃（mod）\n"
        "· 2026-12-04 休息：活跃 → 休息（mod）：最近工作太忙\n【未兑现的承诺】\n没有"
    )
    assert await chat.say("mod", "/koc list 活跃") == [
        "[dm mod] KOC 名单（活跃）：1 位\n· carol · 活跃 · 公域 · 自 2026-12-01 · mod 负责"
    ]
    assert await chat.say("mod", "/koc list") == [
        "[dm mod] KOC 名单：2 位\n· carol · 活跃 · 公域 · 自 2026-12-01 · mod 负责\n"
        "· bob · 休息 · 私域 · 自 2026-12-04 · mod 负责"
    ]
    assert await chat.say("mod", "/koc list public") == [
        "[dm mod] KOC 名单（公域）：1 位\n· carol · 活跃 · 公域 · 自 2026-12-01 · mod 负责"
    ]
    [bad] = await chat.say("mod", "/koc list 大神")
    assert bad.startswith("[dm mod] 我不认识“大神”")
    # Promoted again after resting: the history grows, nothing is rewritten.
    await chat.say("mod", "/koc promote @bob 私域")
    assert [(e.kind, e.to_stage) for e in await rows(app, koc_events) if e.member_id == (await _ids(app))["bob"]] == [
        ("promote", "active"),
        ("rest", "resting"),
        ("promote", "active"),
    ]


STAFF = "{name} 是{role}，不能作为 KOC：KOC 的分享要来自普通用户自己的体验，由运营来说就成了品牌的声音。"
UNSEEN = "我还没在任何群里见过 {name}（没有入群记录，也没有发过言），所以不能这样做。请确认 @ 的是社群里的成员。"


async def test_staff_and_members_never_seen_are_refused_with_the_reason(chat: Chat, app) -> None:
    await chat.say("admin", "大家好")
    assert await chat.say("mod", "/koc promote @admin 私域") == [
        "[dm mod] " + STAFF.format(name="admin", role="超级管理员")
    ]
    assert await chat.say("mod", "/koc invite @mod") == ["[dm mod] " + STAFF.format(name="mod", role="社群运营")]
    assert await chat.say("mod", "/koc 称号 @mod 荣誉产品顾问") == [
        "[dm mod] " + STAFF.format(name="mod", role="社群运营")
    ]
    assert await chat.say("mod", "/koc agreement @admin") == [
        "[dm mod] " + STAFF.format(name="admin", role="超级管理员")
    ]
    # zed was only ever @mentioned: the state first, before what the arguments lack
    for command in ("/koc promote @zed", "/koc 邀请 @zed", "/koc title @zed 荣誉产品顾问", "/koc 协议 @zed"):
        assert await chat.say("mod", command) == ["[dm mod] " + UNSEEN.format(name="zed")], command
    assert await rows(app, koc_records) == [] and await rows(app, koc_events) == []
    assert {a.outcome for a in await rows(app, schema.audit_log)} == {"invalid"}
    assert [m.stage for m in await rows(app, schema.members)] == ["member"] * 3
    # someone who wrote to the bot privately has been seen
    await chat.dm("yan", "你好")
    assert "[dm mod] 已将 yan 设为私域 KOC，由你负责联系。欢迎信已私信发给 TA。" in await chat.say(
        "mod", "/koc promote @yan 私域"
    )
