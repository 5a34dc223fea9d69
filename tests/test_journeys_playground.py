"""The README's journeys playground session: a newcomer guided through their first week, a step skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# journeys: a newcomer's first week, guided; a step skipped when already done
~ 2026-12-01 09:00
carol: 早上好
mod: /旅程 开启 newcomer
+dave
~ 2026-12-02 20:00
dave: 谢谢 @carol 帮我找到了设置
~ 2026-12-04 10:00
~ 2026-12-08 10:00
mod: /旅程 查看 newcomer
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] carol: 早上好
[playground] mod: /旅程 开启 newcomer
[dm mod] kocbot: 已开启旅程 newcomer：从现在起，成员入群后会进入它。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] + dave joined
[playground] kocbot: 欢迎 @dave 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，发送 /帮助 可以看看我能帮你做什么。
~ 2026-12-02 20:00 (Asia/Shanghai)
[playground] dave: 谢谢 @carol 帮我找到了设置
[playground] kocbot: @dave 收到！已记下你对 carol 的感谢 🌸
~ 2026-12-04 10:00 (Asia/Shanghai)
[dm dave] kocbot: dave，你好！入群几天了，用得怎么样？
    遇到问题或者有想法，可以直接发 /反馈，我会一步步问你：在什么场景下遇到的、怎么复现、你希望怎样。每一条反馈都会有人回复；被采纳的建议还有奖励和「荣誉产品顾问」称号。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
    回复 TD 退订
~ 2026-12-08 10:00 (Asia/Shanghai)
[playground] mod: /旅程 查看 newcomer
[dm mod] kocbot: 旅程 newcomer（已开启）
    开始：成员入群后
    目标：提交反馈、感谢别人（都做到就结束）；退群或退订也会结束
    再次进入：不会再次进入
    步骤：
    1. 3 天后 10:00：journeys/newcomer_feedback（已经提交过反馈就跳过）。已发 1，跳过 0
    2. 7 天后 10:00：journeys/newcomer_thanks（已经感谢过别人就跳过）。已发 0，跳过 1
    正在进行 0 位，走完 1 位。
"""


def test_the_journeys_session_runs_as_the_readme_shows(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_the_journeys_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
