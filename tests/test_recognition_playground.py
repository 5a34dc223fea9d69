"""The README's recognition playground session, run as a user runs it: thanks, the rules, /me, /top, the honour roll."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e
ENV = {"KOCBOT_RECOGNITION__MONTHLY_THANKS_THRESHOLD": "3"}  # a small group: three thanks earn the reward
# The roll is posted by hand at 08:30 on the 1st, before the jobs of that morning (the moderators'
# monthly report at 09:00, the honour roll at 10:00) would add their own messages.

SCRIPT = """\
# recognition: thank-yous, the rules, the monthly reward
~ 2026-12-01 09:00
alice: 谢谢 @bob 帮我解决了蓝牙连不上的问题
bob: 谢谢 @bob
carol > bob: 太感谢了，按你说的重置就好了！
dave: /thanks @bob 耐心教我设置夜间模式
bob: /me
mod: /points grant @carol 20 整理新手 FAQ
alice: /top
alice: /排行 全部 积分
~ 2027-01-01 08:30
mod: /光荣榜
mod: /光荣榜
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] alice: 谢谢 @bob 帮我解决了蓝牙连不上的问题
[playground] kocbot: @alice 收到！已记下你对 bob 的感谢 🌸
[playground] bob: 谢谢 @bob
[playground] kocbot: @bob 自己谢自己可不算数哦 😄 把感谢留给帮过你的群友吧。
[playground] carol: 太感谢了，按你说的重置就好了！
[playground] kocbot: @carol 收到！已记下你对 bob 的感谢 🌸
[playground] dave: /thanks @bob 耐心教我设置夜间模式
[playground] kocbot: @dave 收到！已记下你对 bob「热心答主」 的感谢 🌸
[playground] kocbot: 🎉 恭喜 @bob！2026 年 12 月你已经收到 3 次群友的感谢，获得 50 积分和「热心答主」称号。谢谢你一直热心帮助大家！
[playground] bob: /me
[playground] kocbot: @bob 你的贡献记录已经私信发给你啦 📬
[dm bob] kocbot: bob「热心答主」，这是社群为你记下的一切 🌱
    【2026 年 12 月】收到感谢 3 次，送出 0 次（另有 1 次没有计入）
    【累计】收到感谢 3 次，送出 0 次
    【积分】50（感谢达标 50）
    2026 年 12 月的积分记录：
      12-01 +50 感谢达标：2026 年 12 月
    【称号】热心答主
    【怎样获得更多】
    · 一个月收到 3 次有效感谢：50 积分和「热心答主」称号（本月已达成 🎉）
    · 组织一次社群活动：30 积分和「活动组织者」称号
    · 反馈的缺陷被复现：20 积分
    · 反馈的建议被采纳：50 积分和「荣誉产品顾问」称号
    · 新品预热活动中每周引发讨论最多的前 3 位 KOC：20 积分和「引爆者」称号
    · 群友在群里说“谢谢 @你”，或引用你的消息道谢，就会记下一次感谢。同一个人 24 小时内的感谢只计一次，每人每天最多送出 10 次有效感谢，感谢自己不计入。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] mod: /points grant @carol 20 整理新手 FAQ
[dm mod] kocbot: 已发放 20 积分，理由：整理新手 FAQ
    · carol：现有 20 积分
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] alice: /top
[playground] kocbot: @alice 🏆 感谢榜 · Playground · 2026 年 12 月
    1. bob「热心答主」 3 次
    你还没有上榜，继续加油！
[playground] alice: /排行 全部 积分
[playground] kocbot: @alice 🏆 积分榜 · Playground · 累计
    1. bob「热心答主」 50 积分
    2. carol 20 积分
    你还没有上榜，继续加油！
~ 2027-01-01 08:30 (Asia/Shanghai)
[playground] mod: /光荣榜
[dm mod] kocbot: 已在 Playground 发布 2026 年 12 月光荣榜 🎉
[playground] kocbot: 🌟 2026 年 12 月光荣榜 🌟
    这几位群友耐心帮助了大家，每人都收到了 3 次以上的感谢：
    1. @bob「热心答主」：收到 3 次感谢，累计 50 积分
       “谢谢 @bob 帮我解决了蓝牙连不上的问题” —— alice
       “太感谢了，按你说的重置就好了！” —— carol
    谢谢你们让这个社群更温暖，也谢谢每一位说出“谢谢”的朋友 💐
[playground] mod: /光荣榜
[dm mod] kocbot: 2026 年 12 月光荣榜已经发布过了：Playground（01-01 08:30）。不会重复发布，积分也不会重复发放。
"""


def test_the_recognition_session_prints_the_transcript(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT, env=ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_this_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
    assert readme_shows("KOCBOT_RECOGNITION__MONTHLY_THANKS_THRESHOLD=3")
