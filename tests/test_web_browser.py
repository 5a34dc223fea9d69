"""The console in a real browser (Debian's headless Chromium through Playwright): sign in by link, triage an
item, change three at once, resolve a thread after its preview, a member's page, a campaign's chart, sign out.

Each test saves screenshots in its temporary folder; with KOCBOT_UPDATE_SCREENSHOTS=1 the README's pictures
(docs/images/) are taken again from these pages.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import FakeClock
from tests.browser import BrowserThread, require_chromium
from tests.support import Chat
from tests.test_campaign_ignition import baseline, conversation, create_campaign, local, member_id
from tests.web_support import link_for
from web.app import build_console
from web.server import ConsoleServer, bind

DOCS = Path(__file__).resolve().parent.parent / "docs" / "images"
BUG = "/反馈 缺陷\n场景: 下单页点击支付以后闪退\n步骤: 加购后点支付\n期望：正常进入支付"
IDEA = "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式"
README_PICTURES = ("overview", "feedback-board", "member")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    thread = BrowserThread(require_chromium())
    yield thread
    thread.close()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the browser tests are few; the pages' queries run on both databases elsewhere."""
    path = tmp_path / "kocbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings_overrides() -> dict:
    return {"delivery": {"daily_private_limit": 0}, "threads": {"departments": ["产品部"]}}


@pytest.fixture
async def served(app: App) -> AsyncIterator[str]:
    """The console on a free loopback port, served by the test's own event loop."""
    sock = bind("127.0.0.1", 0)
    server = ConsoleServer(await build_console(app.database, app.services, bot=app), sock)
    server.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    await server.stop()


def shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if name in README_PICTURES and os.environ.get("KOCBOT_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / path.name)


async def signed_in(browser: BrowserThread, chat: Chat, base: str, viewport: dict = DESKTOP) -> Any:
    """A page signed in as `mod` through the link /console sends, on the overview."""
    url = f"{base}/signin/{await link_for(chat, 'mod')}"

    def open_page(b: Any) -> Any:
        page = b.new_context(viewport=viewport, locale="zh-CN").new_page()
        page.goto(url)
        page.click("#signin")
        page.wait_for_url(base + "/")
        return page

    return await browser.run(open_page)


def sent(chat: Chat) -> list[str]:
    return [f"[{m.room_id or f'dm {m.contact_id}'}] {m.text}" for m in chat.transport.take()]


async def test_sign_in_by_link_and_triage_an_item(
    browser: BrowserThread, chat: Chat, app: App, served: str, tmp_path: Path
) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", IDEA, room="二群")
    await chat.say("dave", "谢谢 @bob 帮我解决了问题")
    await chat.say("carol", "/反馈 +1 FB-1 安卓也闪退")
    page = await signed_in(browser, chat, served)

    def triage(_: Any) -> str:
        shot(page, tmp_path, "overview")
        page.click("text=反馈")
        page.wait_for_selector("table.list")
        shot(page, tmp_path, "feedback-board")
        page.click('a[href="/feedback/1"]')
        page.select_option('select[name="status"]', "acknowledged")
        page.fill('form[action="/feedback/1/status"] input[name="reason"]', "已转给研发")
        page.click("#set-status")
        page.wait_for_selector("section.result")
        return page.inner_text("section.result")

    result = await browser.run(triage)
    assert "FB-1「下单页点击支付以后闪退」：已提交 → 已确认收到" in result
    await app.drain()
    assert sent(chat)[:1] == [
        "[dm bob] 你的反馈 FB-1「下单页点击支付以后闪退」有新进展：已确认收到。\n说明：已转给研发"
    ]


async def test_bulk_change_and_resolve_a_thread_with_its_preview(
    browser: BrowserThread, chat: Chat, app: App, served: str, tmp_path: Path
) -> None:
    for _ in range(3):
        await chat.say("bob", BUG)
    await chat.say("mod", "/issue open 登录失败 @bob")
    chat.transport.take()
    page = await signed_in(browser, chat, served)

    def bulk(_: Any) -> str:
        page.goto(served + "/feedback")
        for item in ("1", "2", "3"):
            page.check(f'input[name="item"][value="{item}"]')
        page.select_option('#bulk select[name="action"]', "status")
        page.select_option('#bulk select[name="status"]', "acknowledged")
        page.fill('#bulk input[name="reason"]', "收到")
        page.click("#bulk-next")
        page.click("#bulk-confirm")
        page.wait_for_selector("p.summary")
        shot(page, tmp_path, "bulk")
        return page.inner_text("p.summary")

    assert await browser.run(bulk) == "3 条中 3 条成功。每条的结果如下："

    def resolve(_: Any) -> tuple[str, str]:
        page.goto(served + "/threads/1")
        page.fill('textarea[name="text"]', "已在 2.3.1 修复")
        page.click("#preview")
        page.wait_for_selector("#preview-box section.result")
        preview = page.inner_text("#preview-box")
        shot(page, tmp_path, "thread-preview")
        page.click("#resolve")
        page.wait_for_selector("section.result")
        return preview, page.inner_text("section.result")

    preview, done = await browser.run(resolve)
    assert "已在 2.3.1 修复" in preview and "【Playground】" in preview
    await app.drain()
    posted = sent(chat)
    assert any(line.startswith("[playground]") and "已在 2.3.1 修复" in line for line in posted), posted
    assert "/issue resolve 1 已在 2.3.1 修复" in done


async def _campaign_world(chat: Chat, app: App, clock: FakeClock) -> tuple[int, int]:
    """A campaign with its talk and a KOC, kate: the campaign's id and kate's member id."""
    await baseline(app, clock, chat)
    clock.set(local(2, 9))
    await chat.say("mod", "/koc promote @kate 私域")
    campaign = await create_campaign(app, keywords=("新品", "X1"))
    await conversation(chat, clock)
    return campaign, await member_id(app, "kate")


async def test_a_member_page_a_campaign_chart_on_a_phone_and_sign_out(
    browser: BrowserThread, chat: Chat, app: App, clock: FakeClock, served: str, tmp_path: Path
) -> None:
    campaign, kate = await _campaign_world(chat, app, clock)
    await chat.say("bob", "谢谢 @kate 解答")
    page = await signed_in(browser, chat, served)

    def member_and_chart(_: Any) -> tuple[str, int]:
        page.goto(f"{served}/members/{kate}")
        shot(page, tmp_path, "member")
        page.goto(f"{served}/campaigns/{campaign}")
        page.wait_for_selector('#chart[data-ready="yes"] canvas')
        shot(page, tmp_path, "campaign")
        page.set_viewport_size(PHONE)
        page.goto(f"{served}/feedback")
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, tmp_path, "phone-feedback")
        return page.inner_text("h1"), width

    heading, width = await browser.run(member_and_chart)
    assert heading == "反馈" and width <= PHONE["width"]  # nothing wider than the phone: tables scroll inside

    def sign_out(_: Any) -> str:
        page.click("#signout")
        page.wait_for_url(served + "/signin")
        page.goto(served + "/")
        return page.url

    assert await browser.run(sign_out) == served + "/signin"
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["campaign.png", "member.png", "phone-feedback.png"]


async def test_every_page_fits_a_phone(
    browser: BrowserThread, chat: Chat, app: App, clock: FakeClock, served: str, tmp_path: Path
) -> None:
    """At 375 pixels nothing is wider than the screen, on any page: wide tables scroll inside their box."""
    campaign, kate = await _campaign_world(chat, app, clock)
    await chat.say("bob", BUG)
    await chat.say("mod", "/issue open 登录失败 @bob")
    month = clock.now().strftime("%Y-%m")
    paths = ["/", "/feedback", "/feedback/1", "/threads", "/threads/1", "/members", f"/members/{kate}", "/kocs"]
    paths += ["/campaigns", f"/campaigns/{campaign}", f"/reports/{month}", "/schedule", "/audit"]
    page = await signed_in(browser, chat, served, viewport=PHONE)

    def widths(_: Any) -> dict[str, int]:
        found = {}
        for path in paths:
            page.goto(served + path)
            found[path] = page.evaluate("document.documentElement.scrollWidth")
            shot(page, tmp_path, "phone" + path.replace("/", "-").replace("?", "-"))
        return found

    assert await browser.run(widths) == dict.fromkeys(paths, PHONE["width"])
