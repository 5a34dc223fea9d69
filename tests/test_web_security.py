"""The console refuses whoever it should: no session, a member, a used or expired link, a form without its
token, a demoted moderator; what members wrote is shown escaped on every page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.routing import Route

from bot.clock import FakeClock
from tests.support import Chat
from tests.web_support import console_client, link_for, sign_in
from web.app import routes

OPEN_PATHS = {"/healthz", "/metrics", "/signin", "/signin/{token}"}
HOSTILE = '<script>alert("x")</script>'


def _staff_routes() -> list[tuple[str, str]]:
    """Every page and action behind the sign-in, with sample path parameters."""
    found = []
    for route in routes():
        if isinstance(route, Route) and route.path not in OPEN_PATHS:
            path = route.path.replace("{month}", "2026-12")
            for name in ("item_id", "thread_id", "member_id", "campaign_id", "announcement_id", "message_id"):
                path = path.replace(f"{{{name}:int}}", "1")
            path = path.replace("{action}", "status").replace("{chart:int}", "0")
            found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


async def test_every_page_and_action_refuses_without_a_session(app) -> None:
    client = await console_client(app)
    staff = _staff_routes()
    assert len(staff) >= 25
    for method, path in staff:
        response = await client.request(method, path)
        if method == "GET":
            assert (response.status_code, response.headers["location"]) == (303, "/signin"), path
        else:
            assert response.status_code == 401, path


async def test_a_forged_cookie_opens_nothing(app, chat: Chat) -> None:
    client = await console_client(app)
    await sign_in(client, chat)
    client.cookies.set("kocbot_console", client.cookies["kocbot_console"] + "x", domain="console.test")
    assert (await client.get("/")).status_code == 303


async def test_a_member_gets_no_link_and_no_session(app, chat: Chat) -> None:
    assert await chat.dm("bob", "/console") == [
        "[dm bob] 抱歉，/console 只有社群运营可以使用。如果需要帮忙，可以联系群里的运营同学。"
    ]
    from handlers.web.signin import create_link

    async with app.database.write_transaction() as conn:  # a link that should never have been made
        token = await create_link(conn, await _member_id(app, "bob"), app.clock.now(), 10)
    client = await console_client(app)
    response = await client.post(f"/signin/{token}")
    assert response.status_code == 403 and "只有运营和超级管理员可以登录后台" in response.text
    assert "kocbot_console" not in client.cookies


async def test_a_link_works_once_and_for_ten_minutes(app, chat: Chat, clock: FakeClock) -> None:
    token = await link_for(chat, "mod")
    client = await console_client(app)
    confirm = await client.get(f"/signin/{token}")
    assert confirm.status_code == 200 and 'id="signin"' in confirm.text  # opening it uses nothing up
    assert (await client.post(f"/signin/{token}")).status_code == 303
    again = await (await console_client(app)).post(f"/signin/{token}")
    assert again.status_code == 403 and "已经用过或已过期" in again.text
    late = await link_for(chat, "mod")
    clock.advance(timedelta(minutes=10, seconds=1))
    assert (await (await console_client(app)).post(f"/signin/{late}")).status_code == 403


async def test_the_session_ends_with_its_hours_and_with_sign_out(app, chat: Chat, clock: FakeClock) -> None:
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    clock.advance(timedelta(hours=11))
    assert (await client.get("/")).status_code == 200
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await client.get("/")).status_code == 303  # web.session_hours = 12
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    cookie = client.cookies["kocbot_console"]
    assert (await client.post("/signout", data={"csrf": csrf})).status_code == 303
    client.cookies.set("kocbot_console", cookie, domain="console.test")  # a copy of the cookie kept somewhere
    assert (await client.get("/")).status_code == 303


async def test_the_cookie_is_http_only_and_same_site(app, chat: Chat) -> None:
    client = await console_client(app)
    token = await link_for(chat, "mod")
    response = await client.post(f"/signin/{token}")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie


async def test_a_post_without_the_csrf_token_is_refused(app, chat: Chat) -> None:
    await chat.say("bob", "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付")
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    for data in ({}, {"csrf": "wrong"}, {"csrf": csrf[:-1]}):
        response = await client.post("/feedback/1/status", data={**data, "status": "acknowledged", "reason": "x"})
        assert response.status_code == 403
    ok = await client.post("/feedback/1/status", data={"csrf": csrf, "status": "acknowledged", "reason": "x"})
    assert ok.status_code == 200


async def test_sign_in_attempts_are_limited(app, chat: Chat) -> None:
    client = await console_client(app)
    statuses = [(await client.post(f"/signin/guess{n}")).status_code for n in range(11)]
    assert statuses == [403] * 10 + [429]


async def test_a_demoted_moderator_is_refused_at_the_next_request(app, chat: Chat) -> None:
    await chat.say("dave", "hi")
    await chat.say("admin", "/mod add @dave")
    client = await console_client(app)
    await sign_in(client, chat, "dave")
    assert (await client.get("/feedback")).status_code == 200
    await chat.say("admin", "/mod remove @dave")
    assert (await client.get("/feedback")).status_code == 303
    assert (await client.post("/feedback/bulk", data={})).status_code == 401


@pytest.fixture
def settings_overrides() -> dict:
    return {"threads": {"departments": ["产品部"]}}


async def test_what_members_write_is_escaped_everywhere(app, chat: Chat) -> None:
    await chat.say(HOSTILE, f"/反馈 缺陷\n场景: {HOSTILE} 支付闪退\n步骤: 加购后点支付\n期望：{HOSTILE}")
    await chat.say("mod", f"/issue open {HOSTILE} @{HOSTILE}")
    await chat.say(HOSTILE, f"谢谢 @bob {HOSTILE}")
    client = await console_client(app)
    await sign_in(client, chat)
    pages = ["/", "/feedback", "/feedback/1", "/threads", "/threads/1", "/members", "/members?q=script", "/audit"]
    pages += ["/members/" + str(await _member_id(app, HOSTILE)), "/kocs", "/schedule", "/campaigns", "/reports/2026-12"]
    for path in pages:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text, path
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in (await client.get("/feedback/1")).text
    assert "&lt;script&gt;" in (await client.get("/threads/1")).text


async def _member_id(app, platform_id: str) -> int:
    async with app.engine.connect() as conn:
        member = await app.services.directory.find_member(conn, platform_id)
    assert member is not None
    return member.id


async def test_pages_carry_a_policy_against_scripts_from_elsewhere(app, chat: Chat) -> None:
    client = await console_client(app)
    await sign_in(client, chat)
    policy = (await client.get("/")).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy


async def test_every_action_refuses_a_signed_in_post_without_the_csrf_token(app, chat: Chat) -> None:
    client = await console_client(app)
    csrf = await sign_in(client, chat)
    posts = [path for method, path in _staff_routes() if method == "POST"]
    assert len(posts) >= 10
    for path in posts:
        for data in ({}, {"csrf": "wrong"}):
            response = await client.post(path, data=data)
            assert response.status_code == 403, (path, data)
    assert (await client.get("/")).status_code == 200  # still signed in: the session was never used up
    assert (await client.post("/signout", data={"csrf": csrf})).status_code == 303


def test_every_form_that_posts_carries_the_csrf_field() -> None:
    """Each <form method="post"> of every page template carries the session's token (htmx requests send it
    in a header, set once on the page's body). The sign-in button has no session yet: the single-use secret in
    its address is what it sends."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "web" / "templates"
    forms = 0
    for page in sorted(set(folder.glob("*.html")) - {folder / "signin.html"}):
        for form in re.findall(r"<form\b[^>]*>.*?</form>", page.read_text(encoding="utf-8"), re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms += 1
                assert "csrf_field()" in form or 'name="csrf" value="{{ visit.csrf }}"' in form, (page.name, form)
    assert forms >= 10
    base = (folder / "base.html").read_text(encoding="utf-8")
    assert """hx-headers='{"X-CSRF-Token": "{{ visit.csrf }}"}'""" in base
