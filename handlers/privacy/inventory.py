"""What personal data every table holds, column by column, and which retention rule covers it.

The map is declared by hand, so that a person decides what each column is; `undeclared` finds the
columns of the schema that could hold member data (a reference to a member, any text, JSON or file)
and are not in the map, so a table or column added later fails the test until someone declares it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, MetaData, String, Table, Text


class Holds(StrEnum):
    """What a column holds about members."""

    NOTHING = "nothing personal"
    MEMBER = "a member (internal number)"
    PLATFORM_ID = "a WeChat id"
    NAME = "a display name"
    MENTIONS = "WeChat ids mentioned"
    WORDS = "text a member wrote"
    ABOUT = "text that may name members"
    SECRET = "a sign-in secret (hashed)"
    FILE = "a file sent to a member"


class Keep(StrEnum):
    """The retention rule that covers a column: the config key it follows, or why it stays."""

    NONE = "-"
    MESSAGES = "database.message_retention_days"
    FEEDBACK = "privacy.feedback_text_days"
    THREADS = "privacy.thread_notes_days"
    OUTREACH = "privacy.outreach_days"
    AUDIT = "privacy.audit_days"
    SESSIONS = "privacy.sessions_days"
    MEMBER = "while a member; /forgetme erases"
    LEDGER = "kept as counts under a pseudonym after erasure"
    LEGAL = "kept as the law requires; named in the erasure receipt"
    STAFF = "staff's own work; their names erased on request"


@dataclass(frozen=True, slots=True)
class Rule:
    holds: Holds
    keep: Keep

    @property
    def personal(self) -> bool:
        return self.holds is not Holds.NOTHING


NOT_PERSONAL = Rule(Holds.NOTHING, Keep.NONE)


def _r(holds: Holds, keep: Keep) -> Rule:
    return Rule(holds, keep)


_M = Holds.MEMBER
PERSONAL_DATA: Mapping[str, Mapping[str, Rule]] = {
    "members": {
        "platform_id": _r(Holds.PLATFORM_ID, Keep.MEMBER),
        "display_name": _r(Holds.NAME, Keep.MEMBER),
        "role": NOT_PERSONAL,
        "stage": NOT_PERSONAL,
        "source": NOT_PERSONAL,
        "locale": NOT_PERSONAL,
    },
    "communities": {
        "platform_id": NOT_PERSONAL,
        "name": NOT_PERSONAL,
        "locale": NOT_PERSONAL,
        "timezone": NOT_PERSONAL,
        "account": NOT_PERSONAL,
    },
    "memberships": {"member_id": _r(_M, Keep.MEMBER)},
    "messages": {
        "platform_msg_id": NOT_PERSONAL,
        "member_id": _r(_M, Keep.MESSAGES),
        "kind": NOT_PERSONAL,
        "text": _r(Holds.WORDS, Keep.MESSAGES),
        "mentions": _r(Holds.MENTIONS, Keep.MESSAGES),
        "quote_msg_id": NOT_PERSONAL,
        "quote_member_id": _r(_M, Keep.MESSAGES),
        "routed_to": NOT_PERSONAL,
    },
    "audit_log": {
        "actor_id": _r(_M, Keep.AUDIT),
        "action": NOT_PERSONAL,
        "outcome": NOT_PERSONAL,
        "target_id": _r(_M, Keep.AUDIT),
        "details": _r(Holds.ABOUT, Keep.AUDIT),
    },
    "outbox": {
        "status": NOT_PERSONAL,
        "room_platform_id": NOT_PERSONAL,
        "contact_platform_id": _r(Holds.PLATFORM_ID, Keep.MESSAGES),
        "text": _r(Holds.ABOUT, Keep.MESSAGES),
        "mentions": _r(Holds.MENTIONS, Keep.MESSAGES),
        "template": NOT_PERSONAL,
        "locale": NOT_PERSONAL,
        "dedupe_key": _r(Holds.ABOUT, Keep.MESSAGES),
        "last_error": NOT_PERSONAL,
        "platform_msg_id": NOT_PERSONAL,
        "delivery": NOT_PERSONAL,
        "kind": NOT_PERSONAL,
        "account": NOT_PERSONAL,
        "image_name": NOT_PERSONAL,
        "image_data": _r(Holds.FILE, Keep.MESSAGES),
        "addressee": _r(Holds.PLATFORM_ID, Keep.MESSAGES),
    },
    "conversations": {
        "member_id": _r(_M, Keep.MEMBER),
        "name": NOT_PERSONAL,
        "state": NOT_PERSONAL,
        "data": _r(Holds.WORDS, Keep.MEMBER),
    },
    "apscheduler_jobs": {"id": NOT_PERSONAL, "job_state": NOT_PERSONAL},
    "scheduled_runs": {"job_id": NOT_PERSONAL, "outcome": NOT_PERSONAL},
    "heavy_requests": {
        "work": NOT_PERSONAL,
        "params": _r(Holds.ABOUT, Keep.MESSAGES),
        "account": NOT_PERSONAL,
        "actor_id": _r(_M, Keep.MESSAGES),
        "status": NOT_PERSONAL,
    },
    # recognition
    "thanks": {
        "giver_id": _r(_M, Keep.LEDGER),
        "receiver_id": _r(_M, Keep.LEDGER),
        "month": NOT_PERSONAL,
        "reason": _r(Holds.WORDS, Keep.MEMBER),
        "via": NOT_PERSONAL,
        "why_not": NOT_PERSONAL,
        "platform_msg_id": NOT_PERSONAL,
    },
    "recognition_actions": {"kind": NOT_PERSONAL, "actor_id": _r(_M, Keep.STAFF)},
    "thanks_revocations": {},
    "points_ledger": {
        "member_id": _r(_M, Keep.LEDGER),
        "reason": _r(Holds.ABOUT, Keep.LEDGER),
        "source": NOT_PERSONAL,
        "month": NOT_PERSONAL,
        "granted_by": _r(_M, Keep.STAFF),
        "key": _r(Holds.ABOUT, Keep.LEDGER),
    },
    "title_events": {
        "member_id": _r(_M, Keep.LEDGER),
        "title": NOT_PERSONAL,
        "source": NOT_PERSONAL,
        "granted_by": _r(_M, Keep.STAFF),
        "key": _r(Holds.ABOUT, Keep.LEDGER),
    },
    "honour_rolls": {"month": NOT_PERSONAL, "posted_by": _r(_M, Keep.STAFF)},
    # feedback
    "feedback_items": {
        "kind": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "title": _r(Holds.WORDS, Keep.FEEDBACK),
        "scenario": _r(Holds.WORDS, Keep.FEEDBACK),
        "steps": _r(Holds.WORDS, Keep.FEEDBACK),
        "expected": _r(Holds.WORDS, Keep.FEEDBACK),
        "product": _r(Holds.WORDS, Keep.FEEDBACK),
        "reporter_id": _r(_M, Keep.LEDGER),
        "department": NOT_PERSONAL,
        "version": NOT_PERSONAL,
    },
    "feedback_people": {
        "member_id": _r(_M, Keep.LEDGER),
        "role": NOT_PERSONAL,
        "details": _r(Holds.WORDS, Keep.FEEDBACK),
    },
    "feedback_history": {
        "what": NOT_PERSONAL,
        "from_status": NOT_PERSONAL,
        "to_status": NOT_PERSONAL,
        "note": _r(Holds.ABOUT, Keep.FEEDBACK),
        "actor_id": _r(_M, Keep.LEDGER),
    },
    # threads
    "issue_threads": {
        "title": _r(Holds.ABOUT, Keep.THREADS),
        "status": NOT_PERSONAL,
        "department": NOT_PERSONAL,
        "opened_by": _r(_M, Keep.STAFF),
        "resolution_text": _r(Holds.ABOUT, Keep.THREADS),
    },
    "issue_rooms": {},
    "issue_people": {
        "member_id": _r(_M, Keep.LEDGER),
        "part": NOT_PERSONAL,
        "answer": NOT_PERSONAL,
        "answer_text": _r(Holds.WORDS, Keep.THREADS),
    },
    "issue_events": {
        "kind": NOT_PERSONAL,
        "actor_id": _r(_M, Keep.THREADS),
        "text": _r(Holds.ABOUT, Keep.THREADS),
        "details": _r(Holds.ABOUT, Keep.THREADS),
    },
    "issue_feedback_links": {},
    # outreach
    "announcements": {
        "created_by": _r(_M, Keep.STAFF),
        "run_at": NOT_PERSONAL,
        "cron": NOT_PERSONAL,
        "rooms": NOT_PERSONAL,
        "template": NOT_PERSONAL,
        "text": _r(Holds.ABOUT, Keep.OUTREACH),
        "status": NOT_PERSONAL,
        "cancelled_by": _r(_M, Keep.STAFF),
    },
    "custom_templates": {
        "name": NOT_PERSONAL,
        "source": NOT_PERSONAL,
        "variables": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
        "updated_by": _r(_M, Keep.STAFF),
    },
    "welcomes": {"member_id": _r(_M, Keep.OUTREACH)},
    "briefs": {
        "month": NOT_PERSONAL,
        "points": NOT_PERSONAL,
        "set_by": _r(_M, Keep.STAFF),
        "details": _r(Holds.ABOUT, Keep.STAFF),
    },
    # koc
    "koc_records": {
        "member_id": _r(_M, Keep.MEMBER),
        "domain": NOT_PERSONAL,
        "owner_id": _r(_M, Keep.STAFF),
        "details": _r(Holds.ABOUT, Keep.MEMBER),
    },
    "koc_events": {
        "member_id": _r(_M, Keep.MEMBER),
        "actor_id": _r(_M, Keep.STAFF),
        "kind": NOT_PERSONAL,
        "from_stage": NOT_PERSONAL,
        "to_stage": NOT_PERSONAL,
        "reason": _r(Holds.ABOUT, Keep.MEMBER),
        "details": _r(Holds.ABOUT, Keep.MEMBER),
    },
    "koc_promises": {
        "member_id": _r(_M, Keep.LEGAL),
        "text": _r(Holds.ABOUT, Keep.LEGAL),
        "source": NOT_PERSONAL,
        "source_key": _r(Holds.ABOUT, Keep.LEGAL),
        "status": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
        "settled_by": _r(_M, Keep.STAFF),
        "settle_note": _r(Holds.ABOUT, Keep.LEGAL),
    },
    "koc_exits": {
        "member_id": _r(_M, Keep.MEMBER),
        "opened_by": _r(_M, Keep.STAFF),
        "reason": _r(Holds.ABOUT, Keep.MEMBER),
        "contribution": _r(Holds.ABOUT, Keep.MEMBER),
    },
    "koc_title_terms": {
        "member_id": _r(_M, Keep.LEDGER),
        "title": NOT_PERSONAL,
        "owner_id": _r(_M, Keep.STAFF),
        "status": NOT_PERSONAL,
    },
    "koc_agreements": {
        "member_id": _r(_M, Keep.LEGAL),
        "deliverables": _r(Holds.ABOUT, Keep.LEGAL),
        "cadence": _r(Holds.ABOUT, Keep.LEGAL),
        "content_ownership": _r(Holds.ABOUT, Keep.LEGAL),
        "payments": _r(Holds.ABOUT, Keep.LEGAL),
        "deliverable_dates": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
        "status": NOT_PERSONAL,
    },
    # campaigns
    "campaigns": {
        "name": NOT_PERSONAL,
        "timezone": NOT_PERSONAL,
        "keywords": NOT_PERSONAL,
        "talking_points": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
        "closed_by": _r(_M, Keep.STAFF),
    },
    "campaign_rooms": {},
    "campaign_clues": {
        "text": NOT_PERSONAL,
        "template": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
    },
    "campaign_awards": {
        "period": NOT_PERSONAL,
        "member_id": _r(_M, Keep.LEDGER),
        "measure": NOT_PERSONAL,
        "title": NOT_PERSONAL,
    },
    # web console
    "web_links": {"token_hash": _r(Holds.SECRET, Keep.SESSIONS), "member_id": _r(_M, Keep.SESSIONS)},
    "web_sessions": {
        "token_hash": _r(Holds.SECRET, Keep.SESSIONS),
        "member_id": _r(_M, Keep.SESSIONS),
        "csrf_token": _r(Holds.SECRET, Keep.SESSIONS),
        "locale": NOT_PERSONAL,
    },
    "web_keys": {"name": NOT_PERSONAL, "value": NOT_PERSONAL},
    # privacy (this capability)
    "privacy_requests": {
        "member_id": _r(_M, Keep.MEMBER),
        "kind": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "requested_by": _r(_M, Keep.STAFF),
        "reason": _r(Holds.ABOUT, Keep.AUDIT),
        "pseudonym": NOT_PERSONAL,
        "receipt": NOT_PERSONAL,
    },
    "privacy_notices": {"member_id": _r(_M, Keep.MEMBER)},
    "privacy_sweeps": {"counts": NOT_PERSONAL},
    # Listening (handlers/listening): the flagged messages are copies of the log's, kept as long as it.
    "listening_notes": {"topics": NOT_PERSONAL, "status": NOT_PERSONAL, "acted_by": _r(_M, Keep.STAFF)},
    "listening_flags": {
        "kind": NOT_PERSONAL,
        "platform_msg_id": NOT_PERSONAL,
        "member_id": _r(_M, Keep.MESSAGES),
        "text": _r(Holds.WORDS, Keep.MESSAGES),
        "topics": NOT_PERSONAL,
        "answered_by": _r(_M, Keep.MESSAGES),
        "answered_how": NOT_PERSONAL,
    },
    "listening_labels": {
        "text": _r(Holds.ABOUT, Keep.MESSAGES),
        "label": NOT_PERSONAL,
        "source": NOT_PERSONAL,
        "decided_by": _r(_M, Keep.STAFF),
    },
    # Outreach to segments (handlers/outreach): consent is the member's own choice, kept while a member.
    "outreach_consent": {"member_id": _r(_M, Keep.MEMBER), "words": _r(Holds.WORDS, Keep.MEMBER)},
    "outreach_consent_events": {"member_id": _r(_M, Keep.OUTREACH), "words": _r(Holds.WORDS, Keep.OUTREACH)},
    "segments": {
        "name": NOT_PERSONAL,
        "expression": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
        "updated_by": _r(_M, Keep.STAFF),
    },
    "outreach_sends": {
        "segment": NOT_PERSONAL,
        "template": NOT_PERSONAL,
        "cron": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        "created_by": _r(_M, Keep.STAFF),
        "confirmed_by": _r(_M, Keep.STAFF),
        "cancelled_by": _r(_M, Keep.STAFF),
    },
    "outreach_recipients": {
        "member_id": _r(_M, Keep.OUTREACH),
        "outcome": NOT_PERSONAL,
        "outbox_key": NOT_PERSONAL,
    },
    # journeys
    "journey_switches": {"name": NOT_PERSONAL, "changed_by": _r(_M, Keep.STAFF)},
    "journey_runs": {
        "journey": NOT_PERSONAL,
        "member_id": _r(_M, Keep.MEMBER),
        "status": NOT_PERSONAL,
        "active_key": _r(_M, Keep.MEMBER),
        "trigger": NOT_PERSONAL,
        "end_reason": NOT_PERSONAL,
    },
    "journey_steps": {"outcome": NOT_PERSONAL, "outbox_key": NOT_PERSONAL},
}


def _could_hold_member_data(column: Column[Any]) -> bool:
    """A column that could hold something about a member: a reference to one, or any text, JSON or file."""
    if any(key.column.table.name == "members" and key.column.name == "id" for key in column.foreign_keys):
        return True
    if column.primary_key and not isinstance(column.type, String | Text):
        return False
    return isinstance(column.type, String | Text | JSON | LargeBinary)


def undeclared(metadata: MetaData) -> list[str]:
    """`table.column` for every column that could hold member data and has no rule in the map."""
    missing = []
    for table in metadata.sorted_tables:
        declared = PERSONAL_DATA.get(table.name)
        for column in table.columns:
            if _could_hold_member_data(column) and (declared is None or column.name not in declared):
                missing.append(f"{table.name}.{column.name}")
        if declared is None and not any(_could_hold_member_data(c) for c in table.columns):
            missing.append(table.name)  # every table is declared, even one holding nothing personal
    return missing


def stale(metadata: MetaData) -> list[str]:
    """Rules for tables or columns the schema no longer has (a rename would leave one behind)."""
    tables = {t.name: t for t in metadata.sorted_tables}
    gone = [name for name in PERSONAL_DATA if name not in tables]
    for name, columns in PERSONAL_DATA.items():
        if name in tables:
            gone += [f"{name}.{c}" for c in columns if c not in tables[name].columns]
    return gone


def rule_of(table: str, column: str) -> Rule:
    return PERSONAL_DATA.get(table, {}).get(column, NOT_PERSONAL)


def personal_columns(metadata: MetaData, *holds: Holds) -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) of the schema whose rule holds one of `holds` (any personal data without)."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            rule = rule_of(table.name, column.name)
            if rule.personal and (not holds or rule.holds in holds):
                yield table, column


def audit_lines(metadata: MetaData, retention: Mapping[Keep, str]) -> Iterable[str]:
    """The `kocbot privacy audit` report: per table, each column holding personal data and its rule."""
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        rules = [(c.name, rule_of(table.name, c.name)) for c in table.columns]
        personal = [(name, rule) for name, rule in rules if rule.personal]
        if not personal:
            yield f"{table.name}: nothing personal"
            continue
        yield f"{table.name}:"
        for name, rule in personal:
            yield f"  {name:<20} {rule.holds.value:<32} {retention.get(rule.keep, rule.keep.value)}"
