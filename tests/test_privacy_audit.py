"""The map of personal data: every column that could hold member data has a rule; `kocbot privacy audit` prints it."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text

import handlers  # noqa: F401 - every capability's tables join the metadata
from bot.db.schema import Base
from handlers.privacy.inventory import PERSONAL_DATA, Holds, Keep, rule_of, stale, undeclared
from tests.support import kocbot


def test_every_column_that_could_hold_member_data_has_a_rule() -> None:
    assert undeclared(Base.metadata) == []
    assert stale(Base.metadata) == []


def test_a_new_table_or_column_without_a_rule_is_caught() -> None:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("badges", metadata, Column("id", Integer, primary_key=True), Column("holder", ForeignKey("members.id")))
    Table("tallies", metadata, Column("id", Integer, primary_key=True), Column("n", Integer))
    metadata.tables["members"].append_column(Column("nickname", String(20)))
    metadata.tables["thanks"].append_column(Column("extra", JSON))
    metadata.tables["messages"].append_column(Column("note", Text))
    assert sorted(undeclared(metadata)) == [
        "badges.holder",
        "members.nickname",
        "messages.note",
        "tallies",
        "thanks.extra",
    ]


def test_the_rules_say_what_matters() -> None:
    assert rule_of("messages", "text").holds is Holds.WORDS
    assert rule_of("messages", "text").keep is Keep.MESSAGES
    assert rule_of("koc_agreements", "payments").keep is Keep.LEGAL
    assert rule_of("points_ledger", "member_id").keep is Keep.LEDGER
    assert rule_of("messages", "platform_msg_id").personal is False
    assert "privacy_requests" in PERSONAL_DATA


def test_the_audit_command_prints_every_table_and_its_rules(tmp_path) -> None:
    config = tmp_path / "kocbot.toml"
    config.write_text("[privacy]\naudit_days = 400\n\n[database]\nmessage_retention_days = 90\n", encoding="utf-8")
    done = kocbot("--config", str(config), "privacy", "audit")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for table in Base.metadata.tables:
        assert table + ":" in lines or f"{table}: nothing personal" in lines
    assert "  text                 text a member wrote              90 days (database.message_retention_days)" in lines
    assert "  details              text that may name members       400 days (privacy.audit_days)" in lines
    assert "web_keys: nothing personal" in lines
    assert (
        "  payments             text that may name members       3 years after the end (privacy.legal_years); "
        "named in the erasure receipt"
    ) in lines
