"""The README's KOC lifecycle playground session: a helpful member becomes a candidate, a KOC, and an honoured alumnus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# the KOC lifecycle: a helpful member becomes a candidate, a KOC, and an honoured alumnus
~ 2026-12-01 09:00
alice: 新买的 X1 怎么设置夜间模式？
bob: 设置 → 显示 → 夜间模式，打开就行
alice: 谢谢 @bob
carol: 谢谢 @bob 的耐心解答
mod: /koc candidates
mod: /koc invite @bob
mod: /koc promote @bob 私域
mod: /koc promise @bob 12 月线下见面会名额 --due 2026-12-20
~ 2026-12-10 10:00
mod: /koc exit @bob 工作调动，想先休息 --公开
mod: /koc keep 1 已预留座位
mod: /koc exit @bob
bob: /名人堂
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] alice: 新买的 X1 怎么设置夜间模式？
[playground] bob: 设置 → 显示 → 夜间模式，打开就行
[playground] alice: 谢谢 @bob
[playground] kocbot: @alice 收到！已记下你对 bob 的感谢 🌸
[playground] carol: 谢谢 @bob 的耐心解答
[playground] kocbot: @carol 收到！已记下你对 bob 的感谢 🌸
[playground] mod: /koc candidates
[dm mod] kocbot: 候选人名单已私信发给你。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm mod] kocbot: KOC 候选人（按最近 30 天的表现排序，共 3 位有表现）：
    1. bob（2.5 分）：30 天内收到 2 次感谢，最近 10 周有 1 周发言
    2. alice（0.5 分）：最近 10 周有 1 周发言
    3. carol（0.5 分）：最近 10 周有 1 周发言
    用 /koc 邀请 @成员 私信发出邀请。
[playground] mod: /koc invite @bob
[dm mod] kocbot: 已私信邀请 bob 成为 KOC，TA 现在是候选人。
[dm bob] kocbot: bob，你好！我们注意到你一直在群里热心帮助大家、认真分享真实的使用体验，非常感谢 🙏
    想邀请你成为我们的 KOC（社群伙伴）。这意味着：
    · 你会更早体验新品和新功能，你的反馈会直接送到产品团队；
    · 品牌会给你相应的称号和认可，也会邀请你参加活动；
    · 你说的每一句话都是你自己的：我们只会分享每月的沟通要点，从不给稿子，不认同的地方也欢迎直说。
    没有任何任务和指标，什么时候想休息都可以。感兴趣的话回复运营 mod 就好；暂时不想也完全没关系，谢谢你一直以来的分享！
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] mod: /koc promote @bob 私域
[dm mod] kocbot: 已将 bob 设为私域 KOC，由你负责联系。欢迎信已私信发给 TA。
[dm bob] kocbot: bob，你好！谢谢你一直以来的分享和帮助，从今天起你是我们的私域 KOC 🎉 之后由 mod 和你保持联系。

    我们承诺：
    · 你的每一份贡献都会被记录和认可：称号、积分和在社群里的公开感谢；
    · 新品和新功能优先体验，线上线下活动优先邀请；
    · 你提的每一条建议都会得到答复（3 个工作日内），并告诉你转给了哪个部门、可能带来什么改变；
    · 坦诚说明时间：产品改进需要周期，不一定很快上线，但进展都会告诉你。
    我们希望：你继续用自己的话、从普通用户的角度分享真实体验，好的和不好的都可以说，这正是你的价值。
    有任何问题，随时私信 mod。
[playground] mod: /koc promise @bob 12 月线下见面会名额 --due 2026-12-20
[dm mod] kocbot: 已记下对 bob 的承诺 #1：12 月线下见面会名额（2026-12-20 前）。兑现后请用 /koc 兑现 1。
~ 2026-12-10 10:00 (Asia/Shanghai)
[dm admin] kocbot: 📋 运营周报（2026-W50）

    👂 倾听：本周
    【Playground】抱怨 0 条（记为问题 0，忽略 0）· 问题 1 个，已回答 1
[dm mod] kocbot: 📋 运营周报（2026-W50）

    👂 倾听：本周
    【Playground】抱怨 0 条（记为问题 0，忽略 0）· 问题 1 个，已回答 1
[playground] mod: /koc exit @bob 工作调动，想先休息 --公开
[dm mod] kocbot: 已为 bob 开始退出流程。在感谢和授予名人堂之前，先把我们对 TA 的承诺一一了结（1 项）：
    · #1 12 月线下见面会名额（2026-12-20 前）
    兑现：/koc 兑现 编号；确实无法兑现：/koc 放弃 编号 原因。都了结后再发一次 /koc 退出 @bob 完成退出。
[playground] mod: /koc keep 1 已预留座位
[dm mod] kocbot: 承诺 #1 已兑现：12 月线下见面会名额（已预留座位）。
[playground] mod: /koc exit @bob
[dm mod] kocbot: bob 的退出已完成：已私信感谢，授予「品牌名人堂」，并在 Playground 公开致谢。接班人选已私信发给运营。
[dm mod] kocbot: bob 已经退出 KOC，TA 所在的群里可以考虑这些候选人：
    1. alice（0.5 分）：最近 10 周有 1 周发言
    2. carol（0.5 分）：最近 10 周有 1 周发言
    用 /koc 邀请 @成员 发出邀请（私信，不会有压力）。
[playground] kocbot: 感谢 @bob 一直以来在群里的分享和帮助！TA 已入选「品牌名人堂」，欢迎随时回来看看 🌟
[dm bob] kocbot: bob，谢谢你一路以来的陪伴和分享 🙏
    你在社群里收到了 2 次感谢。
    我们为你授予了「品牌名人堂」称号，你的记录会一直保留在这里。无论什么时候想回来看看，我们都欢迎你 🌱
[dm admin] kocbot: bob 已经退出 KOC，TA 所在的群里可以考虑这些候选人：
    1. alice（0.5 分）：最近 10 周有 1 周发言
    2. carol（0.5 分）：最近 10 周有 1 周发言
    用 /koc 邀请 @成员 发出邀请（私信，不会有压力）。
[playground] bob: /名人堂
[playground] kocbot: @bob 🌟 品牌名人堂
    · bob（2026-12 ~ 2026-12）：收到感谢 2 次，建议被采纳 0 条，提出问题 0 个
    谢谢每一位曾经和我们一起的朋友。
"""


def test_the_koc_lifecycle_session_prints_the_transcript(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_this_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
