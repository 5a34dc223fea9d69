"""The README's outreach playground session: welcomes, moderator-authored templates and quiet hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_shows, run_playground_script

pytestmark = pytest.mark.e2e

SCRIPT = """\
# welcomes, moderator-authored templates and quiet hours
~ 2026-12-01 09:00
alice: 大家好
+dave
mod: /模板 设置 welcome 欢迎 @{{ member.name }} 加入{{ community.name }}！\\n我们现在有 {{ community.members }} 位朋友，先看看群公告吧 📌
mod: /模板 设置 hello 你好 {{ user.name }}
mod: /template set sneaky {{ ''.__class__.__mro__ }}
-dave
+dave
~ 2026-12-01 23:00
+erin
~ 2026-12-02 08:00
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] alice: 大家好
[playground] + dave joined
[playground] kocbot: 欢迎 @dave 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，发送 /帮助 可以看看我能帮你做什么。
[playground] mod: /模板 设置 welcome 欢迎 @{{ member.name }} 加入{{ community.name }}！
    我们现在有 {{ community.members }} 位朋友，先看看群公告吧 📌
[dm mod] kocbot: 已新建模板 welcome，用到的变量：community、member。
    在这里的预览：
    欢迎 @mod 加入Playground！
    我们现在有 3 位朋友，先看看群公告吧 📌
[playground] mod: /模板 设置 hello 你好 {{ user.name }}
[dm mod] kocbot: 抱歉，这个模板不能使用（第 1 行）：
    user 不是可以使用的变量。可用的变量：community、member、stats、date、now、bot_name。
    发送 /模板 帮助 可以查看可用的变量和写法。
[playground] mod: /template set sneaky {{ ''.__class__.__mro__ }}
[dm mod] kocbot: 抱歉，这个模板不能使用（第 1 行）：
    不能访问 __mro__：模板只能使用公开的变量，碰不到程序内部。
    发送 /模板 帮助 可以查看可用的变量和写法。
[playground] - dave left
[playground] + dave joined
~ 2026-12-01 23:00 (Asia/Shanghai)
[playground] + erin joined
~ 2026-12-02 08:00 (Asia/Shanghai)
[playground] kocbot: 欢迎 @erin 加入Playground！
    我们现在有 4 位朋友，先看看群公告吧 📌
"""


def test_the_outreach_session_prints_the_transcript(tmp_path: Path) -> None:
    done = run_playground_script(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_the_readme_shows_this_session() -> None:
    assert readme_shows(SCRIPT, TRANSCRIPT)
