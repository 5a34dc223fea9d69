"""The README's listening playground session: a complaint noticed and made a thread, questions answered or nudged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# listening: a complaint made a thread in one step; one question answered, one nudged then escalated
~ 2026-12-01 09:00
bob: 新买的耳机右边没声音了，才用了一个星期
carol: 我的耳机也是，右耳时有时无
[dm] mod: /issue open from 1 耳机右耳无声
[playground] dave: 请问耳机怎么恢复出厂设置？
erin: 长按左耳十秒就行，我刚试过
~ 2026-12-01 09:30
frank: 有人知道降噪模式在哪里切换吗
~ 2026-12-01 09:45
[dm] mod: /倾听
~ 2026-12-01 11:00
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] bob: 新买的耳机右边没声音了，才用了一个星期
[dm admin] kocbot: 👂 #1 bob 在「Playground」说：
    「新买的耳机右边没声音了，才用了一个星期」
    一步处理：
    · /问题 新建 来自 1 —— 记为问题并在群里谢谢 TA
    · /问题 关联 编号 来自 1 —— 并入已有的问题
    · /忽略 1 —— 不是对我们的抱怨
    一小时内同一件事的抱怨会并入这条。
[dm mod] kocbot: 👂 #1 bob 在「Playground」说：
    「新买的耳机右边没声音了，才用了一个星期」
    一步处理：
    · /问题 新建 来自 1 —— 记为问题并在群里谢谢 TA
    · /问题 关联 编号 来自 1 —— 并入已有的问题
    · /忽略 1 —— 不是对我们的抱怨
    一小时内同一件事的抱怨会并入这条。
[playground] carol: 我的耳机也是，右耳时有时无
[dm mod] mod: /issue open from 1 耳机右耳无声
[dm mod] kocbot: 已记为问题 #1，并在「Playground」里谢过提出的人。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[playground] kocbot: @bob 谢谢你提出「耳机右耳无声」这个问题 🙏 我们已经记下（#1），会认真跟进，有结果会第一时间在群里告诉大家。
[playground] dave: 请问耳机怎么恢复出厂设置？
[playground] erin: 长按左耳十秒就行，我刚试过
~ 2026-12-01 09:30 (Asia/Shanghai)
[playground] frank: 有人知道降噪模式在哪里切换吗
~ 2026-12-01 09:45 (Asia/Shanghai)
[dm mod] mod: /倾听
[dm mod] kocbot: 👂 倾听：待处理
    【Playground】
    · 问题 #4 frank：「有人知道降噪模式在哪里切换吗」 · 15 分钟没人回答
~ 2026-12-01 11:00 (Asia/Shanghai)
[dm admin] kocbot: 🙋 #4「Playground」里 frank 的问题 20 分钟还没人回答：
    「有人知道降噪模式在哪里切换吗」
[dm mod] kocbot: 🙋 #4「Playground」里 frank 的问题 20 分钟还没人回答：
    「有人知道降噪模式在哪里切换吗」
[dm admin] kocbot: ⏰ #4「Playground」里 frank 的问题已经 80 分钟没人回答了，提醒过一次：
    「有人知道降噪模式在哪里切换吗」
[dm mod] kocbot: ⏰ #4「Playground」里 frank 的问题已经 80 分钟没人回答了，提醒过一次：
    「有人知道降噪模式在哪里切换吗」
"""


def test_the_session_runs_as_shown(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_this_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
