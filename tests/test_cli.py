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
bob: /帮主
bob: /mod add @alice
admin: /mod add @alice
[dm] alice: /帮助
[dm] alice: /帮助 报告
+dave
[dm] dave: 你好，请问积分怎么用？
~ +3d
[room2] carol: ／ping
"""

TRANSCRIPT = """\
~ 2026-12-01 09:00 (Asia/Shanghai)
[playground] alice: 大家好
[playground] alice: /帮助
[playground] kocbot: @alice 你好，我是 kocbot，可以帮你做这些事：
    /帮助 [主题] （或 /help [topic]）
        看看我能为你做什么
    /在吗 （或 /ping）
        确认我在线
    /感谢 @群友 [理由] （或 /thanks）
        感谢帮助过你的群友，也可以直接说“谢谢 @群友”
    /我的 [月份] （或 /me [month]）
        私信查看你收到和送出的感谢、积分、称号和规则；写上月份（如 2026-11）看那个月的积分明细
    /排行 [本月|全部] [感谢|积分] [全品牌] （或 /top [month|all] [thanks|points] [brand]）
        看看本群（或全品牌）的感谢榜和积分榜
    /反馈 [缺陷|建议|困惑] （或 /feedback；也可以直接贴填好的表单）
        提交缺陷、建议或困惑：机器人私信你一步步填写，每条反馈都会有回复
    /反馈 +1 FB-编号 [你的情况] （或 /feedback +1）
        遇到了同样的问题？把你的情况补充到已有的反馈里
    /问题 +1 编号 （或 /issue +1）
        我也遇到了：问题有结果时私信告诉你
    /退订 （或私信回复 TD；或 /unsubscribe）
        不再接收我们主动推送的消息
    /订阅 （或 /subscribe）
        退订后重新接收推送
    /名人堂 （或 /halloffame）
        看看品牌名人堂的成员和他们的贡献
    /隐私 （或 /privacy）
        机器人保存了什么、为什么、保存多久，谁能看到，以及你能怎么做
    命令也可以用全角的“／”开头。
    运营同学：管理命令请私信我发送 /帮助 查看。
[playground] bob: /pnig
[playground] kocbot: @bob 我还不认识 /pnig 这个命令。你是想用 /ping 吗？
    发送 /帮助 可以查看全部命令。
[playground] bob: /帮主
[playground] kocbot: @bob 我还不认识 /帮主 这个命令。你是想用 /帮助 吗？
    发送 /帮助 可以查看全部命令。
[playground] bob: /mod add @alice
[playground] kocbot: @bob 抱歉，/mod add 只有超级管理员可以使用。如果需要帮忙，可以联系群里的运营同学。
[playground] admin: /mod add @alice
[dm admin] kocbot: 已将 alice 设为社群运营。
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm alice] kocbot: 你好！admin 已将你设为社群运营。发送 /帮助 可以看到你现在能用的所有命令。谢谢你愿意一起照顾好这个社群！
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
[dm alice] alice: /帮助
[dm alice] kocbot: 你好，我是 kocbot。你能用的命令按主题分组，发送“/帮助 主题”查看一组命令的完整用法，例如 /帮助 反馈：
    · 成员（16 个命令）：所有成员都能用的命令
    · 基础（5 个命令）：在线检查、运营名单和发件箱
    · 感谢（12 个命令）：感谢记录、积分、称号和月度光荣榜
    · 反馈（12 个命令）：提交反馈，整理、回复和跟进每一条，版本致谢名单
    · 问题（12 个命令）：群里提出的问题：记录、转交、进度和公布处理结果
    · 公告（25 个命令）：定时公告、自定义模板、月度沟通简报和运营周报
    · KOC（19 个命令）：KOC 的晋升、候选人、承诺、协议、称号任期、退出和名人堂
    · 活动（10 个命令）：新品上线活动：线索、关键词、沟通要点、引爆排行和报告
    · 旅程（4 个命令）：成员入群、晋升 KOC 等之后按时私信的一组消息（SOP），例如新人引导
    · 报告（1 个命令）：社群月报
    · 倾听（2 个命令）：群里的抱怨和没人回答的问题：私下提醒运营，一步处理
    · 隐私（5 个命令）：机器人保存了你的什么，获取一份副本，删除你的数据
    · 后台（1 个命令）：网页后台：登录链接，在浏览器里处理反馈、问题、成员和数据
    命令也可以用全角的“／”开头。
[dm alice] alice: /帮助 报告
[dm alice] kocbot: 「报告」的命令：
    /报告 月度 [2026-12] （或 /月报、/report monthly）
        私信查看社群月报：各群成员与活跃度、感谢、反馈、问题跟进和 KOC 变化，附图表（不写月份就是本月到目前为止；每月 1 号 9:00 自动发给运营）
    发送 /帮助 查看其他命令。
[playground] + dave joined
[playground] kocbot: 欢迎 @dave 加入Playground！🎉 这里是大家交流使用心得的地方，有问题随时问，发送 /帮助 可以看看我能帮你做什么。
[dm dave] dave: 你好，请问积分怎么用？
[dm dave] kocbot: 你好！我是 kocbot，社群里的小助手 🙂 我只认得以“/”开头的命令，这条消息我没法直接回答。
    · 想反馈问题或提建议：发送 /反馈，我会一步步帮你写清楚；每一条反馈运营同学都会阅读，并私信回复你。
    · 查看你收到的感谢、积分和称号：/我的
    · 我能做的全部事情：/帮助
    （机器人会保存你在社群里的消息、感谢、积分和反馈，用于统计和回复你。发 /隐私 了解保存什么、保存多久，以及怎样获取或删除你的数据。）
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
    assert "the heap is settled" in (tmp_path / "kocbot.log").read_text(encoding="utf-8")  # bot.heap, once started


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
