"""The README's campaign playground session: a small launch campaign from creation to report and reward."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot import charts
from tests.support import PROJECT, readme_shows

pytestmark = pytest.mark.e2e

SCRIPT = """\
# a launch campaign: clues, a KOC's heads-up, the discussion it ignites, the report, the weekly reward
~ 2026-12-01 20:00
kate: 晚上好，今天有人试了新固件吗？
bob: 还没，等周末
~ 2026-12-02 21:00
mod: /koc promote @kate 私域
mod: /活动 创建 X1 预热 --上线 2026-12-10
mod: /活动 关键词 1 新品 X1
mod: /活动 要点 1 续航比上一代长；机身更轻
mod: /活动 线索 1 --时间 2026-12-03 20:00 第一条线索：它的颜色，和冬天的第一场雪有关 ❄️
~ 2026-12-03 18:00
~ 2026-12-03 20:00
kate: 看到线索了吗？我猜是新品 X1 的雪白配色
bob > kate: 雪白配色太好看了，X1 什么时候开售？
carol: @kate 续航有提升吗？
+dave
dave: 刚进群，新品 X1 是什么？
~ 2026-12-04 10:00
mod: /活动 引爆 1
mod: /活动 报告 1
~ 2026-12-07 10:00
"""

TRANSCRIPT = """\
~ 2026-12-01 20:00 (Asia/Shanghai)
[playground] kate: 晚上好，今天有人试了新固件吗？
[playground] bob: 还没，等周末
~ 2026-12-02 21:00 (Asia/Shanghai)
[playground] mod: /koc promote @kate 私域
[dm mod] kocbot: 已将 kate 设为私域 KOC，由你负责联系。欢迎信已私信发给 TA。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm kate] kocbot: kate，你好！谢谢你一直以来的分享和帮助，从今天起你是我们的私域 KOC 🎉 之后由 mod 和你保持联系。

    我们承诺：
    · 你的每一份贡献都会被记录和认可：称号、积分和在社群里的公开感谢；
    · 新品和新功能优先体验，线上线下活动优先邀请；
    · 你提的每一条建议都会得到答复（3 个工作日内），并告诉你转给了哪个部门、可能带来什么改变；
    · 坦诚说明时间：产品改进需要周期，不一定很快上线，但进展都会告诉你。
    我们希望：你继续用自己的话、从普通用户的角度分享真实体验，好的和不好的都可以说，这正是你的价值。
    有任何问题，随时私信 mod。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] mod: /活动 创建 X1 预热 --上线 2026-12-10
[dm mod] kocbot: 已创建活动 #1「X1 预热」，覆盖：Playground。
    上线日：2026-12-10（Asia/Shanghai 时间）
    统计期：从现在（2026-12-02 21:00）到 2026-12-17（上线日后 7 天）
    接下来可以：
    · /活动 关键词 1 新品 X1 …　设置标记活动讨论的关键词
    · /活动 要点 1 要点一；要点二　给 KOC 的沟通要点
    · /活动 线索 1 --时间 2026-12-10 20:00 线索内容　安排一条线索
[playground] mod: /活动 关键词 1 新品 X1
[dm mod] kocbot: 活动 #1「X1 预热」的关键词已更新（2 个）：新品、X1
[playground] mod: /活动 要点 1 续航比上一代长；机身更轻
[dm mod] kocbot: 活动 #1「X1 预热」的沟通要点已更新（2 条）：
    · 续航比上一代长
    · 机身更轻
    每条线索发布前，活跃 KOC 会在私信预告里收到这些要点（是要点，不是稿子）。
[playground] mod: /活动 线索 1 --时间 2026-12-03 20:00 第一条线索：它的颜色，和冬天的第一场雪有关 ❄️
[dm mod] kocbot: 已安排活动 #1 的线索 #1：2026-12-03 20:00（Asia/Shanghai 时间）发到 Playground。
    KOC 预告：2026-12-03 18:00（提前 120 分钟）私信预告 1 位活跃 KOC。
    内容预览：
    第一条线索：它的颜色，和冬天的第一场雪有关 ❄️
    取消：/活动 线索 取消 1
~ 2026-12-03 18:00 (Asia/Shanghai)
[dm kate] kocbot: kate，你好！「X1 预热」的下一条线索将在 2026-12-03 20:00（Asia/Shanghai 时间）发到 Playground：
    第一条线索：它的颜色，和冬天的第一场雪有关 ❄️
    这次可以聊的要点：
    · 续航比上一代长
    · 机身更轻
    发布前请先别透露。这些只是要点，不是稿子：线索发出后，请用你自己的话、结合你自己的真实体验参与讨论，不必照抄，不认同的地方也可以直说。谢谢你 🙏
~ 2026-12-03 20:00 (Asia/Shanghai)
[playground] kocbot: 第一条线索：它的颜色，和冬天的第一场雪有关 ❄️
[playground] kate: 看到线索了吗？我猜是新品 X1 的雪白配色
[playground] bob: 雪白配色太好看了，X1 什么时候开售？
[playground] carol: @kate 续航有提升吗？
[playground] + dave joined
[playground] kocbot: 欢迎 @dave 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，发送 /帮助 可以看看我能帮你做什么。
[playground] dave: 刚进群，新品 X1 是什么？
~ 2026-12-04 10:00 (Asia/Shanghai)
[dm admin] kocbot: 🙋 #3「Playground」里 bob 的问题 20 分钟还没人回答：
    「雪白配色太好看了，X1 什么时候开售？」
[dm mod] kocbot: 🙋 #3「Playground」里 bob 的问题 20 分钟还没人回答：
    「雪白配色太好看了，X1 什么时候开售？」
[dm admin] kocbot: 🙋 #4「Playground」里 dave 的问题 20 分钟还没人回答：
    「刚进群，新品 X1 是什么？」
[dm mod] kocbot: 🙋 #4「Playground」里 dave 的问题 20 分钟还没人回答：
    「刚进群，新品 X1 是什么？」
[dm admin] kocbot: ⏰ #3「Playground」里 bob 的问题已经 80 分钟没人回答了，提醒过一次：
    「雪白配色太好看了，X1 什么时候开售？」
[dm mod] kocbot: ⏰ #3「Playground」里 bob 的问题已经 80 分钟没人回答了，提醒过一次：
    「雪白配色太好看了，X1 什么时候开售？」
[dm admin] kocbot: ⏰ #4「Playground」里 dave 的问题已经 80 分钟没人回答了，提醒过一次：
    「刚进群，新品 X1 是什么？」
[dm mod] kocbot: ⏰ #4「Playground」里 dave 的问题已经 80 分钟没人回答了，提醒过一次：
    「刚进群，新品 X1 是什么？」
[playground] mod: /活动 引爆 1
[dm mod] kocbot: 活动 #1「X1 预热」的引爆排行（截至 12-04 10:00，共 4 条讨论消息）
    每条消息看它之后 30 分钟的讨论；得分 = 回复×3.0 + 被@×2.0 + 参与人数×2.0 + 关键词×1.0 + 新入群×5.0 + 高出平时的讨论条数×0.5。

    KOC：
    1. kate：19.0 分 · 1 条消息 · 回复 1 · 被@ 1 · 参与 3 人 · 关键词 2 · 新入群 1 · 随后讨论 3 条（平时约 1.0，+2.0）

    普通成员：
    1. bob：10.5 分 · 1 条消息 · 回复 0 · 被@ 0 · 参与 2 人 · 关键词 1 · 新入群 1 · 随后讨论 2 条（平时约 1.0，+1.0）
    2. carol：8.0 分 · 1 条消息 · 回复 0 · 被@ 0 · 参与 1 人 · 关键词 1 · 新入群 1 · 随后讨论 1 条（平时约 1.0，+0.0）
    3. dave：5.0 分 · 1 条消息 · 回复 0 · 被@ 0 · 参与 0 人 · 关键词 0 · 新入群 1 · 随后讨论 0 条（平时约 1.0，-1.0）
[playground] mod: /活动 报告 1
[dm mod] kocbot: 📊 活动 #1「X1 预热」报告
    统计期：2026-12-02 21:00 至 2026-12-04 10:00，上线日 2026-12-10
    讨论消息共 4 条。

    各群讨论量（与平时相比）：
    · Playground：4 条，平时同期约 3 条，1.4 倍

    每天（全部活动群）：
    · 12-02：0 条（平时约 2）
    · 12-03：4 条（平时约 2）
    · 12-04：0 条（平时约 2）

    线索与随后 30 分钟：
    · #1 12-03 20:00 已发布：第一条线索：它的颜色，和冬天的第一场雪有关 ❄️ → 4 条消息（平时约 1.0），4 人参与，关键词 3 次，新入群 1 人

    引爆 KOC 前几名：
    1. kate：19.0 分 · 1 条消息 · 回复 1 · 被@ 1 · 参与 3 人 · 关键词 2 · 新入群 1 · 随后讨论 3 条（平时约 1.0，+2.0）
    普通成员前几名：
    1. bob：10.5 分 · 1 条消息 · 回复 0 · 被@ 0 · 参与 2 人 · 关键词 1 · 新入群 1 · 随后讨论 2 条（平时约 1.0，+1.0）
    2. carol：8.0 分 · 1 条消息 · 回复 0 · 被@ 0 · 参与 1 人 · 关键词 1 · 新入群 1 · 随后讨论 1 条（平时约 1.0，+0.0）
    3. dave：5.0 分 · 1 条消息 · 回复 0 · 被@ 0 · 参与 0 人 · 关键词 0 · 新入群 1 · 随后讨论 0 条（平时约 1.0，-1.0）
[dm mod] kocbot: 活动 #1「X1 预热」各群讨论量图（红色虚线为线索发布时间）
    [image] data/images/20-campaign-1.png
~ 2026-12-07 10:00 (Asia/Shanghai)
[dm admin] kocbot: 📋 运营周报（2026-W50）

    👂 倾听：本周
    【Playground】抱怨 0 条（记为问题 0，忽略 0）· 问题 4 个，已回答 2
[dm mod] kocbot: 📋 运营周报（2026-W50）

    👂 倾听：本周
    【Playground】抱怨 0 条（记为问题 0，忽略 0）· 问题 4 个，已回答 2
[dm kate] kocbot: 🔥 你是「X1 预热」12-02 至 12-06 的第 1 名引爆者，获得 20 积分和「引爆者」称号。你发起的讨论让大家聊得很热闹，谢谢你！
[playground] kocbot: 🔥 「X1 预热」12-02 至 12-06 的引爆者：
    1. kate「引爆者」 +20 积分
    谢谢大家带起这么好的讨论！
"""


def test_the_campaign_session_prints_the_transcript_and_saves_the_chart(tmp_path: Path) -> None:
    (tmp_path / "script.txt").write_text(SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
    env["PYTHONPATH"] = str(PROJECT)
    # Run where a user runs `make run`: the chart's path is printed relative to that folder.
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--data-dir", "data", "run", "--script", "script.txt"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT
    chart = Image.open(tmp_path / "data" / "images" / "20-campaign-1.png")
    assert (chart.format, chart.size) == ("PNG", (charts.WIDTH, charts.HEIGHT))


def test_the_readme_shows_the_campaign_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
