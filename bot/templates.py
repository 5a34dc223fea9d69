"""Every text the bot says: Jinja2 templates per locale, and each capability's command catalogue."""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.config import LOCALES, PROJECT_DIR, CoreSettings

TEMPLATES_DIR = PROJECT_DIR / "templates"


@dataclass(frozen=True, slots=True)
class CommandDoc:
    usage: str
    summary: str


@dataclass(frozen=True, slots=True)
class TopicDoc:
    """A /help topic as a locale shows it: the name to type and what it covers."""

    name: str
    summary: str


Unit = Literal["year", "month", "week", "day", "hour", "minute", "second"]


def relative_time(when: timedelta | float, locale: str, unit: Unit | None = None) -> str:
    """A moment relative to now as `locale` says it, through Babel's CLDR data: "3天后", "in 3 days",
    "5分钟前", "5 minutes ago". `when` is a timedelta or seconds, ahead positive, past negative. Without
    `unit` the largest fitting unit is used (90 minutes: "in 2 hours"); with one ("day", "hour",
    "minute") always that unit ("in 30 days", not "in 1 month"). Templates call it as
    `relative_time(left, "zh_CN")`: never a hand-built "N 天后"."""
    from babel.dates import format_timedelta

    delta = when if isinstance(when, timedelta) else timedelta(seconds=when)
    if unit is None:
        return format_timedelta(delta, add_direction=True, locale=locale)
    return format_timedelta(delta, granularity=unit, threshold=math.inf, add_direction=True, locale=locale)


class TemplateRenderer:
    """Renders `<locale>/<capability>/<what>.j2`; a missing variable is an error, never blank text."""

    def __init__(
        self,
        roots: Sequence[Path] = (TEMPLATES_DIR,),
        *,
        default_locale: str = "zh_CN",
        globals_: dict[str, Any] | None = None,
    ) -> None:
        self.roots = tuple(roots)  # earlier folders override later ones, file by file
        self.default_locale = default_locale
        self._env = Environment(
            loader=FileSystemLoader(self.roots),
            undefined=StrictUndefined,
            autoescape=False,  # plain chat text, not HTML
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._env.globals.update({"relative_time": relative_time, **(globals_ or {})})
        self._catalogues: dict[tuple[str, str], dict[str, Any]] = {}

    def locale_or_default(self, locale: str | None) -> str:
        return locale if locale in LOCALES else self.default_locale

    def render(self, name: str, locale: str | None = None, /, **params: Any) -> str:
        template = self._env.get_template(f"{self.locale_or_default(locale)}/{name}.j2")
        return template.render(**params).strip()

    def labels(self, macros: str, macro: str, locale: str | None, values: Iterable[str]) -> dict[str, str]:
        """What a label macro of `<locale>/<macros>.jinja` says for each value (e.g. feedback's
        `status_label`: "shipped" -> "已上线"): the words the chat uses, for tables and charts."""
        module = self._env.get_template(f"{self.locale_or_default(locale)}/{macros}.jinja").module
        say = getattr(module, macro)
        return {value: str(say(value)).strip() for value in values}

    def template_names(self, locale: str) -> list[str]:
        prefix = f"{locale}/"
        return sorted(n[len(prefix) : -3] for n in self._env.list_templates(extensions=["j2"]) if n.startswith(prefix))

    def command_doc(self, capability: str, key: str, locale: str | None = None) -> CommandDoc:
        catalogue = self._catalogue(capability, self.locale_or_default(locale))
        entry = catalogue[key]
        return CommandDoc(usage=entry["usage"], summary=entry["summary"])

    def topic_doc(self, capability: str, locale: str | None = None, entry: str = "topic") -> TopicDoc:
        """The capability's `[topic]` (or another `entry`) in its commands.toml; without one, its name."""
        found = self._catalogue(capability, self.locale_or_default(locale)).get(entry, {})
        return TopicDoc(name=found.get("name", capability), summary=found.get("summary", ""))

    def _catalogue(self, capability: str, locale: str) -> dict[str, Any]:
        key = (capability, locale)
        if key not in self._catalogues:
            merged: dict[str, Any] = {}
            for root in reversed(self.roots):
                path = root / locale / capability / "commands.toml"
                if path.is_file():
                    found = path.stat()
                    merged.update(_read_toml(path, found.st_mtime_ns, found.st_size))
            self._catalogues[key] = merged
        return self._catalogues[key]

    def missing_command_docs(self, commands: Iterable[tuple[str, str]]) -> list[str]:
        """Commands without a usage line in some locale, as `locale/capability/commands.toml: key`."""
        return [
            f"{locale}/{capability}/commands.toml: [{key}]"
            for locale in LOCALES
            for capability, key in commands
            if key not in self._catalogue(capability, locale)
        ]

    def missing_topic_docs(self, capabilities: Iterable[str]) -> list[str]:
        """Capabilities without a `[topic]` (name and summary) in some locale."""
        return [
            f"{locale}/{capability}/commands.toml: [topic]"
            for locale in LOCALES
            for capability in capabilities
            if not {"name", "summary"} <= set(self._catalogue(capability, locale).get("topic", {}))
        ]


def renderer_for(settings: CoreSettings) -> TemplateRenderer:
    """The bot's renderer: the operator's templates (`bot.templates_dir`) over ours."""
    overrides = settings.bot.templates_dir
    roots = (overrides, TEMPLATES_DIR) if overrides else (TEMPLATES_DIR,)
    return TemplateRenderer(roots, default_locale=settings.bot.locale, globals_={"bot_name": settings.bot.name})


@functools.lru_cache(maxsize=256)
def _read_toml(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    """A commands.toml, read once a process while it is unchanged (every app's renderer reads them all)."""
    with path.open("rb") as handle:
        return tomllib.load(handle)
