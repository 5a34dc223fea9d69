"""Where configuration comes from: TOML files and environment variables, merged in order."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

ENV_PREFIX = "KOCBOT_"
# The Wechaty convention, read by every Wechaty SDK: they override the [wechaty] section.
WECHATY_ENV = {"WECHATY_PUPPET_SERVICE_ENDPOINT": "endpoint", "WECHATY_PUPPET_SERVICE_TOKEN": "token"}


def deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _parse_env_value(raw: str) -> Any:
    # Values are TOML when they parse as TOML (numbers, booleans, lists), else plain strings.
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """KOCBOT_<SECTION>__<KEY>=value becomes {section: {key: value}}."""
    found: dict[tuple[str, ...], str] = {}
    for path, name in sorted(_env_paths(environ)):  # a key comes before the keys inside it
        for depth in range(1, len(path) + 1):
            if path[:depth] in found:  # one variable sets a key, another the same key or one inside it
                raise _env_clash(found[path[:depth]], name, environ[name], path[:depth])
        found[path] = name
    tree: dict[str, Any] = {}
    for path, name in found.items():
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _parse_env_value(environ[name])
    return tree


def _env_paths(environ: Mapping[str, str]) -> list[tuple[tuple[str, ...], str]]:
    names = [name for name in environ if name.startswith(ENV_PREFIX) and "__" in name]
    return [(tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__")), name) for name in names]


def _env_clash(first: str, second: str, value: str, key: tuple[str, ...]) -> ConfigError:
    return ConfigError(second, value, f"{first} or {second}, not both: both set {'.'.join(key)}")


def wechaty_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """WECHATY_PUPPET_SERVICE_ENDPOINT and _TOKEN, as the [wechaty] keys they set."""
    found = {key: environ[name].strip() for name, key in WECHATY_ENV.items() if environ.get(name, "").strip()}
    return {"wechaty": found} if found else {}


def read_toml(path: Path, label: str = "--config") -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(label, str(path), "an existing TOML file") from exc
    except IsADirectoryError as exc:
        raise ConfigError(label, str(path), "a TOML file, not a folder") from exc
    except PermissionError as exc:
        raise ConfigError(label, str(path), "a TOML file kocbot may read (permission denied)") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "(file)", f"UTF-8 text (byte {exc.start} is not UTF-8; save it as UTF-8)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "(file)", f"valid TOML ({exc})") from exc
