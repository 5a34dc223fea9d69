"""The console's pages: Jinja2 HTML (escaped), labels per locale beside the bot's own templates, local times."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.config import LOCALES

PAGES_DIR = Path(__file__).resolve().parent / "templates"
LABELS = "web/labels.toml"  # under each locale of the bot's template folders


def load_labels(roots: Sequence[Path], locale: str) -> dict[str, str]:
    """The console's words in `locale`; a folder of the brand's own templates may override some."""
    merged: dict[str, str] = {}
    for root in reversed(roots):
        path = root / locale / LABELS
        if path.is_file():
            with path.open("rb") as handle:
                merged.update(tomllib.load(handle))
    return merged


class Labels:
    """`t("key")` in a page; a key missing in a locale is an error in the tests, the key itself at run time."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.by_locale = {locale: load_labels(roots, locale) for locale in LOCALES}

    def get(self, locale: str, key: str, **params: Any) -> str:
        text = self.by_locale.get(locale, {}).get(key, key)
        return text.format(**params) if params else text


def query_with(query: Any, **changes: Any) -> str:
    """The query string of this page with some keys changed (None: removed), for filters and paging."""
    pairs = [(k, v) for k, v in query.multi_items() if k not in changes]
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
    return urlencode(pairs)


def details(values: dict[str, Any]) -> str:
    """An audit entry's details as people read them: `args: FB-3 acknowledged · item: FB-3`."""
    return " · ".join(f"{key}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for key, v in values.items())


class Pages:
    """Renders the console's HTML; everything members wrote is escaped."""

    def __init__(self, labels: Labels, timezone: str) -> None:
        self.labels = labels
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=FileSystemLoader(PAGES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["local"] = self.local
        self.env.globals["query_with"] = query_with
        self.env.filters["details"] = details

    def local(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if moment is None else moment.astimezone(self.zone).strftime(fmt)

    def render(self, name: str, locale: str, **params: Any) -> str:
        def t(key: str, **values: Any) -> str:
            return self.labels.get(locale, key, **values)

        return self.env.get_template(name).render(t=t, locale=locale, **params)
