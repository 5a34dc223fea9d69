"""The README stays true: every configuration key is documented, the quick start is the Makefile's."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, RootModel

from bot.config import CoreSettings, settings_model
from handlers import config_sections

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text(encoding="utf-8")


def _keys(model: type[BaseModel]) -> list[str]:
    keys = []
    for section, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, RootModel):
            keys.append(f"[{section}.NAME]")  # a table of named entries ([journeys.NAME])
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += [f"{section}.{key}" for key in annotation.model_fields]
    return keys


def test_every_configuration_key_is_in_the_readme() -> None:
    model = settings_model(config_sections())
    missing = [key for key in _keys(model) if f"`{key}`" not in README]
    assert missing == []
    assert "[[communities]]" in README and set(CoreSettings.model_fields) >= {"communities", "data_dir"}


def test_the_quick_start_commands_exist() -> None:
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "bench"):
        assert f"make {target}" in README
        assert f"\n{target}:" in makefile
    assert "make test" in (PROJECT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_transcript_is_the_one_the_cli_test_checks() -> None:
    from tests.test_cli import SCRIPT, TRANSCRIPT

    assert SCRIPT in README.replace("```text\n", "")
    assert TRANSCRIPT in README.replace("```text\n", "")
