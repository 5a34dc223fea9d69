"""The pure feedback rules: forms, ids, similarity for Chinese, allowed status changes, reward milestones."""

from __future__ import annotations

from handlers.feedback.form import missing_fields, parse_form
from handlers.feedback.rules import may_move, parse_item_id, parse_kind, similarity
from handlers.feedback.tables import Kind, Status


def test_forms_read_chinese_and_english_labels_and_full_width_colons() -> None:
    assert parse_form("缺陷\n场景：首页\n很慢\n步骤: 打开\n期望：快") == {
        "kind": "缺陷",
        "scenario": "首页\n很慢",
        "steps": "打开",
        "expected": "快",
    }
    assert parse_form("type: bug\nScenario: home\nexpected: fast") == {
        "kind": "bug",
        "scenario": "home",
        "expected": "fast",
    }


def test_missing_fields_depend_on_the_type() -> None:
    assert missing_fields(Kind.BUG, {"scenario": "x", "expected": "y"}) == ["steps"]
    assert missing_fields(Kind.SUGGESTION, {"scenario": "x", "expected": "y"}) == []
    assert missing_fields(None, {"scenario": " "}) == ["kind", "scenario", "expected"]


def test_types_and_ids() -> None:
    assert [parse_kind(w) for w in ("1", "建议", "Confusion", "4")] == [Kind.BUG, Kind.SUGGESTION, Kind.CONFUSION, None]
    assert [parse_item_id(t) for t in ("FB-42", "fb42", "#7", "42", "FB-", "x1")] == [42, 42, 7, 42, None, None]


def test_similarity_works_on_chinese_characters() -> None:
    assert similarity("下单页点击支付后闪退", "下单页点击支付后闪退") == 1.0
    assert similarity("下单页点击支付后闪退", "点击支付以后 App 闪退") > 0.35
    assert similarity("下单页点击支付后闪退", "希望支持深色模式") < 0.1
    assert similarity("", "任何") == 0.0


def test_status_changes_follow_the_type() -> None:
    assert may_move(Kind.BUG, Status.SUBMITTED, Status.REPRODUCED)
    assert not may_move(Kind.BUG, Status.SUBMITTED, Status.UNDER_REVIEW)
    assert may_move(Kind.SUGGESTION, Status.ACKNOWLEDGED, Status.UNDER_REVIEW)
    assert not may_move(Kind.SUGGESTION, Status.ACKNOWLEDGED, Status.REPRODUCED)
    assert not may_move(Kind.BUG, Status.SUBMITTED, Status.ADOPTED)
    assert may_move(Kind.BUG, Status.DECLINED, Status.ACKNOWLEDGED)
    assert not any(may_move(Kind.BUG, Status.SHIPPED, s) for s in Status)
