"""Numbers members type: one parser for ids, amounts and months; a polite reply to any of them, never a traceback."""

from __future__ import annotations

import logging

import pytest

from bot.commands import MAX_ID, parse_id, parse_month, parse_number
from bot.errors import NoSuchDate, NoSuchNumber
from tests.support import Chat

BIG = "99999999999999999999"  # beyond PostgreSQL's INTEGER, and SQLite's too
INPUTS = ("²", BIG, "-1", "0", "１２")  # superscript two; too big; signed; zero; full-width twelve
NO_SUCH_BIG = f"没有编号为 {BIG} 的记录，请检查一下编号是否写对了。"


def test_ids_are_ascii_or_full_width_digits_within_the_column_range() -> None:
    assert [parse_id(w) for w in ("12", "#12", "＃１２", " 7 ", "007", "0", str(MAX_ID))] == [
        12,
        12,
        12,
        7,
        7,
        0,
        MAX_ID,
    ]
    assert [parse_id(w) for w in ("²", "-1", "+1", "1.5", "12a", "٣", "", None, "FB-12")] == [None] * 9
    assert [parse_id(w, label="FB") for w in ("FB-12", "fb12", "#FB-12", "Fb-１２", "FB-", "FB--1")] == [
        12,
        12,
        12,
        12,
        None,
        None,
    ]
    for beyond in (str(MAX_ID + 1), BIG, "9" * 5000, "FB-" + BIG):
        with pytest.raises(NoSuchNumber):
            parse_id(beyond, label="FB")


def test_amounts_and_months_are_read_the_same_way() -> None:
    assert [parse_number(w, least=1, most=50) for w in ("1", "50", "５０", "0", "51", "²", "-1", BIG)] == [
        1,
        50,
        50,
        None,
        None,
        None,
        None,
        None,
    ]
    assert parse_number("0" * 5000 + "5", most=9) == 5 and parse_number("9" * 5000, most=9) is None
    assert [parse_month(w) for w in ("2026-3", "2026/12", "２０２６-１２", "0000-11", "9999-12", "2026-²")] == [
        "2026-03",
        "2026-12",
        "2026-12",
        None,
        None,
        None,
    ]
    for no_month in ("2026-13", "2026-0", "２０２６-１３"):  # shaped like a month, naming none: said so
        with pytest.raises(NoSuchDate) as caught:
            parse_month(no_month)
        assert caught.value.params == {
            "typed": no_month,
            "reason": "month",
            "year": 0,
            "month": 0,
            "days": 0,
            "what": "month",
        }


def room(text: str, who: str = "mod") -> list[str]:
    """The answer to `who` in the room's conversation: staff are answered privately, members in the room."""
    return [f"[dm {who}] {text}"] if who in ("mod", "admin") else [f"[playground] @{who} {text}"]


def by_id(usage: str, missing: str, *, zero: str | None = None, who: str = "mod") -> list[list[str]]:
    """The replies to INPUTS for a command naming a thing by its number: the usage for what is no
    number, "nothing has that number" for a number beyond any id, the command's own "not found" otherwise."""
    missing_zero = [zero] if zero else room(missing.format(n=0), who)
    return [room(usage, who), room(NO_SUCH_BIG, who), room(usage, who), missing_zero, room(missing.format(n=12), who)]


def threads(usage: str, who: str = "mod") -> list[list[str]]:
    full = f"请写上问题编号，比如 12 或 #12。\n正确的用法：{usage}"
    return by_id(full, "没有找到 #{n} 这个问题。", zero=room(full, who)[0], who=who)


def feedback(usage: str, who: str = "mod") -> list[list[str]]:
    return by_id(f"请写上反馈编号，例如 FB-42。\n正确的用法：{usage}", "没有找到反馈 FB-{n}，请检查编号。", who=who)


def campaigns(usage: str) -> list[list[str]]:
    return by_id(
        f"请写上活动编号，例如 1。\n正确的用法：{usage}", "没有编号为 #{n} 的活动。用 /活动 列表 查看所有活动。"
    )


def announcements(usage: str) -> list[list[str]]:
    missing = "没有编号为 #{n} 的定时公告。用 /公告 列表 查看已安排的公告。"
    return by_id(f"请写上公告编号，例如 3。\n正确的用法：{usage}", missing)


def promises(usage: str) -> list[list[str]]:
    return by_id(f"请写上承诺的编号，比如 3。\n正确的用法：{usage}", "没有编号为 {n} 的承诺。")


def terms(usage: str) -> list[list[str]]:
    return by_id(f"请写上任期编号，例如 /koc 续期 3 6个月。\n正确的用法：{usage}", "没有找到任期 #{n}，请检查编号。")


def amounts(usage: str, twelve: list[str]) -> list[list[str]]:
    return [room(usage), room(usage), room(usage), room(usage), twelve]


POINTS = "积分请写成 1 到 100000 之间的整数，放在 @成员 后面。\n正确的用法：/积分 {} @成员 数量 理由 （或 /points {}）"
TERM = "“{}”不是一个任期。任期请写成 6个月 或 6m（1 到 36 个月）。\n正确的用法：{}"
OUTBOX = (
    "请写上要重试的消息编号，或者写“失败”重试全部发送失败的消息，例如：/发件箱 重试 12\n"
    "正确的用法：/发件箱 重试 编号|失败 （或 /outbox retry ID|failed）"
)
OUTBOX_MISSING = "[dm mod] 发件箱里没有编号为 #{n} 的消息。发送 /发件箱 可以查看发送失败的消息和它们的编号。"
THANKS = (
    "请写上感谢记录的编号（/感谢 列表 @成员 里可以看到），例如：/感谢 撤回 12\n"
    "正确的用法：/感谢 撤回 编号 （或 /thanks revoke）"
)
CLUE = "请写上线索编号（/活动 查看 活动编号 里能看到）。\n正确的用法：/活动 线索 取消 线索编号 （或 /campaign clue cancel）"
THREAD_RESOLVE = "/问题 解决 编号 处理结果 [--preview] [--at 2026-12-01 10:00] （或 /issue resolve）"
CANDIDATES = "人数请写 1 到 50 之间的数字。\n正确的用法：/koc 候选 [人数] （或 /koc candidates [n]）"
TERM_USAGE = "/koc 称号 @成员 称号 [6个月] （或 /koc title @member title [6m]）"
RENEW_USAGE = "/koc 续期 任期编号 [6个月] （或 /koc renew）"
NO_CANDIDATES = (
    "[dm mod] KOC 候选人（按最近 30 天的表现排序，共 0 位有表现）：\n"
    "暂时还没有候选人：收到感谢、反馈被采纳、问题被确认、持续发言的群友会出现在这里。"
)
TITLED = (
    "已授予 bob「热心答主」称号：12 个月（2026-12-01 至 2027-12-01，任期 #1）。\n"
    "到期前 14 天，我会私信 mod 一份任期回顾，由 TA 决定续期（/koc 续期 1）或到期结束并致谢（/koc 不续期 1）。"
)
RENEWED = "已为 bob 的「热心答主」续期 12 个月：新的任期 #2，2027-06-01 至 2028-06-01。"
SETUP = {
    "thread": [("mod", "/issue open 登录失败")],
    "feedback": [("bob", "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付")],
    "bob": [("bob", "大家好")],  # seen in the group: only then may bob be given a KOC's title
    "term": [("bob", "大家好"), ("mod", "/koc title @bob 热心答主")],
}
CASES = [
    ("alice", "/feedback +1 {n}", None, feedback("/反馈 +1 FB-编号 [你的情况] （或 /feedback +1）", "alice")),
    ("alice", "/issue +1 {n}", None, threads("/问题 +1 编号 （或 /issue +1）", "alice")),
    ("alice", "/问题 +1 {n}", None, threads("/问题 +1 编号 （或 /issue +1）", "alice")),
    ("mod", "/fb show {n}", None, feedback("/反馈 查看 FB-编号 （或 /fb show）")),
    ("mod", "/fb status {n} acknowledged", None, feedback("/反馈 状态 FB-编号 状态 [说明] （或 /fb status）")),
    ("mod", "/fb ship {n} 1.0", None, feedback("/反馈 上线 FB-编号 版本 （或 /fb ship）")),
    ("mod", "/fb decline {n} 理由", None, feedback("/反馈 不采纳 FB-编号 理由 （或 /fb decline）")),
    ("mod", "/fb assign {n} 技术部", None, feedback("/反馈 分派 FB-编号 部门 （或 /fb assign）")),
    ("mod", "/fb merge {n} FB-1", None, feedback("/反馈 合并 FB-重复的 FB-保留的 （或 /fb merge）")),
    ("mod", "/fb merge FB-1 {n}", "feedback", feedback("/反馈 合并 FB-重复的 FB-保留的 （或 /fb merge）")),
    ("mod", "/announce show {n}", None, announcements("/公告 查看 编号 （或 /announce show）")),
    ("mod", "/announce cancel {n}", None, announcements("/公告 取消 编号 （或 /announce cancel）")),
    ("mod", "/thanks revoke {n}", None, by_id(THANKS, "没有找到编号为 #{n} 的感谢记录。")),
    (
        "mod",
        "/points grant @bob {n} 理由",
        None,
        amounts(POINTS.format("发放", "grant"), room("已发放 12 积分，理由：理由\n· bob：现有 12 积分")),
    ),
    (
        "mod",
        "/points deduct @bob {n} 理由",
        None,
        amounts(POINTS.format("扣除", "deduct"), room("bob 现在只有 0 积分，不能扣除 12 积分。")),
    ),
    ("mod", "/issue link {n}", None, threads("/问题 关联 编号 [@反馈人] [FB-编号] （可引用消息；或 /issue link）")),
    ("mod", "/issue route {n} 技术部", None, threads("/问题 转交 编号 部门 （或 /issue route）")),
    ("mod", "/issue note {n} 备注", None, threads("/问题 备注 编号 内容 （或 /issue note）")),
    (
        "mod",
        "/issue status {n} confirmed",
        None,
        threads("/问题 状态 编号 调查中|已确认|修复中 （或 /issue status investigating|confirmed|fixing）"),
    ),
    ("mod", "/issue support {n} @bob", None, threads("/问题 支持 编号 @成员 （或 /issue support）")),
    ("mod", "/issue show {n}", None, threads("/问题 查看 编号 （或 /issue show）")),
    ("mod", "/issue resolve {n} 已修复", None, threads(THREAD_RESOLVE)),
    ("mod", "/issue reopen {n} 还是不行", None, threads("/问题 重开 编号 原因 （或 /issue reopen）")),
    (
        "mod",
        "/outbox retry {n}",
        None,
        [room(OUTBOX), room(NO_SUCH_BIG), room(OUTBOX), [OUTBOX_MISSING.format(n=0)], [OUTBOX_MISSING.format(n=12)]],
    ),
    ("mod", "/campaign show {n}", None, campaigns("/活动 查看 编号 （或 /campaign show）")),
    ("mod", "/campaign close {n}", None, campaigns("/活动 结束 编号 （或 /campaign close）")),
    ("mod", "/campaign keywords {n} 词", None, campaigns("/活动 关键词 编号 词1 词2 … （或 /campaign keywords）")),
    (
        "mod",
        "/campaign points {n} 要点",
        None,
        campaigns("/活动 要点 编号 要点一；要点二 （用；或换行分隔；或 /campaign points）"),
    ),
    (
        "mod",
        "/campaign clue {n} --at 2026-12-10 20:00 线索",
        None,
        campaigns("/活动 线索 编号 --时间 2026-12-10 20:00 线索内容 （或 --模板 名称；或 /campaign clue 编号 --at …）"),
    ),
    (
        "mod",
        "/campaign clue cancel {n}",
        None,
        by_id(CLUE, "没有编号为 #{n} 的线索。用 /活动 查看 活动编号 查看一次活动的线索。"),
    ),
    ("mod", "/campaign ignition {n}", None, campaigns("/活动 引爆 编号 （或 /campaign ignition）")),
    ("mod", "/campaign report {n}", None, campaigns("/活动 报告 编号 （或 /campaign report）")),
    ("mod", "/koc keep {n}", None, promises("/koc 兑现 编号 [备注] （或 /koc keep）")),
    ("mod", "/koc waive {n} 理由", None, promises("/koc 放弃 编号 原因 （或 /koc waive）")),
    ("mod", "/koc renew {n}", None, terms(RENEW_USAGE)),
    ("mod", "/koc letend {n}", None, terms("/koc 不续期 任期编号 （或 /koc letend）")),
    ("mod", "/koc candidates {n}", None, amounts(CANDIDATES, [*room("候选人名单已私信发给你。"), NO_CANDIDATES])),
    (
        "mod",
        "/koc title @bob 热心答主 {n}个月",
        "bob",
        [room(TERM.format(f"{n}个月", TERM_USAGE)) for n in INPUTS[:4]] + [room(TITLED)],
    ),
    (
        "mod",
        "/koc renew 1 {n}m",
        "term",
        [room(TERM.format(f"{n}m", RENEW_USAGE)) for n in INPUTS[:4]] + [room(RENEWED)],
    ),
]


@pytest.mark.parametrize(("sender", "command", "setup", "expected"), CASES, ids=[c[1] for c in CASES])
async def test_every_number_argument_gets_a_polite_reply(
    chat: Chat, caplog: pytest.LogCaptureFixture, sender: str, command: str, setup: str | None, expected: list
) -> None:
    for who, text in SETUP.get(setup or "", ()):
        await chat.say(who, text)
    for word, replies in zip(INPUTS, expected, strict=True):
        answer = await chat.say(sender, command.format(n=word))
        assert answer == replies, command.format(n=word)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


MONTHS = ("0000-11", "9999-12", "2026-²", f"{BIG}-11", "２０２６-１１")  # the last: November 2026, full-width


def months(usage: str, november: list[str]) -> list[list[str]]:
    """The replies to MONTHS: the usage for each of the first four (with the word when it says it), then November's."""
    return [room(usage.format(m=m)) for m in MONTHS[:4]] + [november]


HONOUR = "“{m}”不是月份，请写成 2026-11 这样。\n正确的用法：/光荣榜 [2026-11] （或 /honour-roll）"
REPORT = "“{m}”不是月份，请写成 2026-12 这样。\n正确的用法：/报告 月度 [2026-12] （或 /月报、/report monthly）"
BRIEF = "请写上月份，例如 2026-12。\n正确的用法：/简报 {}"
NO_BRIEF = "2026-11 还没有设置沟通主题。用 /简报 设置 2026-11 加上要点（每行一个）来设置。"
NOVEMBER_REPORT = [
    "[dm mod] 📊 2026 年 11 月社群月报\n\n👥 社群：共 0 条消息，0 人发过言\n"
    "· Playground：月底 0 位成员（新加入 0，退出 0），0 条消息，0 人发言\n\n🙏 感谢：群友之间感谢了 0 次\n\n"
    "💡 反馈：收到 0 条，采纳 0 条，上线 0 条\n\n🧵 问题：新开 0 个，解决 0 个；月底还有 0 个没有解决\n\n"
    "⭐ KOC：本月没有变动\n月底活跃 KOC 0 位，候选 0 位，休息中 0 位，名人堂 0 位",
    "[dm mod] 📈 2026 年 11 月 各社群的消息与发言人数",
    "[dm mod] 📈 2026 年 11 月 各社群的感谢、反馈与问题",
    "[dm mod] 📈 2026 年 11 月 每天的消息与发言人数（所有社群）",
]
AT = "{}\n正确的用法：/问题 解决 编号 处理结果 [--preview] [--at 2026-12-01 10:00] （或 /issue resolve）"
AT_FORMAT = AT.format("定时请写成 --at 2026-12-01 10:00（群所在时区的时间）。")
NO_YEAR_0 = AT.format("「0000-11-01 10:00」不是一个存在的日期：没有 0 年，年份从 1 开始。请检查后再发一次。")
ALREADY = "#1 已经是已解决状态。如果问题还在，请先 /问题 重开 1 原因。"
MONTH_CASES = [
    ("/honour-roll {m}", months(HONOUR, room("Playground：2026 年 11 月没有成员收到 10 次以上的感谢，这次不发布。"))),
    ("/report monthly {m}", months(REPORT, NOVEMBER_REPORT)),
    (
        "/brief set {m}\n要点一",
        months(
            BRIEF.format("设置 2026-12 （换行后每行一个要点；或 /brief set）"),
            room(
                "已保存 2026-11 的沟通主题（1 个要点）：\n· 要点一\n"
                "这个月的 1 号已经过了：用 /简报 发送 2026-11 现在私信发给还没收到的活跃 KOC。"
            ),
        ),
    ),
    ("/brief show {m}", months(BRIEF.format("查看 [2026-12] （或 /brief show）"), room(NO_BRIEF))),
    ("/brief send {m}", months(BRIEF.format("发送 2026-12 （或 /brief send）"), room(NO_BRIEF))),
    (
        "/issue resolve 1 已修复 --at {m}-01 10:00",
        [
            room(NO_YEAR_0),
            ["[dm mod] #1 的处理结果将于 9999-12-01 10:00 发布到：Playground。"],  # a day that exists
            *[room(ALREADY)] * 3,  # resolved now: its state first, whatever the date
        ],
    ),
    (
        "/issue resolve 1 已修复 --preview --at {m}-01 10:00",  # a preview leaves the thread open
        [
            room(NO_YEAR_0),
            [
                "[dm mod] #1 的处理结果预览（将于 9999-12-01 10:00 发布），还没有发出：\n【Playground】\n"
                "关于2026年12月1日大家集中讨论的「登录失败」问题（#1），已修复。谢谢大家的反馈 🙏"
            ],
            room(AT_FORMAT),
            room(AT_FORMAT),
            room(AT.format("定时的时间已经过去了，请写一个以后的时间，或者去掉 --at 立即发布。")),
        ],
    ),
]


@pytest.mark.parametrize(("command", "expected"), MONTH_CASES, ids=[c[0] for c in MONTH_CASES])
async def test_every_month_argument_gets_a_polite_reply(
    chat: Chat, caplog: pytest.LogCaptureFixture, command: str, expected: list
) -> None:
    await chat.say("mod", "/issue open 登录失败")
    for month, replies in zip(MONTHS, expected, strict=True):
        assert await chat.say("mod", command.format(m=month)) == replies, command.format(m=month)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
