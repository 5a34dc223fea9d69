"""Staff work happens in private: a staff command typed in a group is answered in the caller's private chat."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.db.schema import Role
from tests.support import Chat

ARGUMENTS = ("", "x", "99999 xyz")
# Commands whose purpose is a public post for members: `/issue open TITLE` thanks the group for raising it.
PUBLIC_BY_DESIGN = {"issue open"}


@pytest.mark.parametrize("arguments", ARGUMENTS)
async def test_no_staff_command_answers_in_the_group(chat: Chat, app: App, arguments: str) -> None:
    """Every staff command, with missing, wrong or unknown arguments: nothing in the group."""
    staff = [spec for spec in app.services.router.commands if spec.role >= Role.MODERATOR]
    assert len(staff) > 40
    in_group = {}
    for spec in staff:
        if spec.answers_in_room:
            continue
        caller = "admin" if spec.role >= Role.ADMIN else "mod"
        replies = await chat.say(caller, f"/{spec.name} {arguments}".strip())
        public = [line for line in replies if line.startswith("[playground]")]
        if public and spec.name not in PUBLIC_BY_DESIGN:
            in_group[spec.name] = public
    assert in_group == {}


async def test_a_staff_answer_goes_privately_in_the_rooms_language(chat: Chat) -> None:
    assert await chat.say("admin", "/mod list") == ["[dm admin] 社群运营团队：\n· admin（超级管理员）\n· mod（运营）"]


async def test_a_member_is_refused_where_they_asked(chat: Chat) -> None:
    assert await chat.say("bob", "/mod list") == [
        "[playground] @bob 抱歉，/mod list 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]


async def test_a_group_name_alone_lists_staff_usages_privately(chat: Chat) -> None:
    [reply] = await chat.say("admin", "/mod")
    assert reply.startswith("[dm admin] 这个命令还需要说明具体做什么")
