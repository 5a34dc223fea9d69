"""Configuration: built-in TOML defaults, a user file, environment overrides, validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from bot.config_sources import deep_merge, env_overrides, read_toml, wechaty_env
from bot.db.url import normalise_database_url, safe_url, url_problem
from bot.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_DIR / "config" / "default.toml"
LOCALES = ("zh_CN", "en")
Locale = Literal["zh_CN", "en"]
_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,256}")
_ENDPOINT = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})")
_S = TypeVar("_S", bound=BaseModel)


class Section(BaseModel):
    """Base of every config section: unknown keys are typos, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("an IANA time zone name such as Asia/Shanghai") from exc
    return value


class BotSection(Section):
    name: str = Field("kocbot", description="The bot's display name, used in the console and in templates.")
    locale: Locale = Field("zh_CN", description="Default language of the bot's messages: zh_CN or en.")
    timezone: str = Field("Asia/Shanghai", description="Default time zone of the communities (IANA name).")
    transport: Literal["console", "wechaty"] = Field(
        "console", description="Where the bot talks: console (the playground) or wechaty (real WeChat groups)."
    )
    templates_dir: Path | None = Field(
        None, description="A folder of your own templates (same layout as templates/) that override ours."
    )
    serve_unlisted_rooms: bool = Field(
        True, description="Serve rooms not listed under [[communities]]; false ignores them entirely."
    )
    account: str = Field(
        "main",
        min_length=1,
        max_length=64,
        description="This process's WeChat account: with several processes on one PostgreSQL database, "
        "each sends only the messages for its own account's rooms and members.",
    )

    _tz = field_validator("timezone")(_check_timezone)


class DatabaseSection(Section):
    url: str = Field("", description="SQLAlchemy URL; empty means a SQLite file kocbot.db in the data folder.")
    echo: bool = Field(False, description="Log every SQL statement (debugging only).")
    message_retention_days: int = Field(
        365, ge=0, description="Days incoming messages stay in the log; 0 keeps them forever."
    )


class PermissionsSection(Section):
    admins: list[str] = Field(default_factory=list, description="Contact ids with admin rights.")
    moderators: list[str] = Field(default_factory=list, description="Contact ids with moderator rights.")
    room_owners_are_moderators: bool = Field(
        False, description="A room's owner (as the platform says) acts as a moderator in that room."
    )
    room_admins_are_moderators: bool = Field(
        False, description="A room's admins (as the platform says) act as moderators in that room."
    )


class CommunitySection(Section):
    id: str = Field(..., min_length=1, description="The room's platform id (Wechaty room id).")
    name: str = Field("", description="A human name for the community.")
    locale: Locale | None = Field(None, description="Language in this room; defaults to bot.locale.")
    timezone: str | None = Field(None, description="Time zone of this room; defaults to bot.timezone.")
    account: str | None = Field(
        None, description="The bot.account whose process serves this room; unset: whichever account sees it."
    )

    _tz = field_validator("timezone")(_check_timezone)


class OutboxSection(Section):
    room_interval_seconds: float | None = Field(
        None, ge=0, description="Minimum gap between two messages in one room; unset uses the transport's default."
    )
    account_per_minute: int | None = Field(
        None,
        ge=0,
        description="Most messages per minute from the account (0 = no limit); unset uses the transport's default.",
    )
    room_burst: int | None = Field(
        None,
        ge=1,
        description="Messages one conversation may get at once (a reply to someone who just wrote goes out at "
        "once); on average the room interval still holds. Unset uses the transport's default.",
    )
    account_burst: int | None = Field(
        None,
        ge=1,
        description="Replies the account may send at once; other sending is spread evenly through the minute. "
        "Unset uses the transport's default.",
    )
    reply_reserve_per_minute: int | None = Field(
        None,
        ge=0,
        description="Of account_per_minute, how many are kept for replies: transactional and unsolicited "
        "messages together never use them (a fan-out cannot take the whole ceiling). Unset uses the "
        "transport's default.",
    )
    jitter_ratio: float = Field(0.2, ge=0, le=1, description="Random share of each pacing gap and retry delay.")
    max_attempts: int = Field(5, ge=1, description="Tries before a message is parked as failed.")
    retry_base_seconds: float = Field(5.0, gt=0, description="First retry delay; doubles each try.")
    retry_max_seconds: float = Field(600.0, gt=0, description="Longest retry delay.")
    claim_batch: int = Field(50, ge=1, le=1000, description="Messages claimed per sender round.")
    max_length: int | None = Field(
        None,
        ge=50,
        description="Longest message the platform takes; longer ones are split on line "
        "boundaries. Unset uses the transport's limit.",
    )


def _check_hhmm_range(value: str) -> str:
    if value and parse_hhmm_range(value) is None:
        raise ValueError('a range of local times such as "22:00-08:00", or "" for none')
    return value


def parse_hhmm_range(value: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """ "22:00-08:00" -> ((22, 0), (8, 0)); None when it is not such a range."""
    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if found is None:
        return None
    start, end = (int(found[1]), int(found[2])), (int(found[3]), int(found[4]))
    if not all(h < 24 and m < 60 for h, m in (start, end)) or start == end:
        return None
    return start, end


class DeliverySection(Section):
    quiet_hours: str = Field(
        "22:00-08:00",
        description="Local hours (each room's time zone; the bot's for private messages) "
        'when routine posts and outreach wait until the end; "" for none.',
    )
    daily_private_limit: int = Field(
        2,
        ge=0,
        description="Routine private messages one member gets from the bot per day, all "
        "capabilities together (0 = no limit); more wait for the next day.",
    )
    weekly_private_limit: int = Field(8, ge=0, description="The same per week (Monday to Sunday, 0 = no limit).")

    _quiet = field_validator("quiet_hours")(_check_hhmm_range)


def _check_cron(value: str | None) -> str | None:
    if value is None:
        return None
    from bot.scheduling.triggers import cron_problem  # the scheduler's own parser, so config and /announce agree

    problem = cron_problem(value)
    if problem:
        raise ValueError(f"a 5-field cron expression (minute hour day month weekday): {problem}")
    return value


class JobSection(Section):
    enabled: bool | None = Field(None, description="Switch a built-in job on or off; unset keeps its default.")
    cron: str | None = Field(None, description="When it runs: 5-field cron in bot.timezone; unset keeps its default.")

    _cron = field_validator("cron")(_check_cron)


class SchedulerSection(Section):
    misfire_grace_minutes: int = Field(
        60,
        ge=0,
        description="A post missed while the bot was down goes out late if it is at most this "
        "late; later than that it is skipped and the moderators are told.",
    )
    takeover_seconds: float = Field(
        30.0,
        gt=0,
        description="With several processes on PostgreSQL: how often a standby process "
        "checks whether the scheduler's process has died, to take over.",
    )
    jobs: dict[str, JobSection] = Field(
        default_factory=dict, description="Built-in jobs by name ([scheduler.jobs.honour_roll] ...)."
    )


class PipelineSection(Section):
    batch_max: int = Field(8, ge=1, le=1000, description="Incoming events committed together at most (group commit).")


class WorkersSection(Section):
    processes: int = Field(
        2,
        ge=1,
        le=16,
        description="Worker processes for work that runs off the event loop with a hard time limit "
        "(moderators' templates); started when first needed, replaced when one is stopped.",
    )
    memory_mb: int = Field(
        256, ge=0, description="Memory each worker process may take on top of its start-up size (0: no cap)."
    )


class HeavySection(Section):
    processes: int = Field(
        1,
        ge=0,
        le=16,
        description="Worker processes for CPU-heavy work (campaign ignition, reports, rewards); 0 runs it in a "
        "thread of the bot's own process instead, which slows everyone else's replies while it runs.",
    )
    timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="Longest one piece of heavy work (a report, its charts, a reward run) may take; beyond, it is "
        "stopped and the asker gets an apology (a scheduled job counts as failed).",
    )
    acknowledge_after_seconds: float = Field(
        3.0,
        ge=0,
        description="A request still being worked on after this long gets a short 'working on it' reply; 0: never.",
    )
    resume_attempts: int = Field(
        2,
        ge=1,
        le=10,
        description="Tries in all for a request the bot was working on when it stopped (resumed at the next "
        "start); after that the asker gets an apology instead.",
    )


class ConsoleSection(Section):
    room: str = Field("playground", min_length=1, description="The console playground's starting room.")


def _check_token(value: str) -> str:
    if value and not _TOKEN.fullmatch(value):
        raise ValueError(
            "a Wechaty token: only letters, digits, '_', '-' and '.' (check for spaces or quotes copied with it)"
        )
    return value


def _check_endpoint(value: str) -> str:
    found = _ENDPOINT.fullmatch(value)
    if value and (found is None or not 0 < int(found[1]) < 65536):
        raise ValueError("host:port of the puppet service gateway, e.g. 127.0.0.1:8788 (no http://)")
    return value


class WechatySection(Section):
    endpoint: str = Field(
        "",
        description="host:port of your puppet service gateway (also WECHATY_PUPPET_SERVICE_ENDPOINT); "
        "empty asks the Wechaty discovery service where the token's gateway is.",
    )
    token: str = Field(
        "",
        repr=False,  # a secret: kept out of reprs and logs
        description="The puppet service token (also WECHATY_PUPPET_SERVICE_TOKEN); needed by the wechaty transport.",
    )
    reconnect_initial_seconds: float = Field(1.0, gt=0, description="First wait before reconnecting; doubles each try.")
    reconnect_max_seconds: float = Field(60.0, gt=0, description="Longest wait between two reconnection tries.")
    heartbeat_seconds: float = Field(
        60.0, gt=0, description="How often a quiet connection is checked (a ding to the puppet service)."
    )
    request_timeout_seconds: float = Field(
        15.0, gt=0, description="Longest wait for one call to the puppet service before the connection counts as lost."
    )

    _token = field_validator("token")(_check_token)
    _endpoint = field_validator("endpoint")(_check_endpoint)


class CoreSettings(Section):
    """The core's sections; capabilities add their own through their registries."""

    bot: BotSection = BotSection()
    database: DatabaseSection = DatabaseSection()
    permissions: PermissionsSection = PermissionsSection()
    communities: list[CommunitySection] = Field(default_factory=list)
    outbox: OutboxSection = OutboxSection()
    delivery: DeliverySection = DeliverySection()
    scheduler: SchedulerSection = SchedulerSection()
    pipeline: PipelineSection = PipelineSection()
    workers: WorkersSection = WorkersSection()
    heavy: HeavySection = HeavySection()
    console: ConsoleSection = ConsoleSection()
    wechaty: WechatySection = WechatySection()
    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file and exports.")

    def community(self, room_id: str) -> CommunitySection | None:
        return next((c for c in self.communities if c.id == room_id), None)

    def serves_room(self, room_id: str) -> bool:
        return self.bot.serve_unlisted_rooms or self.community(room_id) is not None

    def database_url(self) -> str:
        return normalise_database_url(self.database.url, self.data_dir)

    def section(self, model: type[_S]) -> _S:
        """A capability's own section, typed: `settings.section(FeedbackSection)`.

        LookupError when the app was built without that capability (see `optional_section`).
        """
        found = self.optional_section(model)
        if found is None:
            raise LookupError(f"no {model.__name__} in these settings: is its capability in the app?")
        return found

    def optional_section(self, model: type[_S]) -> _S | None:
        """A capability's own section, or None when the app was built without that capability."""
        name = _section_field(type(self), model)
        value = None if name is None else getattr(self, name)
        return value if isinstance(value, model) else None


@cache
def _section_field(settings: type[CoreSettings], model: type[BaseModel]) -> str | None:
    """Which field of a settings model holds a section: found once per model, by its type."""
    return next((name for name, field in settings.model_fields.items() if field.annotation is model), None)


def _first_error(exc: ValidationError, data: Mapping[str, Any]) -> ConfigError:
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"])
    value = _masked(error.get("input")) if key.endswith("token") else error.get("input")
    if error["type"] == "extra_forbidden":
        return ConfigError(key, value, "a known key (check the spelling against config/example.toml)")
    expected = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    return ConfigError(key, value, expected)


def _masked(secret: object) -> str:
    """Enough of a token to recognise it, not enough to use it: error lines end up in logs and chats."""
    text = str(secret)
    return f"{text[:4]}… ({len(text)} characters)"


def _check_transport(settings: CoreSettings) -> None:
    if settings.bot.transport == "wechaty" and find_spec("wechaty_puppet_service") is None:
        raise ConfigError(
            "bot.transport",
            "wechaty",
            "python-wechaty, which is not installed: pip install 'kocbot[wechaty]' (the playground needs none)",
        )
    if settings.bot.transport == "wechaty" and not settings.wechaty.token:
        raise ConfigError(
            "wechaty.token",
            "",
            "the puppet service token: set WECHATY_PUPPET_SERVICE_TOKEN (or token under [wechaty] in the config file)",
        )


def _check_database_url(settings: CoreSettings) -> None:
    problem = url_problem(settings.database_url())
    if problem:
        raise ConfigError("database.url", safe_url(settings.database.url), problem)


def _check_templates_dir(folder: Path | None) -> None:
    # Jinja skips a missing folder without a word: the brand's wording would silently be ours.
    if folder is not None and not folder.is_dir():
        state = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(
            "bot.templates_dir", str(folder), f"an existing folder of templates ({folder.resolve()} {state})"
        )


def settings_model(capability_sections: Mapping[str, type[BaseModel]]) -> type[CoreSettings]:
    """The full settings model: the core's sections plus each capability's own. One class per set of
    sections, made once a process: a model class is a few milliseconds and hundreds of objects to make,
    and `_section_field` keeps each one it is asked about (a process that loads settings again and again,
    such as the tests, kept one more class each time)."""
    return _settings_model(tuple(capability_sections.items()))


@cache
def _settings_model(capability_sections: tuple[tuple[str, type[BaseModel]], ...]) -> type[CoreSettings]:
    clash = {name for name, _ in capability_sections} & set(CoreSettings.model_fields)
    if clash:
        raise ValueError(f"capability sections clash with core sections: {sorted(clash)}")
    fields: dict[str, Any] = {name: (model, model()) for name, model in capability_sections}
    return create_model("Settings", __base__=CoreSettings, **fields)


def load_settings(
    config_path: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    capability_sections: Mapping[str, type[BaseModel]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> CoreSettings:
    """Load defaults, then the user file, then WECHATY_* and KOCBOT_* variables, then explicit overrides."""
    environ = os.environ if environ is None else environ
    data = read_toml(DEFAULTS_FILE)
    label = "--config" if config_path else "KOCBOT_CONFIG"
    config_path = config_path or environ.get("KOCBOT_CONFIG")
    if config_path:
        data = deep_merge(data, read_toml(Path(config_path), label))
    data = deep_merge(data, wechaty_env(environ))
    data = deep_merge(data, env_overrides(environ))
    data = deep_merge(data, overrides or {})
    data["data_dir"] = data_dir or environ.get("KOCBOT_DATA_DIR") or data.get("data_dir", "data")
    model = settings_model(capability_sections or {})
    try:
        settings = model.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, data) from None
    _check_transport(settings)
    _check_database_url(settings)
    _check_templates_dir(settings.bot.templates_dir)
    return settings
