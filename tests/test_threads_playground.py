"""The README's issue-thread playground session: a complaint in a group, followed up, resolved in every group."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# issue threads: a complaint, followed up, resolved in every group where it was raised
~ 2026-12-01 09:00
bob: 你们的 App 又登录失败了，是不是只报喜不报忧？
mod > bob: /issue open 登录失败
[room2] carol: 我这边也登录不上
mod > carol: /问题 关联 1
[playground] dave: /issue +1 1
mod: /issue route 1 技术部
mod: /issue note 1 证书过期，技术部在换
mod: /issue support 1 @erin
~ 2026-12-08 10:00
mod: /issue resolve 1 技术部已经更换了证书，登录恢复正常 --preview
mod: /issue resolve 1 技术部已经更换了证书，登录恢复正常
~ 2026-12-11 10:00
[dm] bob: 是的，好了
[dm] carol: 还是登录不上
mod: /issue show 1
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] bob: 你们的 App 又登录失败了，是不是只报喜不报忧？
[playground] mod: /issue open 登录失败
[playground] kocbot: @bob 谢谢你提出「登录失败」这个问题 🙏 我们已经记下（#1），会认真跟进，有结果会第一时间在群里告诉大家。
[room2] carol: 我这边也登录不上
[dm admin] kocbot: 👂 #1 carol 在「room2」说：
    「我这边也登录不上」
    一步处理：
    · /问题 新建 来自 1 —— 记为问题并在群里谢谢 TA
    · /问题 关联 编号 来自 1 —— 并入已有的问题
    · /忽略 1 —— 不是对我们的抱怨
    一小时内同一件事的抱怨会并入这条。
[dm mod] kocbot: 👂 #1 carol 在「room2」说：
    「我这边也登录不上」
    一步处理：
    · /问题 新建 来自 1 —— 记为问题并在群里谢谢 TA
    · /问题 关联 编号 来自 1 —— 并入已有的问题
    · /忽略 1 —— 不是对我们的抱怨
    一小时内同一件事的抱怨会并入这条。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[room2] mod: /问题 关联 1
[room2] kocbot: @carol 谢谢你的反馈 🙏 「登录失败」这个问题我们已经在跟进（#1），有结果会在这个群里告诉大家。
[playground] dave: /issue +1 1
[playground] kocbot: @dave 收到！#1「登录失败」有结果时会私信告诉你 👍
[playground] mod: /issue route 1 技术部
[dm mod] kocbot: #1 已转交给技术部。
[playground] mod: /issue note 1 证书过期，技术部在换
[dm mod] kocbot: #1 已记下内部备注（只有运营能在 /问题 查看 里看到，不会发到群里）。
[playground] mod: /issue support 1 @erin
[dm mod] kocbot: 已私信支持 erin（记在 #1 下）。
[dm erin] kocbot: erin，你好 🌱 关于群里「登录失败」的讨论，运营团队想私下跟你说一声：你一直真实地分享自己的使用感受，好的坏的都说，这正是大家信任你的原因。有质疑很正常，我们会在群里把问题跟进到底，你不需要替品牌解释什么。谢谢你，有任何想法随时私信我们。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
~ 2026-12-08 10:00 (Asia/Shanghai)
[dm admin] kocbot: 📋 运营周报（2026-W50）

    📋 问题周报：未解决的问题
    【技术部】1 个
    · #1「登录失败」待处理 · 已 6 天

    👂 倾听：本周
    【room2】抱怨 1 条（记为问题 0，忽略 0）· 问题 0 个，已回答 0
[dm mod] kocbot: 📋 运营周报（2026-W50）

    📋 问题周报：未解决的问题
    【技术部】1 个
    · #1「登录失败」待处理 · 已 6 天

    👂 倾听：本周
    【room2】抱怨 1 条（记为问题 0，忽略 0）· 问题 0 个，已回答 0
[playground] mod: /issue resolve 1 技术部已经更换了证书，登录恢复正常 --preview
[dm mod] kocbot: #1 的处理结果预览，还没有发出：
    【Playground】
    @bob 关于上周大家集中讨论的「登录失败」问题（#1），技术部已经更换了证书，登录恢复正常。谢谢你提出来 🙏
    【room2】
    @carol 关于上周大家集中讨论的「登录失败」问题（#1），技术部已经更换了证书，登录恢复正常。谢谢你提出来 🙏
[playground] mod: /issue resolve 1 技术部已经更换了证书，登录恢复正常
[dm mod] kocbot: #1 的处理结果发布到：Playground、room2。
[playground] kocbot: @bob 关于上周大家集中讨论的「登录失败」问题（#1），技术部已经更换了证书，登录恢复正常。谢谢你提出来 🙏
[room2] kocbot: @carol 关于上周大家集中讨论的「登录失败」问题（#1），技术部已经更换了证书，登录恢复正常。谢谢你提出来 🙏
[dm dave] kocbot: 你关注的问题 #1「登录失败」有结果了：技术部已经更换了证书，登录恢复正常。谢谢你的耐心 🙏
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
~ 2026-12-11 10:00 (Asia/Shanghai)
[dm bob] kocbot: bob，你好 🌱 前几天我们在群里发布了「登录失败」（#1）的处理结果：技术部已经更换了证书，登录恢复正常。想问问你：这个问题现在在你那里解决了吗？回复“是”或“否”就好，也可以直接说说你的情况。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm carol] kocbot: carol，你好 🌱 前几天我们在群里发布了「登录失败」（#1）的处理结果：技术部已经更换了证书，登录恢复正常。想问问你：这个问题现在在你那里解决了吗？回复“是”或“否”就好，也可以直接说说你的情况。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm bob] bob: 是的，好了
[dm bob] kocbot: 太好了，谢谢你告诉我们 🎉 #1 记为在你那里已解决。
[dm carol] carol: 还是登录不上
[dm carol] kocbot: 谢谢你告诉我们，抱歉问题还没解决 🙏 #1 已经重新打开，你的原话记在了跟进记录里，我们会继续跟进。
[dm mod] kocbot: ⚠️ #1「登录失败」：carol 回复问题没有解决，问题已重新打开。TA 的原话：还是登录不上
[playground] mod: /issue show 1
[dm mod] kocbot: #1「登录失败」
    状态：待处理
    部门：技术部 · 已 10 天
    群：Playground、room2
    反馈人：bob（已确认解决）、carol（仍有问题）
    关注（+1）：1 人：dave
    确认已解决：1/2 位反馈人
    【记录】
    · 新建（mod）：你们的 App 又登录失败了，是不是只报喜不报忧？
    · 关联（mod）：我这边也登录不上
    · +1（dave）
    · 转交（mod）：技术部
    · 备注（mod）：证书过期，技术部在换
    · 私信支持（mod）
    · 发布结果（mod）：技术部已经更换了证书，登录恢复正常
    · 反馈人回复（bob）：是的，好了
    · 反馈人回复（carol）：还是登录不上
    · 备注（carol）：还是登录不上
    · 重开（carol）：还是登录不上
"""


def test_the_issue_thread_session_prints_the_transcript(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_this_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
