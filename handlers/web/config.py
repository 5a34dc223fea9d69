"""The [web] section: the moderators' web console and its operations endpoints."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.config import Section


def _check_public_url(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("an address such as https://console.example.com (with http:// or https://), or empty")
    return value.rstrip("/")


class WebSection(Section):
    enabled: bool = Field(True, description="Serve the moderators' web console beside the bot (`kocbot run`).")
    host: str = Field("127.0.0.1", min_length=1, description="The address the console listens on.")
    port: int = Field(8642, ge=1, le=65535, description="The port the console listens on.")
    public_url: str = Field(
        "",
        description="The console's address as moderators reach it (e.g. behind a proxy), used in sign-in "
        "links; empty: http://host:port.",
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="How long a console session lasts.")
    link_minutes: float = Field(10.0, gt=0, le=60, description="How long a sign-in link from /console stays valid.")
    signin_attempts_per_minute: int = Field(
        10, ge=1, description="Sign-in attempts one address may make per minute; more are refused (429)."
    )
    metrics_token: str = Field(
        "",
        repr=False,
        description="When set, GET /metrics needs `Authorization: Bearer TOKEN`; empty: open "
        "(listen on loopback or restrict it at the proxy).",
    )
    secret_key: str = Field(
        "",
        repr=False,
        description="Signs session cookies; empty: a random key kept in the database (shared by every process).",
    )

    _url = field_validator("public_url")(_check_public_url)

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
