"""The base install (no extras) runs the playground on SQLite; a part that needs an extra says which.

The extras are hidden from a real `kocbot` process by an import hook, as if they were not installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PROJECT, kocbot, refusal, run_playground_script
from tests.test_cli import SCRIPT, TRANSCRIPT

pytestmark = pytest.mark.e2e
EXTRAS = ("matplotlib", "asyncpg", "psycopg", "wechaty", "wechaty_puppet", "wechaty_puppet_service", "grpclib")
HIDER = f"""\
import sys

HIDDEN = {EXTRAS!r}


class NotInstalled:
    \"\"\"Wraps a finder of sys.meta_path: the hidden packages are found nowhere, as if not installed.\"\"\"

    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            return None
        return self._finder.find_spec(name, path, target)

    def __getattr__(self, attribute):
        return getattr(self._finder, attribute)


sys.meta_path[:] = [NotInstalled(finder) for finder in sys.meta_path]
"""


@pytest.fixture
def base_install(tmp_path: Path) -> dict[str, str]:
    """The environment of a kocbot process that sees none of the extras."""
    hider = tmp_path / "hider"
    hider.mkdir()
    (hider / "sitecustomize.py").write_text(HIDER, encoding="utf-8")
    env = {"PYTHONPATH": f"{hider}:{PROJECT}"}
    probe = subprocess.run(
        [sys.executable, "-c", "import matplotlib"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "No module named 'matplotlib'" in probe.stderr, probe  # the hook took effect
    return env


def test_the_playground_runs_without_any_extra(tmp_path: Path, base_install: dict[str, str]) -> None:
    done = run_playground_script(tmp_path, SCRIPT, env=base_install)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT


def test_postgresql_without_its_extra_is_one_line_naming_it(tmp_path: Path, base_install: dict[str, str]) -> None:
    env = {**base_install, "KOCBOT_DATABASE__URL": "postgresql://kocbot@127.0.0.1:5432/kocbot"}
    line = refusal(kocbot("--data-dir", str(tmp_path), "config", "check", env=env), 2)
    assert "PostgreSQL needs its drivers (asyncpg, psycopg not installed)" in line
    assert "pip install 'kocbot[postgresql]'" in line


def test_wechaty_without_its_extra_is_one_line_naming_it(tmp_path: Path, base_install: dict[str, str]) -> None:
    env = {**base_install, "WECHATY_PUPPET_SERVICE_TOKEN": "insecure_x"}
    line = refusal(kocbot("--data-dir", str(tmp_path), "run", "--transport", "wechaty", env=env), 2)
    assert "pip install 'kocbot[wechaty]'" in line


REPORT_SCRIPT = """\
~ 2026-12-03 09:00
alice: 大家好
bob: 谢谢 @alice 帮我解决了问题
[dm] admin: /月报
"""


def test_without_charts_the_monthly_report_is_its_text(tmp_path: Path, base_install: dict[str, str]) -> None:
    done = run_playground_script(tmp_path, REPORT_SCRIPT, env=base_install)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    answer = done.stdout.split("[dm admin] kocbot: ", 1)[1]
    assert answer.startswith("📊 2026 年 12 月社群月报（截至 12-03 09:00，本月还没有结束）")
    assert "共 2 条消息，2 人发过言" in answer and "群友之间感谢了 1 次" in answer
    assert "[image" not in done.stdout and not list((tmp_path / "data").rglob("*.png"))
