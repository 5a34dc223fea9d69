"""requirements.lock pins what pyproject.toml asks for: every requirement, with a version in its range."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)", re.M)


def _pins() -> dict[str, str]:
    text = (PROJECT / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def _requirements() -> list[Requirement]:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    return [Requirement(line) for line in wanted]


def test_every_requirement_of_pyproject_is_pinned_in_the_lock_within_its_range() -> None:
    pins = _pins()
    wrong = {
        str(requirement): pins.get(canonicalize_name(requirement.name))
        for requirement in _requirements()
        if pins.get(canonicalize_name(requirement.name)) is None
        or not requirement.specifier.contains(pins[canonicalize_name(requirement.name)], prereleases=True)
    }
    assert wrong == {}, "run `make lock` after changing pyproject.toml's dependencies"


def test_the_lock_pins_exact_versions_only() -> None:
    lines = [
        line.strip()
        for line in (PROJECT / "requirements.lock").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines and all(PIN.match(line) for line in lines)
