"""The one-shot form: the labels people write, the wizard's minimum lengths, overlong fields said."""

from __future__ import annotations

import pytest

from handlers.feedback.form import cut_to_length, parse_form, too_short
from handlers.feedback.tables import items
from tests.support import Chat, rows

NEXT = "接下来：运营同学会阅读并整理给负责的团队，通常在 3 个工作日内回复；每次处理进展都会私信告诉你。"
NEXT_EN = (
    "What happens next: a moderator reads it and passes it to the team that owns it, usually within 3 working "
    "days; you will hear privately about every step."
)


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("复现步骤：", "steps"),
        ("重现步骤:", "steps"),
        ("操作步骤 ：", "steps"),
        ("步骤：", "steps"),
        ("期望结果：", "expected"),
        ("期望:", "expected"),
        ("预期：", "expected"),
        ("预期结果：", "expected"),
        ("希望：", "expected"),
        ("问题描述：", "scenario"),
        ("描述：", "scenario"),
        ("场景：", "scenario"),
        ("使用场景：", "scenario"),
        ("发生场景 :", "scenario"),
        ("1. 问题描述：", "scenario"),
        ("2、复现步骤：", "steps"),
        ("（3）期望结果：", "expected"),
        ("① 场景：", "scenario"),
        ("三、预期：", "expected"),
        ("- 步骤：", "steps"),
        ("【复现步骤】", "steps"),
        ("【期望结果】：", "expected"),
        ("Steps:", "steps"),
        ("Steps to reproduce:", "steps"),
        ("STEPS TO REPRODUCE ：", "steps"),
        ("Expected:", "expected"),
        ("Expected result:", "expected"),
        ("Expected behaviour:", "expected"),
        ("Description:", "scenario"),
        ("产品/版本：", "product"),
        ("ＡＰＰ版本：", "product"),
        ("Version:", "product"),
    ],
)
def test_the_labels_people_write(label: str, field: str) -> None:
    assert parse_form(f"缺陷\n{label} 点支付：然后闪退  ") == {"kind": "缺陷", field: "点支付：然后闪退"}


def test_what_follows_a_label_is_kept_as_typed_and_a_repeated_label_adds_to_its_field() -> None:
    assert parse_form("问题描述：下单页：点支付（App）\n 第二行 \n实际结果：闪退\n期望：不闪退") == {
        "scenario": "下单页：点支付（App）\n第二行\n闪退",
        "expected": "不闪退",
    }
    # Colons inside the text, and numbered steps, are not labels.
    assert parse_form("步骤：\n1. 打开 App\n2. 12:30 点支付\n预期: 不闪退") == {
        "steps": "1. 打开 App\n2. 12:30 点支付",
        "expected": "不闪退",
    }


def test_lengths() -> None:
    assert too_short({"scenario": "首页很慢", "steps": "打开首页看看", "expected": "快"}) == [
        ("scenario", 6),
        ("expected", 4),
    ]
    values, cut = cut_to_length({"scenario": "长" * 2001, "product": "型" * 129, "expected": "x" * 2000})
    assert cut == [("scenario", 2000), ("product", 128)]
    assert (len(values["scenario"]), len(values["product"]), len(values["expected"]), values["steps"]) == (
        2000,
        128,
        2000,
        "",
    )


FORM = """/反馈 缺陷
1. 问题描述：下单页点击支付后 App 闪退
2. 复现步骤：
   加购后点支付
3. 期望结果：正常进入支付页
产品/版本：App 2.3.1"""


async def test_a_form_in_the_labels_people_write_is_submitted(chat: Chat, app) -> None:
    assert await chat.say("bob", FORM) == [f"[playground] @bob 谢谢你的缺陷反馈！编号 FB-1。\n{NEXT}"]
    [item] = await rows(app, items)
    assert (item.scenario, item.steps, item.expected, item.product) == (
        "下单页点击支付后 App 闪退",
        "加购后点支付",
        "正常进入支付页",
        "App 2.3.1",
    )


async def test_a_form_gets_the_wizards_minimum_lengths(chat: Chat, app) -> None:
    assert await chat.say("bob", "/反馈 缺陷\n问题描述：闪退\n复现步骤：点支付\n预期：好") == [
        "[playground] @bob 能再多写一点吗？场景至少 6 个字，步骤至少 6 个字，期望至少 4 个字，写具体些，"
        "负责的同学才能看懂并跟进。\n补全后再发一次就好，也可以发 /反馈 让我一步步问你。"
    ]
    assert await chat.say("bob", "/反馈 建议\n场景：晚上打开 App 屏幕太亮\n期望：暗") == [
        "[playground] @bob 能再多写一点吗？期望至少 4 个字，写具体些，负责的同学才能看懂并跟进。\n"
        "补全后再发一次就好，也可以发 /反馈 让我一步步问你。"
    ]
    assert await rows(app, items) == []


async def test_an_overlong_field_is_kept_to_its_length_and_the_member_is_told(chat: Chat, app) -> None:
    scenario = "下单页点击支付后闪退。" * 1000  # 10,000 characters
    assert await chat.say("bob", f"/反馈 建议\n场景：{scenario}\n期望：正常支付\n产品：{'型号' * 100}") == [
        "[playground] @bob 谢谢你的建议反馈！编号 FB-1。\n场景超过 2000 字，只保存了前 2000 字。\n"
        f"产品/版本超过 128 字，只保存了前 128 字。\n{NEXT}"
    ]
    [item] = await rows(app, items)
    assert (item.scenario, item.product) == (scenario[:2000], "型号" * 64)


@pytest.mark.parametrize("settings_overrides", [{"bot": {"locale": "en"}}])
async def test_lengths_in_english(chat: Chat, app) -> None:
    assert await chat.say("bob", "/feedback bug\nDescription: crash\nSteps to reproduce: tap\nExpected: ok") == [
        "[playground] @bob Could you write a little more (scenario: at least 6 characters; steps: at least 6 "
        "characters; expected: at least 4 characters)? As concretely as you can, so the team can follow it up.\n"
        "Send it again with more, or send /feedback and I will ask step by step."
    ]
    assert await chat.say("bob", f"/feedback suggestion\nScenario: {'slow ' * 500}\nExpected result: faster") == [
        "[playground] @bob Thank you for this suggestion! It is FB-1.\n"
        f"The scenario was longer than 2000 characters: only the first 2000 are kept.\n{NEXT_EN}"
    ]


async def test_the_wizard_asks_again_for_an_overlong_product(chat: Chat, app) -> None:
    await chat.dm("alice", "/反馈 建议")
    await chat.dm("alice", "晚上打开 App 屏幕太亮")
    await chat.dm("alice", "支持深色模式")
    assert await chat.dm("alice", "型" * 129) == ["[dm alice] 这段有点长，请控制在 128 字以内，重点写清楚就好。"]
    assert (await chat.dm("alice", "App 2.3"))[0].startswith("[dm alice] 请确认你的反馈：")
