"""Every template renders in every locale with sample parameters; a missing variable is an error."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from bot.config import LOCALES
from bot.db.schema import Role
from bot.router import Router
from bot.templates import TemplateRenderer
from handlers import REGISTRIES
from tests.template_samples import SAMPLES

RENDERER = TemplateRenderer(globals_={"bot_name": "kocbot"})


def test_every_locale_has_the_same_templates() -> None:
    names = {locale: RENDERER.template_names(locale) for locale in LOCALES}
    assert names["en"] == names["zh_CN"]


def test_every_template_has_a_sample() -> None:
    assert set(RENDERER.template_names("zh_CN")) == set(SAMPLES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_template_renders(name: str, locale: str) -> None:
    text = RENDERER.render(name, locale, **SAMPLES[name])
    assert text and text == text.strip()
    assert "{{" not in text and "{%" not in text


def test_a_missing_variable_is_an_error_not_blank_text() -> None:
    with pytest.raises(UndefinedError):
        RENDERER.render("core/refused", "zh_CN", command="/x")


def test_every_command_has_usage_and_summary_in_every_locale() -> None:
    router = Router(REGISTRIES)
    assert RENDERER.missing_command_docs((s.capability, s.key) for s in router.commands) == []
    doc = RENDERER.command_doc("core", "mod_add", "en")
    assert doc.usage == "/mod add @member"


def test_an_unknown_locale_falls_back_to_the_default() -> None:
    assert RENDERER.render("core/pong", "fr") == RENDERER.render("core/pong", "zh_CN")


def test_every_capability_has_a_help_topic_in_every_locale() -> None:
    router = Router(REGISTRIES)
    capabilities = [r.capability for r in REGISTRIES]
    assert RENDERER.missing_topic_docs(capabilities) == []
    for locale in LOCALES:  # the name a locale shows is one /help accepts
        for capability in capabilities:
            name = RENDERER.topic_doc(capability, locale).name
            assert router.topics.find(name, Role.ADMIN).key == capability, (locale, capability, name)
        members = RENDERER.topic_doc("core", locale, "topic_members").name
        assert router.topics.find(members, Role.MEMBER).key == "members"
