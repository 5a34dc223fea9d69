"""The README's outreach playground session: a segment, a dry run, a send, an opt-out, quiet hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# outreach: a segment, a dry run, a send, an opt-out, a late dry run held by quiet hours
~ 2026-12-01 10:00
bob: 大家好，刚入群
carol: 欢迎欢迎
mod: /模板 设置 hi {{ member.name }}，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
mod: /分群 设置 新朋友 群=playground 且 非 反馈>=1
mod: /分群 查看 新朋友
mod: /触达 发送 新朋友 --模板 hi --试发
mod: /触达 发送 新朋友 --模板 hi
mod: /触达 查看 1
[dm] carol: TD
~ 2026-12-01 23:00
mod: /触达 发送 新朋友 --模板 hi --试发
"""

TRANSCRIPT = """\
~ 2026-12-01 10:00 (Asia/Shanghai)
[playground] bob: 大家好，刚入群
[playground] carol: 欢迎欢迎
[playground] mod: /模板 设置 hi {{ member.name }}，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
[dm mod] kocbot: 已新建模板 hi，用到的变量：member。
    在这里的预览：
    mod，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] mod: /分群 设置 新朋友 群=playground 且 非 反馈>=1
[dm mod] kocbot: 已保存分群「新朋友」：群=playground 且 非 反馈>=1
    现在有 2 位成员（已退订的不算）。发送 /分群 查看 新朋友 看名单。
[playground] mod: /分群 查看 新朋友
[dm mod] kocbot: 分群「新朋友」：群=playground 且 非 反馈>=1
    现在有 2 位成员（已退订的不算）：
    · bob
    · carol
[playground] mod: /触达 发送 新朋友 --模板 hi --试发
[dm mod] kocbot: 试发（什么都没有发出）：分群「新朋友」用模板 hi，会私信发给 2 位成员。
    —— 发给 bob：
    bob，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
    回复 TD 退订
    —— 发给 carol：
    carol，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
    回复 TD 退订
[playground] mod: /触达 发送 新朋友 --模板 hi
[dm mod] kocbot: 触达 #1 已排队：2 位成员会私信收到。
    免打扰时段和每人的打扰上限会让部分消息晚些发出。用 /触达 查看 1 看进度。
[dm bob] kocbot: bob，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
    回复 TD 退订
[dm carol] kocbot: carol，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
    回复 TD 退订
[playground] mod: /触达 查看 1
[dm mod] kocbot: 触达 #1：分群「新朋友」，模板 hi（已排队）
    目标 2 位：已发出 2，待发 0，免打扰时段后发 0，因打扰上限推后 0，失败 0
    跳过：已退订 0，已退群 0
[dm carol] carol: TD
[dm carol] kocbot: 好的，已为你退订，以后不会再收到我们主动发送的消息（触达推送、新人引导、邀请、月度简报）。
    你自己的反馈和问题有进展时，以及你问我的问题，仍会回复你。
    想重新接收，随时私信发送 /订阅。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
~ 2026-12-01 23:00 (Asia/Shanghai)
[playground] mod: /触达 发送 新朋友 --模板 hi --试发
[dm mod] kocbot: 试发（什么都没有发出）：分群「新朋友」用模板 hi，会私信发给 1 位成员。
    其中 1 条会因免打扰时段晚些发，0 条会因打扰上限推到之后的日子。
    不发：1 位已退订，0 位已不在群里。
    —— 发给 bob：
    bob，你好！本周六下午有新品体验会，想来的话私信我“报名” 🌱
    回复 TD 退订
"""


def test_the_outreach_session_prints_the_transcript(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_the_outreach_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
