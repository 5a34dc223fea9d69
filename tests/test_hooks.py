"""Hooks between capabilities are declared in registries: an app runs the listeners of its own capabilities only."""

from __future__ import annotations

import pytest

from bot.db import schema
from bot.registry import HandlerRegistry
from handlers import REGISTRIES, core, feedback, koc, threads
from handlers.feedback import HISTORY_ADDED, ITEM_SHIPPED
from handlers.recognition.ledger import REWARDED
from tests.support import Chat, rows

BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
heard: list[tuple[str, str]] = []
spy = HandlerRegistry("spy")


async def _shipped(ctx, item) -> None:
    heard.append(("shipped", f"{item.short_id} {item.status.value} {item.version}"))


async def _history(ctx, entry) -> None:
    heard.append(("history", f"FB-{entry.item_id} {entry.what}"))


spy.listen(ITEM_SHIPPED, _shipped)
spy.listen(HISTORY_ADDED, _history)


@pytest.fixture
def registries() -> tuple:
    """Core and feedback alone, and a capability that listens: no threads, no KOC lifecycle."""
    return (core.registry, feedback.registry, spy)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    heard.clear()


async def test_an_app_built_from_a_subset_runs_only_its_own_listeners(chat: Chat, app) -> None:
    hooks = app.services.hooks
    assert [listener.__name__ for listener in hooks.listeners(ITEM_SHIPPED)] == ["_shipped"]
    assert [listener.__name__ for listener in hooks.listeners(HISTORY_ADDED)] == ["_history"]
    assert hooks.listeners(REWARDED) == ()  # the KOC capability is not in this app
    await chat.say("bob", BUG)
    assert await chat.say("mod", "/fb ship FB-1 v2.3") == [
        "[dm mod] FB-1「下单页点击支付以后闪退」：已提交 → 已上线（v2.3）\n已私信通知 1 人，1 人获得奖励。",
        "[dm bob] 好消息！你的反馈 FB-1「下单页点击支付以后闪退」已在 v2.3 上线，谢谢你帮我们把产品变得更好 🎉"
        "\n感谢你的贡献：+20 积分",
    ]
    assert heard == [("history", "FB-1 submitted"), ("history", "FB-1 status"), ("shipped", "FB-1 shipped v2.3")]
    assert await rows(app, schema.audit_log)  # the command ran as usual


def test_the_full_app_wires_threads_and_the_koc_lifecycle_to_feedback_and_recognition() -> None:
    declared = {(point.name, listener.__module__) for r in REGISTRIES for point, listener in r.listeners}
    assert declared == {
        ("feedback.item_shipped", "handlers.threads.links"),
        ("feedback.history_added", "handlers.koc.promises"),
        ("recognition.rewarded", "handlers.koc.promises"),
        ("threads.source_wanted", "handlers.listening.complaints"),
        ("threads.source_used", "handlers.listening.complaints"),
        # journeys begin and end on what the other capabilities announce
        ("koc.stage_changed", "handlers.journeys.triggers"),
        ("feedback.history_added", "handlers.journeys.triggers"),
        ("recognition.thanked", "handlers.journeys.triggers"),
        ("campaigns.started", "handlers.journeys.triggers"),
        ("outreach.opted_out", "handlers.journeys.triggers"),
    }
    assert {r.capability for r in (threads.registry, koc.registry)} <= {r.capability for r in REGISTRIES}
