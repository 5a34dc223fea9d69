"""Duplicate feedback by meaning: the labelled pairs' precision and recall, the wording table, the
segmenter (off the loop, nothing written or downloaded), and the flows that show duplicates."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.bootstrap import open_app
from handlers.feedback import segmenter
from handlers.feedback.config import FeedbackSection
from handlers.feedback.similar import _kept, rank, report_text
from handlers.feedback.wording import Doc, Scorer, Segment, analyse, default_wording, read_wording
from tests import duplicate_pairs as pairs
from tests.support import Chat

THRESHOLD = FeedbackSection().duplicate_threshold
SETS = {
    "tuned on": (pairs.DUPLICATES, pairs.DIFFERENT),
    "held out, then added": (pairs.HELD_OUT_DUPLICATES, pairs.HELD_OUT_DIFFERENT),
    "never tuned on": (pairs.UNSEEN_DUPLICATES, pairs.UNSEEN_DIFFERENT),
}
ALL_SAME = [p for same, _ in SETS.values() for p in same]
ALL_DIFFERENT = [p for _, different in SETS.values() for p in different]
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def docs() -> dict[str, Doc]:
    segment, wording = segmenter.load(), default_wording()
    return {text: analyse(text, segment, wording) for pair in ALL_SAME + ALL_DIFFERENT for text in pair}


def _figures(scorer: Scorer, docs: dict[str, Doc], same: list, different: list) -> tuple[float, float, list]:
    """Precision, recall, and the pairs it gets wrong (missed duplicates, then false ones)."""
    found = [(a, b) for a, b in same if scorer.score(docs[a], docs[b]) >= THRESHOLD]
    false = [("false", a, b) for a, b in different if scorer.score(docs[a], docs[b]) >= THRESHOLD]
    precision = len(found) / (len(found) + len(false)) if found or false else 1.0
    missed = [("missed", a, b) for a, b in same if (a, b) not in found]
    return precision, len(found) / len(same), missed + false


def test_the_labelled_pairs_meet_the_targets(docs: dict[str, Doc]) -> None:
    """Rarity is taken over every report of the set, as it is over the open items at submission."""
    scorer = Scorer(docs.values())
    assert len(ALL_SAME) + len(ALL_DIFFERENT) >= 60 and abs(len(ALL_SAME) - len(ALL_DIFFERENT)) <= 2
    for name, (same, different) in SETS.items():
        precision, recall, _ = _figures(scorer, docs, same, different)
        print(f"duplicates, {name}: {len(same) + len(different)} pairs, precision {precision:.2f}, recall {recall:.2f}")
    precision, recall, wrong = _figures(scorer, docs, ALL_SAME, ALL_DIFFERENT)
    print(
        f"duplicates, all: {len(ALL_SAME) + len(ALL_DIFFERENT)} pairs at {THRESHOLD}: P {precision:.2f} R {recall:.2f}"
    )
    for what, a, b in wrong:
        print(f"  {what}: {scorer.score(docs[a], docs[b])} {a} | {b}")
    assert precision >= 0.8 and recall >= 0.6
    assert precision >= 0.88 and recall >= 0.8  # what it reaches today: a change to the table must not lose it


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("下单页点击支付后 App 闪退", "一点支付就闪退"),
        ("蓝牙耳机连不上手机", "耳机蓝牙配对一直失败"),
        ("边充电边玩游戏机身温度很高", "充电的时候手机发烫很厉害，烫手"),
        ("商城首页加载不出来，什么都不显示", "打开商城首页一直白屏 希望尽快修复"),
        ("移动电源插上充电器没反应，充不了电", "充电宝充不进电"),
        ("能不能出个夜间模式，晚上用太亮了", "希望增加深色模式，晚上看屏幕太刺眼"),
    ],
)
def test_the_issues_examples_are_found(new: str, old: str) -> None:
    other = "支付成功后没有收到订单短信"
    ranked = rank(segmenter.load(), new, [(1, old), (2, other)])
    assert ranked[0][0] == 1 and ranked[0][1] >= THRESHOLD


@pytest.mark.parametrize(
    ("words", "meaning"),
    [
        (["闪退", "崩溃", "直接退出", "crashes"], "~crash"),
        (["连不上", "配对失败", "搜不到", "won't pair"], "~connect_fail"),
        (["发烫", "温度高"], "~overheat"),
        (["白屏", "加载不出来"], "~blank_screen"),
        (["充电宝", "移动电源", "power bank"], "~power_bank"),
        (["深色模式", "夜间模式", "Dark Mode"], "~dark_mode"),
    ],
)
def test_synonyms_read_as_one_meaning(words: list[str], meaning: str) -> None:
    for word in words:
        assert meaning in analyse(word, str.split, default_wording()).terms, word


def test_the_table_reads_whole_english_words_full_width_forms_and_words_of_two_meanings() -> None:
    wording = default_wording()
    assert "~pay" not in analyse("payday sale", str.split, wording).terms
    full_width = analyse("ＡＰＰ闪退", list, wording)
    assert full_width.terms["~crash"] == 2.0 and full_width.problems == {"~crash"}
    assert {"~connect_fail", "~not_found", "~fail"} <= set(analyse("搜不到", list, wording).terms)
    light = analyse("App 一直 的", str.split, wording)
    assert light.terms == {"app": 0.2, "一直": 0.2}  # "的" says nothing


def _table(factor: float):
    return read_wording(
        '[problems]\ncrash = ["闪退"]\nslow = ["很慢"]\n[broader]\n[things]\npay = ["支付"]\n'
        f"[weights]\nproblem = 2\nlight = 0.2\ndifferent_problems = {factor}\n"
        '[light]\nwords = []\n[stop]\nwords = ["就"]\n'
    )


def test_reports_naming_different_problems_score_by_the_factor() -> None:
    scores = []
    for factor in (1.0, 0.5):
        crash, slow, none = (analyse(t, list, _table(factor)) for t in ("支付就闪退", "支付很慢", "支付"))
        scorer = Scorer([crash, slow, none])
        assert scorer.score(crash, crash) == 100
        assert scorer.score(crash, none) == scorer.score(none, crash) > 0  # one side names no problem
        scores.append(scorer.score(crash, slow))
    assert scores[0] > 0 and abs(scores[1] - scores[0] / 2) <= 1


def test_segmentation_is_loaded_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []

    def fake_load() -> Segment:
        threads.append(threading.current_thread().name)
        return list

    monkeypatch.setattr(segmenter, "_segment", None)
    monkeypatch.setattr(segmenter, "load", fake_load)

    async def first_use() -> Segment:
        return await segmenter.segmenter()

    assert asyncio.run(first_use()) is list
    assert threads and threads[0] != threading.current_thread().name


def test_loading_the_dictionary_writes_nothing_and_reaches_no_network(tmp_path: Path) -> None:
    """jieba's own initialize() writes a cache into the temporary folder; ours builds it in memory."""
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from handlers.feedback.segmenter import load\n"
        "print('/'.join(load()('蓝牙耳机连不上手机')))\n"
    )
    environ = {**os.environ, "TMPDIR": str(tmp_path), "HOME": str(tmp_path), "PYTHONPATH": str(PROJECT)}
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "蓝牙/耳机/连不上/手机"
    assert list(tmp_path.iterdir()) == []


BUG = "/反馈 缺陷\n场景: 一点支付就闪退\n步骤: 加购以后点支付\n期望: 能正常付款"
NEXT = "接下来：运营同学会阅读并整理给负责的团队，通常在 3 个工作日内回复；每次处理进展都会私信告诉你。"


async def test_a_report_in_other_words_is_suggested_without_its_score(chat: Chat) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", "/反馈 缺陷\n场景: 支付成功后没有收到订单短信\n步骤: 下单以后付款\n期望: 收到短信")
    assert await chat.say(
        "dave", "/反馈 缺陷\n场景: 下单页点击支付后 App 闪退\n步骤: 加购后点支付\n期望: 正常支付"
    ) == [
        f"[playground] @dave 谢谢你的缺陷反馈！编号 FB-3。\n{NEXT}\n这些未关闭的反馈看起来很像：\n"
        "· FB-1 [缺陷·已提交] 一点支付就闪退\n如果说的是同一件事，可以发“/反馈 +1 编号 你的情况”补充进去。"
    ]


async def test_moderators_see_possible_duplicates_with_their_scores(chat: Chat) -> None:
    await chat.say("bob", BUG)
    await chat.say("carol", "/反馈 缺陷\n场景: 下单页点击支付后 App 闪退\n步骤: 加购后点支付\n期望: 正常支付")
    await chat.say("dave", "/反馈 建议\n场景: 晚上打开 App 屏幕太亮\n期望：支持深色模式")
    assert await chat.say("mod", "/fb show FB-2") == [  # privately, even asked in the group
        "[dm mod] FB-2 [缺陷·已提交] 下单页点击支付后 App 闪退\n场景：下单页点击支付后 App 闪退\n步骤：加购后点支付\n"
        "期望：正常支付\n反馈人：carol\n可能重复（相似度，满分 100）：\n· FB-1 [缺陷·已提交] 一点支付就闪退（66）\n"
        "记录：\n· 2026-12-01 09:00 carol 已提交"
    ]
    assert await chat.dm("mod", "/fb show FB-3") == [
        "[dm mod] FB-3 [建议·已提交] 晚上打开 App 屏幕太亮\n场景：晚上打开 App 屏幕太亮\n期望：支持深色模式\n"
        "反馈人：dave\n记录：\n· 2026-12-01 09:00 dave 已提交"
    ]
    assert await chat.say("mod", "/fb merge FB-2 FB-1") == [
        "[dm mod] 已把 FB-2 合并到 FB-1「一点支付就闪退」（相似度 66/100），1 人加入并已通知。",
        "[dm carol] 你的反馈 FB-2「下单页点击支付后 App 闪退」和 FB-1「一点支付就闪退」说的是同一件事，已经合并，"
        "之后的进展按 FB-1 通知你。",
    ]
    assert await chat.dm("mod", "/fb show FB-2") == [  # merged: nothing to suggest
        "[dm mod] FB-2 [缺陷·与其他反馈重复] 下单页点击支付后 App 闪退\n场景：下单页点击支付后 App 闪退\n"
        "步骤：加购后点支付\n期望：正常支付\n已合并到 FB-1\n反馈人：carol\n记录：\n· 2026-12-01 09:00 carol 已提交\n"
        "· 2026-12-01 09:00 mod 与其他反馈重复：FB-1"
    ]


@pytest.mark.parametrize("settings_overrides", [{"bot": {"locale": "en"}}])
async def test_the_scores_in_english(chat: Chat) -> None:
    await chat.say(
        "bob",
        "/feedback bug\nscenario: The app crashes when I tap Pay\nsteps: add to cart, pay\nexpected: paying works",
    )
    await chat.say(
        "carol", "/feedback bug\nscenario: App closes itself after pressing pay\nsteps: open the cart\nexpected: to pay"
    )
    assert await chat.dm("mod", "/fb show FB-2") == [
        "[dm mod] FB-2 [bug, submitted] App closes itself after pressing pay\nscenario: App closes itself after "
        "pressing pay\nsteps: open the cart\nexpected: to pay\nreported by: carol\npossible duplicates (similarity "
        "out of 100):\n- FB-1 [bug, submitted] The app crashes when I tap Pay (63)\nhistory:\n"
        "- 2026-12-01 09:00 carol submitted"
    ]
    await chat.say("dave", "/feedback +1 FB-2")
    assert (await chat.say("mod", "/fb merge FB-2 FB-1"))[0] == (  # the answer first, then the members' news
        '[dm mod] FB-2 is merged into FB-1 "The app crashes when I tap Pay" (similarity 63/100); 2 people joined '
        "it and were told."
    )


async def test_open_items_are_analysed_when_the_bot_starts(settings, clock, transport, registries) -> None:
    first = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await first.start()
    await Chat(first, transport).say("bob", BUG)
    await first.close()
    _kept.clear()
    second = await open_app(settings, transport=transport, registries=registries, clock=clock)
    await second.start()
    try:
        await second.start_work_done()
        assert report_text("一点支付就闪退", "能正常付款") in _kept
    finally:
        await second.close()
