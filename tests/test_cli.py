"""The `kocbot` command as a user runs it: real processes, a fresh data folder each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import kocbot

pytestmark = pytest.mark.e2e

SCRIPT = """\
# a first look at kocbot
~ 2026-12-01 09:00
alice: 大家好
alice: /帮助
bob: /pnig
bob: /mod add @alice
admin: /mod add @alice
+dave
~ +3d
[room2] carol: ／ping
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] alice: 大家好
[playground] alice: /帮助
[playground] kocbot: @alice 你好，我是 kocbot，可以帮你做这些事：
    /帮助 （或 /help）
        看看我能为你做什么
    /在吗 （或 /ping）
        确认我在线
    /感谢 @群友 [理由] （或 /thanks）
        感谢帮助过你的群友，也可以直接说“谢谢 @群友”
    /我的 （或 /me）
        私信查看你收到和送出的感谢、积分、称号和规则
    /排行 [本月|全部] [感谢|积分] [全品牌] （或 /top [month|all] [thanks|points] [brand]）
        看看本群（或全品牌）的感谢榜和积分榜
    /反馈 [缺陷|建议|困惑] （或 /feedback；也可以直接贴填好的表单）
        提交缺陷、建议或困惑：机器人私信你一步步填写，每条反馈都会有回复
    /反馈 +1 FB-编号 [你的情况] （或 /feedback +1）
        遇到了同样的问题？把你的情况补充到已有的反馈里
    /问题 +1 编号 （或 /issue +1）
        我也遇到了：问题有结果时私信告诉你
    /名人堂 （或 /halloffame）
        看看品牌名人堂的成员和他们的贡献
    命令也可以用全角的“／”开头。
[playground] bob: /pnig
[playground] kocbot: @bob 我还不认识 /pnig 这个命令。你是想用 /ping 吗？
    发送 /帮助 可以查看全部命令。
[playground] bob: /mod add @alice
[playground] kocbot: @bob 抱歉，/mod add 只有超级管理员可以使用。如果需要帮忙，可以联系群里的运营同学。
[playground] admin: /mod add @alice
[dm admin] kocbot: 已将 alice 设为社群运营。
[dm alice] kocbot: 你好！admin 已将你设为社群运营。发送 /帮助 可以看到你现在能用的所有命令。谢谢你愿意一起照顾好这个社群！
[playground] + dave joined
[playground] kocbot: 欢迎 @dave 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，发送 /帮助 可以看看我能帮你做什么。
~ 2026-12-04 09:00 (Asia/Shanghai)
[room2] carol: ／ping
[room2] kocbot: @carol 我在呢，一切正常。
"""


def test_a_scripted_session_prints_the_transcript_and_exits_0(tmp_path: Path) -> None:
    script = tmp_path / "first-look.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    # Exactly as a reader runs it: the default configuration, the start pinned by the first line.
    done = kocbot("--data-dir", str(tmp_path / "data"), "run", "--script", str(script))
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT
    assert (tmp_path / "data" / "kocbot.db").is_file() and (tmp_path / "data" / "kocbot.log").is_file()


def test_a_script_with_an_unreadable_line_says_so_and_fails(tmp_path: Path) -> None:
    script = tmp_path / "typo.txt"
    script.write_text("alice hello\nalice: /ping\n", encoding="utf-8")
    done = kocbot("--data-dir", str(tmp_path), "run", "--script", str(script))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("(playground) cannot read 'alice hello': write `alice: hello`")
    assert done.stdout.splitlines()[-1] == "[playground] kocbot: @alice 我在呢，一切正常。"


def test_the_interactive_playground_answers_help_in_chinese(tmp_path: Path) -> None:
    done = kocbot("--data-dir", str(tmp_path), "run", stdin="alice: /help\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kocbot playground: a simulated group chat (playground).")
    assert "[playground] kocbot: @alice 你好，我是 kocbot，可以帮你做这些事：" in done.stdout


def test_a_bad_configuration_stops_with_one_line(tmp_path: Path) -> None:
    done = kocbot("--data-dir", str(tmp_path), "run", env={"KOCBOT_BOT__LOCALE": "fr"})
    assert done.returncode == 2
    assert done.stderr == "kocbot: configuration error: bot.locale = 'fr': expected 'zh_CN' or 'en'\n"


@pytest.mark.postgres
def test_postgresql_needs_db_upgrade_before_run(pg_database: str, tmp_path: Path) -> None:
    import asyncio
    import uuid

    from tests.conftest import _admin

    name = f"kocbot_cli_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    env = {"KOCBOT_DATABASE__URL": f"postgresql://postgres@127.0.0.1:5432/{name}"}
    try:
        refused = kocbot("--data-dir", str(tmp_path), "run", stdin="", env=env)
        assert refused.returncode == 3
        assert "run `kocbot db upgrade` first" in refused.stderr
        upgraded = kocbot("db", "upgrade", env=env)
        from bot.db.migrate import head_revision

        assert upgraded.returncode == 0 and f"schema revision {head_revision()}" in upgraded.stdout
        ran = kocbot("--data-dir", str(tmp_path), "run", stdin="alice: /ping\n", env=env)
        assert ran.returncode == 0 and "[playground] kocbot: @alice 我在呢，一切正常。" in ran.stdout
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_script_that_cannot_be_read_gets_one_line_and_touches_nothing(tmp_path: Path) -> None:
    missing = kocbot("--data-dir", str(tmp_path / "data"), "run", "--script", str(tmp_path / "nope.txt"))
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == f"kocbot: cannot read the script {tmp_path / 'nope.txt'}: No such file or directory\n"
    (tmp_path / "latin1.txt").write_bytes("alice: caf\xe9".encode("latin-1"))
    binary = kocbot("--data-dir", str(tmp_path / "data"), "run", "--script", str(tmp_path / "latin1.txt"))
    assert binary.returncode == 1
    assert binary.stderr == f"kocbot: cannot read the script {tmp_path / 'latin1.txt'}: it is not UTF-8 text\n"
    assert not (tmp_path / "data" / "kocbot.db").exists()


def test_an_export_that_cannot_be_written_gets_one_line(tmp_path: Path) -> None:
    done = kocbot("--data-dir", str(tmp_path / "data"), "export", "feedback", "--out", str(tmp_path / "no" / "x.csv"))
    assert done.returncode == 1
    assert done.stderr == f"kocbot: cannot write {tmp_path / 'no' / 'x.csv'}: No such file or directory\n"
