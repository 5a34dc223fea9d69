"""Who is asking: the signed session cookie, the moderator's role read at every request, CSRF and sign-in limits."""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from bot.clock import Clock
from bot.db.schema import Role
from bot.members import Directory, MemberRef
from handlers.web.signin import Session, find_session

COOKIE = "kocbot_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Visit:
    """A request from a signed-in moderator: who, in which language, and the session's CSRF token."""

    moderator: MemberRef
    session: Session

    @property
    def locale(self) -> str:
        return self.session.locale

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class SignInLimiter:
    """At most `per_minute` sign-in attempts per client address in any 60 seconds (a sliding window)."""

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._monotonic = monotonic
        self._attempts: dict[str, deque[float]] = {}

    def allow(self, client: str) -> bool:
        now = self._monotonic()
        attempts = self._attempts.setdefault(client, deque())
        while attempts and attempts[0] <= now - 60:
            attempts.popleft()
        if len(attempts) >= self._per_minute:
            return False
        attempts.append(now)
        if len(self._attempts) > 10_000:  # addresses that stopped trying are forgotten
            self._attempts = {k: v for k, v in self._attempts.items() if v}
        return True


class Gate:
    """Opens a request to a moderator or admin whose session is live; the role comes from the database
    (and the config) at every request, so a moderator demoted anywhere is refused at the next one."""

    def __init__(self, engine: AsyncEngine, clock: Clock, directory: Directory, secret: str) -> None:
        self._engine = engine
        self._clock = clock
        self._directory = directory
        self._signer = Signer(secret, salt="kocbot-console-session")

    def cookie_value(self, token: str) -> str:
        return self._signer.sign(token).decode()

    def _token(self, request: Request) -> str | None:
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            return self._signer.unsign(value).decode()
        except BadSignature:
            return None

    async def visit(self, request: Request) -> Visit | None:
        token = self._token(request)
        if token is None:
            return None
        async with self._engine.connect() as conn:
            session = await find_session(conn, token, self._clock.now())
            moderator = None if session is None else await self._directory.find_member_by_id(conn, session.member_id)
        if session is None or moderator is None or moderator.role < Role.MODERATOR:
            return None
        return Visit(moderator, session)


async def csrf_ok(request: Request, visit: Visit) -> bool:
    """A state-changing request carries the session's token, in the form or (htmx) in a header."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), visit.csrf.encode())
