"""The journeys tables: moderators' switches, each member's runs, and each step of a run, written once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.schema import Base, UTCDateTime, table_of


class RunStatus(StrEnum):
    ACTIVE = "active"
    DONE = "done"  # every step went out or was skipped
    EXITED = "exited"  # left early: `end_reason` says why


class EndReason(StrEnum):
    FINISHED = "finished"
    GOAL = "goal"  # did what the journey asks for
    LEFT = "left"  # in none of the bot's rooms any more
    OPTED_OUT = "opted_out"
    SWITCHED_OFF = "switched_off"  # a moderator switched the journey off
    REMOVED = "removed"  # the journey is no longer in the config
    WITHHELD = "withheld"  # a private note kept a step's message from the member (it must not reach them)


class StepOutcome(StrEnum):
    SENT = "sent"  # written to the outbox (quiet hours and the contact budget may hold it there)
    SKIPPED = "skipped"  # the member had already done what it explains
    FAILED = "failed"  # its template could not make the message (the log says why)


class JourneySwitch(Base):
    """A moderator's /journey on|off: it overrides the config's `enabled`."""

    __tablename__ = "journey_switches"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[int] = mapped_column(ForeignKey("members.id"))


class JourneyRun(Base):
    """One member's way through one journey. `active_key` ("journey:member") is set while the run is
    active, and unique: a member is in one run of a journey at a time."""

    __tablename__ = "journey_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default=RunStatus.ACTIVE.value)
    active_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    trigger: Mapped[str] = mapped_column(String(16))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_step: Mapped[int] = mapped_column(Integer, default=0)  # the index of the step still to come
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(16))


class JourneyStepDone(Base):
    """A step of a run, written in the transaction of its outbox row: the key makes it once, ever."""

    __tablename__ = "journey_steps"

    run_id: Mapped[int] = mapped_column(ForeignKey("journey_runs.id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(8))
    outbox_key: Mapped[str | None] = mapped_column(String(255))  # the outbox row's dedupe key when sent
    at: Mapped[datetime] = mapped_column(UTCDateTime())


journey_switches = table_of(JourneySwitch)
journey_runs = table_of(JourneyRun)
journey_steps = table_of(JourneyStepDone)
