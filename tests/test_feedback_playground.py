"""The README's feedback playground session, run as a user runs it: a guided report, a +1, reproduced, shipped, credited."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# feedback: a member's report, through to a shipped credit
~ 2026-12-01 09:00
alice: /反馈
[dm] alice: 1
[dm] alice: 闪退
[dm] alice: 下单页点击支付后 App 闪退
[dm] alice: 1. 加购任意商品 2. 点击支付
[dm] alice: 正常进入支付页面
[dm] alice: 跳过
[dm] alice: 提交
[playground] bob: /反馈 缺陷\\n场景: 点击支付以后闪退\\n期望: 能正常支付
bob: /反馈 +1 FB-1 安卓 14 也一样
~ +1d
mod: /fb status FB-1 reproduced 已在测试机复现
mod: /fb ship FB-1 v2.3
mod: /credits v2.3
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] alice: /反馈
[playground] kocbot: @alice 我私信你了，我们一步步把反馈写清楚。
[dm alice] kocbot: 这是哪一类反馈？回复数字或文字：
    1 缺陷：功能坏了、出错了
    2 建议：希望增加或改进什么
    3 困惑：不知道怎么用、看不懂
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm alice] alice: 1
[dm alice] kocbot: （2/5）这个缺陷是在什么场景下遇到的？例如：在哪个页面、做什么的时候。
    （/返回 回到上一步，/取消 放弃）
[dm alice] alice: 闪退
[dm alice] kocbot: 能再多写一点吗？至少 6 个字，写具体些，负责的同学才能看懂并跟进。
[dm alice] alice: 下单页点击支付后 App 闪退
[dm alice] kocbot: （3/5）怎么操作能再次遇到它？请按顺序写出步骤，例如：1. 打开… 2. 点击… 3. 出现…
    （/返回 回到上一步，/取消 放弃）
[dm alice] alice: 1. 加购任意商品 2. 点击支付
[dm alice] kocbot: （4/5）你期望的结果是什么？
    （/返回 回到上一步，/取消 放弃）
[dm alice] alice: 正常进入支付页面
[dm alice] kocbot: （5/5）是哪个产品、哪个版本？不确定可以回复“跳过”。
    （/返回 回到上一步，/取消 放弃）
[dm alice] alice: 跳过
[dm alice] kocbot: 请确认你的反馈：
    类型：缺陷
    场景：下单页点击支付后 App 闪退
    步骤：1. 加购任意商品 2. 点击支付
    期望：正常进入支付页面
    回复“提交”发送，/返回 修改上一步，/取消 放弃。
[dm alice] alice: 提交
[dm alice] kocbot: 谢谢你的缺陷反馈！编号 FB-1。
    接下来：运营同学会阅读并整理给负责的团队，通常在 3 个工作日内回复；每次处理进展都会私信告诉你。
[playground] bob: /反馈 缺陷
    场景: 点击支付以后闪退
    期望: 能正常支付
[playground] kocbot: @bob 表单还缺：步骤。
    补全后再发一次就好，也可以发 /反馈 让我一步步问你。
[playground] bob: /反馈 +1 FB-1 安卓 14 也一样
[playground] kocbot: @bob 已把你的情况加到 FB-1「下单页点击支付后 App 闪退」，谢谢补充！有进展会私信告诉你。
~ 2026-12-02 09:00 (Asia/Shanghai)
[playground] mod: /fb status FB-1 reproduced 已在测试机复现
[dm mod] kocbot: FB-1「下单页点击支付后 App 闪退」：已提交 → 已复现
    说明：已在测试机复现
    已私信通知 2 人，1 人获得奖励。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm alice] kocbot: 你的反馈 FB-1「下单页点击支付后 App 闪退」有新进展：已复现。
    说明：已在测试机复现
    感谢你的贡献：+20 积分
[dm bob] kocbot: 你关注的反馈 FB-1「下单页点击支付后 App 闪退」有新进展：已复现。
    说明：已在测试机复现
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] mod: /fb ship FB-1 v2.3
[dm mod] kocbot: FB-1「下单页点击支付后 App 闪退」：已复现 → 已上线（v2.3）
    已私信通知 2 人。
[dm alice] kocbot: 好消息！你的反馈 FB-1「下单页点击支付后 App 闪退」已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉
[dm bob] kocbot: 好消息！你关注的反馈 FB-1「下单页点击支付后 App 闪退」已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉
[playground] mod: /credits v2.3
[dm mod] kocbot: v2.3 致谢名单：感谢 alice 的反馈 ❤️
    · FB-1 下单页点击支付后 App 闪退
"""


def test_the_feedback_session_prints_the_transcript(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_this_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
