"""Configuration mistakes, as a user makes them: one line naming the mistake, exit code 2, nothing touched."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.errors import ConfigError
from tests.support import kocbot_each, refusal

pytestmark = pytest.mark.e2e

URL_EXPECTED = (
    "expected a PostgreSQL URL (postgresql://user@host:5432/kocbot) or a SQLite one (sqlite:////path/to/kocbot.db)"
)
JOBS = "campaign_rewards, feedback_overdue, honour_roll, koc_reminders, moderators_digest, monthly_brief, monthly_report, privacy_retention"


@pytest.fixture
def refused_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., str]:
    """`config check` and `run` (in this process: they stop before logging is set up) refuse with the
    same one line and exit code 2, and create no data folder."""

    def refuse(env: dict, *args: str) -> str:
        for name in [name for name in os.environ if name.startswith("KOCBOT_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        data = tmp_path / f"data-{len(list(tmp_path.iterdir()))}"
        lines = []
        for command in (("config", "check"), ("run",)):
            assert main([*args, "--data-dir", str(data), *command]) == 2
            out, err = capsys.readouterr()
            assert out == "" and err.endswith("\n") and err.count("\n") == 1, (out, err)
            lines.append(err.removesuffix("\n"))
        assert lines[0] == lines[1] and not data.exists()
        return lines[0]

    return refuse


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("notaurl", "this is not a URL"),
        ("kocbot:secret@db.example/kocbot", "this is not a URL"),
        ("postgresql://kocbot@db.example:99999/kocbot", "port 99999 is not a port number"),
    ],
)
def test_a_database_url_that_is_not_a_url_is_a_config_error(
    refused_alike: Callable[..., str], url: str, why: str
) -> None:
    shown = url.replace(":secret@", ":***@")
    line = refused_alike({"KOCBOT_DATABASE__URL": url})
    assert line == f"kocbot: configuration error: database.url = {shown!r}: {URL_EXPECTED}; {why}"
    assert "secret" not in line


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://kocbot:secret@db.example/kocbot", "; kocbot does not support mysql"),
        ("mssql+pyodbc://kocbot@db.example/kocbot", "; kocbot does not support mssql"),
        (
            "postgresql+psycopg2://kocbot@db.example/kocbot",
            " without a driver name (kocbot chooses asyncpg or aiosqlite itself)",
        ),
    ],
)
def test_a_database_url_of_another_engine_or_driver_is_a_config_error(
    refused_alike: Callable[..., str], url: str, why: str
) -> None:
    shown = url.replace(":secret@", ":***@")
    line = refused_alike({"KOCBOT_DATABASE__URL": url})
    assert line == f"kocbot: configuration error: database.url = {shown!r}: {URL_EXPECTED}{why}"
    assert "secret" not in line


def test_a_config_path_that_is_a_folder_is_a_config_error(refused_alike: Callable[..., str], tmp_path: Path) -> None:
    folder = tmp_path / "kocbot.toml"
    folder.mkdir()
    line = refused_alike({}, "--config", str(folder))
    assert line == f"kocbot: configuration error: --config = '{folder}': expected a TOML file, not a folder"
    by_env = refused_alike({"KOCBOT_CONFIG": str(folder)})
    assert by_env == f"kocbot: configuration error: KOCBOT_CONFIG = '{folder}': expected a TOML file, not a folder"


def test_a_config_file_that_is_not_utf8_is_a_config_error(refused_alike: Callable[..., str], tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('[bot]\nname = "助手"\n'.encode("gbk"))  # saved as "ANSI" by a Chinese Windows editor
    line = refused_alike({}, "--config", str(gbk))
    assert line == (
        f"kocbot: configuration error: {gbk} = '(file)': expected UTF-8 text (byte 14 is not UTF-8; save it as UTF-8)"
    )


def test_a_variable_and_one_inside_it_are_a_config_error(refused_alike: Callable[..., str]) -> None:
    env = {"KOCBOT_BOT__NAME": "小助手", "KOCBOT_BOT__NAME__X": "y"}
    line = refused_alike(env)
    assert line == (
        "kocbot: configuration error: KOCBOT_BOT__NAME__X = 'y': "
        "expected KOCBOT_BOT__NAME or KOCBOT_BOT__NAME__X, not both: both set bot.name"
    )


@pytest.mark.parametrize(
    ("environ", "clash"),
    [
        ({"KOCBOT_BOT__NAME__X": "y", "KOCBOT_BOT__NAME": "n"}, "KOCBOT_BOT__NAME or KOCBOT_BOT__NAME__X"),
        ({"KOCBOT_bot__name": "n", "KOCBOT_BOT__NAME__X": "y"}, "KOCBOT_bot__name or KOCBOT_BOT__NAME__X"),
        ({"KOCBOT_BOT__NAME": "n", "KOCBOT_bot__name": "m"}, "KOCBOT_BOT__NAME or KOCBOT_bot__name"),
        ({"KOCBOT_BOT": "n", "KOCBOT_BOT__NAME": "m"}, None),  # KOCBOT_BOT is no override (no `__`)
    ],
)
def test_clashing_variables_are_refused_in_any_order_and_case(environ: dict, clash: str | None) -> None:
    if clash is None:
        assert load_settings(environ=environ).bot.name == "m"
        return
    with pytest.raises(ConfigError, match=f"expected {clash}, not both: both set bot.name"):
        load_settings(environ=environ)


def test_an_unknown_scheduler_job_is_refused_by_config_check_and_run(
    refused_alike: Callable[..., str], tmp_path: Path
) -> None:
    config = tmp_path / "kocbot.toml"
    config.write_text('[scheduler.jobs.honor_roll]\ncron = "0 9 * * 1"\n', encoding="utf-8")
    line = refused_alike({}, "--config", str(config))
    assert line == (
        "kocbot: configuration error: scheduler.jobs.honor_roll = 'honor_roll': "
        f"expected the name of a built-in job (did you mean honour_roll?): {JOBS}"
    )


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_templates_dir_that_is_not_a_folder_is_refused_by_config_check_and_run(
    refused_alike: Callable[..., str], tmp_path: Path, kind: str
) -> None:
    templates = tmp_path / "brand-templates"
    if kind == "a file":
        templates.write_text("not a folder", encoding="utf-8")
    state = "does not exist" if kind == "missing" else "is not a folder"
    line = refused_alike({"KOCBOT_BOT__TEMPLATES_DIR": str(templates)})
    assert line == (
        f"kocbot: configuration error: bot.templates_dir = '{templates}': "
        f"expected an existing folder of templates ({templates} {state})"
    )


def test_every_command_refuses_a_configuration_error_alike(tmp_path: Path) -> None:
    env = {"KOCBOT_SCHEDULER__JOBS__NOPE__ENABLED": "true", "WECHATY_PUPPET_SERVICE_TOKEN": "insecure_test"}
    data = tmp_path / "data"
    calls = {
        "run --script": ("--data-dir", str(data), "run", "--script", str(tmp_path / "absent.txt")),
        "run --transport wechaty": ("--data-dir", str(data), "run", "--transport", "wechaty"),
        "db upgrade": ("--data-dir", str(data), "db", "upgrade"),
        "db current": ("--data-dir", str(data), "db", "current"),
        "export": ("--data-dir", str(data), "export", "feedback"),
        "report": ("--data-dir", str(data), "report", "monthly", "2026-11"),
    }
    lines = {name: refusal(done, 2) for name, done in kocbot_each(calls, env=env).items()}
    assert set(lines.values()) == {
        f"kocbot: configuration error: scheduler.jobs.nope = 'nope': expected the name of a built-in job: {JOBS}"
    }
    assert not data.exists()
