"""Configuration: defaults, user file, environment overrides, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from bot.cli import main
from bot.config import load_settings
from bot.db.url import normalise_database_url
from bot.errors import ConfigError


def test_defaults_are_the_playground(tmp_path: Path) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path)
    assert settings.bot.locale == "zh_CN"
    assert settings.bot.timezone == "Asia/Shanghai"
    assert settings.bot.transport == "console"
    assert settings.permissions.admins == ["admin"]
    assert settings.permissions.moderators == ["mod"]
    assert settings.community("playground") is not None
    assert settings.database_url() == f"sqlite+aiosqlite:///{(tmp_path / 'kocbot.db').resolve()}"


def test_user_file_then_environment_override_defaults(tmp_path: Path) -> None:
    user = tmp_path / "my.toml"
    user.write_text('[bot]\nlocale = "en"\ntimezone = "Europe/Berlin"\n[outbox]\nmax_attempts = 7\n', encoding="utf-8")
    environ = {
        "KOCBOT_OUTBOX__MAX_ATTEMPTS": "9",
        "KOCBOT_PERMISSIONS__MODERATORS": '["wxid_a", "wxid_b"]',
        "KOCBOT_DATABASE__URL": "postgresql://postgres@127.0.0.1/kocbot",
    }
    settings = load_settings(user, environ=environ, data_dir=tmp_path)
    assert settings.bot.locale == "en"
    assert settings.bot.timezone == "Europe/Berlin"
    assert settings.outbox.max_attempts == 9
    assert settings.permissions.moderators == ["wxid_a", "wxid_b"]
    assert settings.database_url() == "postgresql+asyncpg://postgres@127.0.0.1/kocbot"
    assert settings.permissions.admins == ["admin"]  # untouched defaults stay


def test_config_file_and_data_dir_come_from_the_environment(tmp_path: Path) -> None:
    user = tmp_path / "env.toml"
    user.write_text('[bot]\nname = "小助手"\n', encoding="utf-8")
    settings = load_settings(environ={"KOCBOT_CONFIG": str(user), "KOCBOT_DATA_DIR": str(tmp_path / "d")})
    assert settings.bot.name == "小助手"
    assert settings.data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("environ", "key", "value", "expected"),
    [
        ({"KOCBOT_OUTBOX__MAX_ATTEMPTS": "0"}, "outbox.max_attempts", 0, "greater than or equal to 1"),
        ({"KOCBOT_BOT__TIMEZONE": "Mars/Base"}, "bot.timezone", "Mars/Base", "IANA time zone"),
        ({"KOCBOT_BOT__LOCALE": "fr"}, "bot.locale", "fr", "'zh_CN' or 'en'"),
        ({"KOCBOT_BOT__LOCALEE": "en"}, "bot.localee", "en", "a known key"),
    ],
)
def test_a_bad_value_names_key_value_and_expectation(environ: dict, key: str, value: object, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert caught.value.key == key
    assert caught.value.value == value
    assert expected in caught.value.expected


def test_broken_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[bot\nname=", encoding="utf-8")
    with pytest.raises(ConfigError, match="valid TOML"):
        load_settings(broken, environ={})
    with pytest.raises(ConfigError, match="an existing TOML file"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_capabilities_own_their_sections(tmp_path: Path) -> None:
    class ThanksSection(BaseModel):
        daily_cap: int = Field(10, ge=1)

    user = tmp_path / "caps.toml"
    user.write_text("[thanks]\ndaily_cap = 3\n", encoding="utf-8")
    settings = load_settings(user, environ={}, capability_sections={"thanks": ThanksSection})
    assert settings.section(ThanksSection).daily_cap == 3
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"KOCBOT_THANKS__DAILY_CAP": "0"}, capability_sections={"thanks": ThanksSection})
    assert caught.value.key == "thanks.daily_cap"


def test_a_section_is_found_by_its_model(tmp_path: Path) -> None:
    class ThanksSection(BaseModel):
        daily_cap: int = 10

    class AbsentSection(BaseModel):
        size: int = 1

    settings = load_settings(environ={}, data_dir=tmp_path, capability_sections={"thanks": ThanksSection})
    found: ThanksSection = settings.section(ThanksSection)
    assert found.daily_cap == 10
    assert settings.optional_section(AbsentSection) is None
    with pytest.raises(LookupError, match="no AbsentSection in these settings"):
        settings.section(AbsentSection)


def test_database_urls_get_async_drivers(tmp_path: Path) -> None:
    assert normalise_database_url("postgres://u@h/db", tmp_path) == "postgresql+asyncpg://u@h/db"
    assert normalise_database_url("sqlite:////tmp/x.db", tmp_path) == "sqlite+aiosqlite:////tmp/x.db"
    assert normalise_database_url("postgresql+asyncpg://u@h/db", tmp_path) == "postgresql+asyncpg://u@h/db"


def test_config_check_prints_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KOCBOT_OUTBOX__RETRY_BASE_SECONDS", "-1")
    assert main(["--data-dir", str(tmp_path), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert err == ("kocbot: configuration error: outbox.retry_base_seconds = -1: expected greater than 0\n")


def test_config_check_accepts_the_example_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config" / "example.toml"
    assert main(["--config", str(example), "--data-dir", str(tmp_path), "config", "check"]) == 0
    assert capsys.readouterr().out.startswith("configuration OK: transport console")
