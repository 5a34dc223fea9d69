"""/help: member commands in a group, a short index by topic for staff in private, one topic in full."""

from __future__ import annotations

import pytest

from tests.support import Chat

MEMBER_COMMANDS = """\
/帮助 [主题] （或 /help [topic]）
    看看我能为你做什么
/在吗 （或 /ping）
    确认我在线
/感谢 @群友 [理由] （或 /thanks）
    感谢帮助过你的群友，也可以直接说“谢谢 @群友”
/我的 [月份] （或 /me [month]）
    私信查看你收到和送出的感谢、积分、称号和规则；写上月份（如 2026-11）看那个月的积分明细
/排行 [本月|全部] [感谢|积分] [全品牌] （或 /top [month|all] [thanks|points] [brand]）
    看看本群（或全品牌）的感谢榜和积分榜
/反馈 [缺陷|建议|困惑] （或 /feedback；也可以直接贴填好的表单）
    提交缺陷、建议或困惑：机器人私信你一步步填写，每条反馈都会有回复
/反馈 +1 FB-编号 [你的情况] （或 /feedback +1）
    遇到了同样的问题？把你的情况补充到已有的反馈里
/问题 +1 编号 （或 /issue +1）
    我也遇到了：问题有结果时私信告诉你
/退订 （或私信回复 TD；或 /unsubscribe）
    不再接收我们主动推送的消息
/订阅 （或 /subscribe）
    退订后重新接收推送
/名人堂 （或 /halloffame）
    看看品牌名人堂的成员和他们的贡献
/隐私 （或 /privacy）
    机器人保存了什么、为什么、保存多久，谁能看到，以及你能怎么做
命令也可以用全角的“／”开头。"""
# In private, also the commands meant for private use only (a copy of one's data, erasure, a correction).
PRIVATE_COMMANDS = MEMBER_COMMANDS.replace(
    "/问题 +1",
    "/反馈 修改 FB-编号 字段：新内容 （或 /fb edit）\n    修改你自己提交、还没关闭的反馈（场景、步骤、期望、产品）\n"
    "/问题 +1",
).replace(
    "命令也可以用全角的",
    "/我的数据 （或 /mydata）\n    获取机器人保存的关于你的全部数据：私信发你一个文件，每天一次\n"
    "/删除我的数据 （或 /forgetme）\n    删除机器人保存的你的个人信息：确认后过一段时间执行，感谢和积分以匿名编号保留\n"
    "/取消删除 （或 /forgetme cancel）\n    撤回还没执行的删除请求\n命令也可以用全角的",
)
GROUP_HELP = f"你好，我是 kocbot，可以帮你做这些事：\n{MEMBER_COMMANDS}\n运营同学：管理命令请私信我发送 /帮助 查看。"
PRIVATE_MEMBER_HELP = f"你好，我是 kocbot，可以帮你做这些事：\n{PRIVATE_COMMANDS}"
INDEX = """\
你好，我是 kocbot。你能用的命令按主题分组，发送“/帮助 主题”查看一组命令的完整用法，例如 /帮助 反馈：
· 成员（16 个命令）：所有成员都能用的命令
· 基础（{core} 个命令）：在线检查、运营名单和发件箱
· 感谢（12 个命令）：感谢记录、积分、称号和月度光荣榜
· 反馈（12 个命令）：提交反馈，整理、回复和跟进每一条，版本致谢名单
· 问题（12 个命令）：群里提出的问题：记录、转交、进度和公布处理结果
· 公告（25 个命令）：定时公告、自定义模板、月度沟通简报和运营周报
· KOC（19 个命令）：KOC 的晋升、候选人、承诺、协议、称号任期、退出和名人堂
· 活动（10 个命令）：新品上线活动：线索、关键词、沟通要点、引爆排行和报告
· 旅程（4 个命令）：成员入群、晋升 KOC 等之后按时私信的一组消息（SOP），例如新人引导
· 报告（1 个命令）：社群月报
· 倾听（2 个命令）：群里的抱怨和没人回答的问题：私下提醒运营，一步处理
· 隐私（{privacy} 个命令）：机器人保存了你的什么，获取一份副本，删除你的数据
· 后台（1 个命令）：网页后台：登录链接，在浏览器里处理反馈、问题、成员和数据
命令也可以用全角的“／”开头。"""
REPORTS_TOPIC = """\
「报告」的命令：
/报告 月度 [2026-12] （或 /月报、/report monthly）
    私信查看社群月报：各群成员与活跃度、感谢、反馈、问题跟进和 KOC 变化，附图表（不写月份就是本月到目前为止；每月 1 号 9:00 自动发给运营）
发送 /帮助 查看其他命令。"""
MEMBER_FEEDBACK_TOPIC = """\
「反馈」的命令：
/反馈 [缺陷|建议|困惑] （或 /feedback；也可以直接贴填好的表单）
    提交缺陷、建议或困惑：机器人私信你一步步填写，每条反馈都会有回复
/反馈 +1 FB-编号 [你的情况] （或 /feedback +1）
    遇到了同样的问题？把你的情况补充到已有的反馈里
/反馈 修改 FB-编号 字段：新内容 （或 /fb edit）
    修改你自己提交、还没关闭的反馈（场景、步骤、期望、产品）
发送 /帮助 查看其他命令。"""
STAFF_ONLY = ("/koc", "候选", "私信一位被质疑的成员", "/运营", "/发件箱", "/反馈 列表", "/活动")


@pytest.mark.parametrize("who", ["alice", "mod", "admin"])
async def test_help_in_a_group_is_the_member_commands_for_everyone(chat: Chat, who: str) -> None:
    [reply] = await chat.say(who, "/帮助")
    assert reply == f"[playground] @{who} {GROUP_HELP}"
    assert not any(word in reply for word in STAFF_ONLY)
    assert len(reply) < 1000 and reply.count("\n") < 30  # one WeChat message, one phone screen or so


async def test_a_members_private_help_lists_the_member_commands(chat: Chat) -> None:
    assert await chat.dm("alice", "/帮助") == [f"[dm alice] {PRIVATE_MEMBER_HELP}"]
    assert await chat.dm("alice", "/help 成员") == [
        f"[dm alice] 「成员」的命令：\n{PRIVATE_COMMANDS.removesuffix('命令也可以用全角的“／”开头。')}发送 /帮助 查看其他命令。"
    ]


async def test_staff_get_a_short_index_by_topic_in_private(chat: Chat) -> None:
    assert await chat.dm("mod", "/帮助") == ["[dm mod] " + INDEX.format(core=5, privacy=5)]
    # /mod add and remove too, and /privacy erase
    assert await chat.dm("admin", "/?") == ["[dm admin] " + INDEX.format(core=7, privacy=6)]


@pytest.mark.parametrize("asked", ["/帮助 报告", "/help reports", "/HELP Report", "/help 月报", "/帮助  报告 "])
async def test_one_topic_in_full_by_any_of_its_names(chat: Chat, asked: str) -> None:
    assert await chat.dm("mod", asked) == [f"[dm mod] {REPORTS_TOPIC}"]


async def test_a_topic_by_its_command_words_and_only_what_the_caller_may_use(chat: Chat) -> None:
    [staff] = await chat.dm("mod", "/help fb")
    assert staff.startswith("[dm mod] 「反馈」的命令：\n/反馈 [缺陷|建议|困惑]") and "/反馈 合并" in staff
    assert await chat.dm("alice", "/帮助 反馈") == [f"[dm alice] {MEMBER_FEEDBACK_TOPIC}"]
    # 活动 begins commands of two capabilities: the campaigns' topic declares it
    assert (await chat.dm("mod", "/帮助 活动"))[0].startswith("[dm mod] 「活动」的命令：\n/活动 创建")


async def test_an_unknown_topic_gets_did_you_mean_and_the_topics_the_caller_may_see(chat: Chat) -> None:
    assert await chat.dm("mod", "/帮助 反溃") == [
        "[dm mod] 帮助里没有「反溃」这个主题。你是想看 /帮助 反馈 吗？\n"
        "可以查看的主题：成员、基础、感谢、反馈、问题、公告、KOC、活动、旅程、报告、倾听、隐私、后台"
    ]
    assert await chat.dm("alice", "/帮助 报告") == [
        "[dm alice] 帮助里没有「报告」这个主题。你是想看 /帮助 公告 吗？\n"
        "可以查看的主题：成员、基础、感谢、反馈、问题、公告、KOC、隐私"
    ]
    assert await chat.dm("alice", "/help feedbak") == [
        "[dm alice] 帮助里没有「feedbak」这个主题。你是想看 /帮助 feedback 吗？\n"
        "可以查看的主题：成员、基础、感谢、反馈、问题、公告、KOC、隐私"
    ]


async def test_in_a_group_a_topic_shows_members_what_members_may_use(chat: Chat) -> None:
    assert await chat.say("alice", "/帮助 反馈") == [f"[playground] @alice {MEMBER_FEEDBACK_TOPIC}"]
    assert await chat.say("alice", "/帮助 koc") == [
        "[playground] @alice 「KOC」的命令：\n/名人堂 （或 /halloffame）\n    看看品牌名人堂的成员和他们的贡献\n"
        "发送 /帮助 查看其他命令。"
    ]


async def test_in_a_group_staff_get_a_topic_privately(chat: Chat) -> None:
    assert await chat.say("mod", "/帮助 报告") == [
        "[playground] @mod 帮助已经私信发给你了。",
        f"[dm mod] {REPORTS_TOPIC}",
    ]
    assert await chat.say("mod", "/help koc") == [
        "[playground] @mod 帮助已经私信发给你了。",
        (await chat.dm("mod", "/help koc"))[0],
    ]


@pytest.fixture
def settings_overrides() -> dict:
    return {"communities": [{"id": "playground", "name": "Playground"}, {"id": "global", "locale": "en"}]}


async def test_an_english_group_gets_the_english_help(chat: Chat) -> None:
    [reply] = await chat.say("mod", "/help", room="global")
    assert reply.startswith("[global] @mod Hi, I'm kocbot. Here is what I can do for you:\n/help [topic]\n")
    assert reply.endswith(
        "/halloffame\n    the hall of fame: alumni and what each contributed\n"
        "/privacy\n    What the bot keeps, why, for how long, who sees it, and what you can do\n"
        "Moderators: send me /help privately for your commands."
    )
    assert await chat.say("mod", "/help reports", room="global") == [
        "[global] @mod I've sent you the help privately.",
        '[dm mod] Commands for "reports":\n/report monthly [2026-12] (or /报告 月度)\n'
        "    the monthly community report, privately: members and activity per community, thanks, feedback, "
        "issue threads and KOC changes, with charts (no month: this month so far; sent to the moderators on "
        "the 1st at 09:00)\nSend /help for the others.",  # in the language they wrote in
    ]
