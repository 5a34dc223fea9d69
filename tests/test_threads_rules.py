"""The issue threads' pure rules: relative days in a room's time zone, resolve options, fix answers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UsageError
from handlers.threads.rules import classify_answer, feedback_item_id, parse_resolve, relative_day, thread_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
# Tuesday 2026-12-08, 10:00 in Shanghai
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def _at(day: int, hour: int = 12, month: int = 12, year: int = 2026, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(year, month, day, hour, tzinfo=tz)


@pytest.mark.parametrize(
    ("raised", "zh", "en"),
    [
        (_at(8, 9), "今天", "today"),
        (_at(7, 23), "昨天", "yesterday"),
        (_at(7, 0), "昨天", "yesterday"),
        (_at(6, 12), "前天", "last week"),  # Sunday: the day before yesterday, and last week
        (_at(5), "上周", "last week"),
        (_at(30, month=11), "上周", "last week"),  # Monday of last week
        (_at(29, month=11), "11月29日", "November 29"),  # Sunday two weeks ago
        (_at(2, month=3), "3月2日", "March 2"),
        (_at(2, month=3, year=2025), "2025年3月2日", "March 2, 2025"),
    ],
)
def test_relative_day_in_chinese_and_english(raised: datetime, zh: str, en: str) -> None:
    """Babel's CLDR words and dates; a calendar date is marked so (English says "on" before one)."""
    assert relative_day(raised, NOW, SHANGHAI, "zh_CN").words == zh
    assert relative_day(raised, NOW, SHANGHAI, "en").words == en
    assert relative_day(raised, NOW, SHANGHAI, "en").calendar == any(c.isdigit() for c in en)


def test_relative_day_within_this_week_names_the_weekday() -> None:
    thursday = datetime(2026, 12, 10, 12, tzinfo=SHANGHAI)
    assert relative_day(_at(7), thursday, SHANGHAI, "zh_CN").words == "本周一"
    assert relative_day(_at(7), thursday, SHANGHAI, "en").words == "this Monday"
    assert relative_day(_at(8), thursday, SHANGHAI, "zh_CN").words == "前天"
    assert relative_day(_at(8), thursday, SHANGHAI, "en").words == "this Tuesday"


def test_relative_day_is_counted_in_the_rooms_time_zone() -> None:
    raised = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # Tue 01:30 in Shanghai, Mon 17:30 in London
    assert relative_day(raised, NOW, SHANGHAI, "zh_CN").words == "今天"
    assert relative_day(raised, NOW, LONDON, "en").words == "yesterday"
    new_year = datetime(2026, 12, 31, 20, tzinfo=UTC)  # already 2027 in Shanghai
    assert relative_day(new_year, datetime(2027, 3, 1, tzinfo=UTC), SHANGHAI, "zh_CN").words == "1月1日"
    assert relative_day(new_year, datetime(2027, 3, 1, tzinfo=UTC), LONDON, "zh_CN").words == "2026年12月31日"


def test_a_time_in_the_future_is_today() -> None:
    assert relative_day(_at(9), NOW, SHANGHAI, "zh_CN").words == "今天"


def test_resolve_options() -> None:
    assert (
        parse_resolve("产品部门已经决定在下个版本中进行优化。", SHANGHAI).text == "产品部门已经决定在下个版本中进行优化"
    )
    options = parse_resolve("已修复 --preview --at 2026-12-01 9:30", SHANGHAI)
    assert (options.text, options.preview, options.at) == (
        "已修复",
        True,
        datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI),
    )
    assert parse_resolve("--at 2026-12-01T10:00 已修复", SHANGHAI).at == datetime(2026, 12, 1, 2, tzinfo=UTC)
    for wrong in ("", "--preview", "已修复 --at 明天"):
        with pytest.raises(UsageError):
            parse_resolve(wrong, SHANGHAI)


def test_thread_and_feedback_numbers() -> None:
    assert [thread_number(w) for w in ("12", "#12", "＃12")] == [12, 12, 12]
    for wrong in (None, "", "0", "abc", "#"):
        with pytest.raises(UsageError):
            thread_number(wrong)
    assert [feedback_item_id(w) for w in ("FB-42", "fb42", "Fb-7", "42", "#42", "FBX")] == [42, 42, 7, None, None, None]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("是", "yes"),
        ("是的！", "yes"),
        ("好了", "yes"),
        ("已经好了，谢谢", "yes"),
        ("没问题了", "yes"),
        ("Yes", "yes"),
        ("fixed, thanks", "yes"),
        ("否", "no"),
        ("还是不行", "no"),
        ("没有", "no"),
        ("依然登录失败", "no"),
        ("No.", "no"),
        ("still broken", "no"),
        ("嗯", None),
        ("我换了手机", None),
    ],
)
def test_fix_answers(text: str, verdict: str | None) -> None:
    assert classify_answer(text) == verdict


def test_the_app_runs_the_due_sources_registries_declare() -> None:
    from bot.bootstrap import build_app
    from bot.config import load_settings
    from bot.transports.memory import InMemoryTransport
    from handlers import REGISTRIES, config_sections
    from handlers.threads.confirm import FixConfirmations

    settings = load_settings(
        environ={},
        overrides={"database": {"url": "sqlite+aiosqlite:///:memory:"}},
        capability_sections=config_sections(),
    )
    app = build_app(settings, transport=InMemoryTransport(), registries=REGISTRIES)
    assert [type(s) for s in app.due_sources if isinstance(s, FixConfirmations)] == [FixConfirmations]
