"""The listening matchers measured on a labelled set of group messages (tests/labelled/listening*.jsonl).

Each line is a group message as members write it, with its `label`: "complaint" (negative information
about the brand's products or service), "question" (asked of the group, to be answered) or "other"
(chatter, answers, praise, negativity about something else, rhetorical questions, jokes); `note` says
why where a reader could wonder. Precision and recall per class, as `make bench` prints them.

History, so the figures are read honestly: the first 184 lines were written with the first word lists.
Three batches were then written without looking at the rules, each measured before the rules learnt
from it: 46 lines (complaints P 0.50 R 0.11, questions P 0.82 R 0.69), 60 lines (complaints P 0.50
R 0.10, questions P 0.85 R 0.73) and 40 lines (complaints P 0.83 R 0.33, questions P 0.86 R 1.00). The
rules now generalise by shapes (a degree word and a negative adjective, "到现在都没", "老是断", "X不上")
rather than by words, but the last held-out figure is the one to expect on new messages for
complaints: many ways of complaining still need their phrase in lexicon.toml.

A fourth batch, 70 lines (28 complaints, 10 questions, 32 others, many of them hard negatives), was
written without looking at the lexicon and kept in its own file, listening_heldout4.jsonl. Measured
before any rule changed: complaints P 0.77 R 0.71, questions P 0.83 R 1.00. The rules then learnt to
compose: a broad list of words that run something down (`evaluation`: 慢, 差点意思, 烫得吓人, 待处理...)
counts when the message also names a target (a topic, a product noun, the member's own use: 用了, 买的,
这款); a phrase denied right after it ("一点毛病没有") and excuses or one's own accident ("正常",
"我自己摔的") do not count. Then a fifth batch, 52 lines (22 complaints, 6 questions, 24 others) in
listening_heldout5.jsonl, written without looking at the new lists: complaints P 0.69 R 0.41,
questions P 0.83 R 0.83; the rules learnt from it too (more general shapes: "X得慌", "一会儿…一会儿",
"以前…现在", "比…差", onomatopoeia, product nouns as targets; life's nuisances as `elsewhere`).
A sixth batch, 40 lines (19 complaints, 5 questions, 16 others) in listening_heldout6.jsonl, written
after that without looking at the lists: complaints P 0.88 R 0.37, questions P 0.67 R 0.80. So recall on
new wording is still the weak point, but precision holds. It taught that praise inside the complaint
itself ("不会再推荐") is no praise, and a few more evaluations (离谱, 冤, 不习惯, "转了二十分钟").
A seventh batch, 40 lines (20 complaints, 5 questions, 15 others) in listening_heldout7.jsonl, written
the same way: complaints P 0.70 R 0.35, questions P 1.00 R 1.00. It taught shapes ("一碰就断", "没上代好",
"少一截", "被取消", "拖了"), advice ("…的话换个头试试") as an answer, and that a Latin word counts next to
Chinese characters ("我家wifi", "这个app"). Then a broad vocabulary of bad reviews went into `evaluation`
(避雷, 翻车, 劣质, 推诿, 爱答不理, junk, flimsy...), and weak evidence asked outright ("这款充电会发热吗")
is a question. An eighth batch, 40 lines (20 complaints, 4 questions, 16 others) in
listening_heldout8.jsonl, written after that: complaints P 0.77 R 0.50, questions P 0.67 R 1.00. It taught
a broken promise read across the "but" (`promised`: "说是顺丰发货，结果…"), a fear that did not come true
("本来以为会硌耳朵"), frequency and miscount shapes, advice ("…的话", "就行"), weather as blame.
A ninth batch, 40 lines (20 complaints, 4 questions, 16 others) in listening_heldout9.jsonl, written
after that: complaints P 0.90 R 0.45, questions P 1.00 R 1.00; it taught more evaluations (回声, 连错,
全没了, 答非所问, 中规中矩, 刚买就...) and household appliances as `elsewhere`. A tenth batch, 40 lines
(20 complaints, 4 questions, 16 others) in listening_heldout10.jsonl: complaints P 0.82 R 0.45,
questions P 1.00 R 1.00; it taught "忽远忽近", "跳来跳去", "退也退不了", 突然, 忙线, 容易刮花, plans
dropped ("本来打算退货的"). Read honestly: fresh batches went from complaint recall 0.35-0.41 to
0.45-0.50, precision 0.69-0.90; expect complaint recall on new groups well under the figure on this set,
around a half, with precision near 0.8-0.9. listening_chatter.jsonl holds 14 lines of everyday chatter
with product-like words (这个, 一般, 没人, 失败, 没电), written after the rules to keep the broad
evaluations from firing on them; 4 of them were complaints before they were narrowed.

Then the rules stopped being the whole matcher. Five new held-out sets, 342 messages in five domains
and styles (electronics, beauty and baby, home and pets, cars and apps, short slang), were written
into bench/listening_sets/heldout and measured first: complaints P 0.88 R 0.48, questions P 0.83
R 0.88. A linear model over character n-grams (handlers/listening/model.py), trained on 2095 messages
written for it (bench/listening_sets/train.jsonl) and on this set, now has the last word beside the
rules; measured after, on the same held-out sets: complaints P 0.94 R 0.82, questions P 0.94 R 0.98.
Read over the strings of the other tests, that model flagged neutral text as complaints (plain
English, where each word was read four times; numbers and times; a lone emoji; two-character words
like 退订), so it was changed without looking at the held-out sets: spaces are not read, n-grams
weigh 1/n^0.75, each emoji is itself, a message under three characters or words needs the rules,
and 131 everyday neutral messages joined the training set (2226 now). Measured again: complaints
P 0.95 R 0.77, questions P 0.92 R 0.98 (cross-validated on the training set, which holds more hard
negatives: complaints P 0.85 R 0.67, questions P 0.90 R 0.92). Trained without this set, the model
alone scored complaints P 0.93 R 0.69 and questions P 0.97 R 0.87 on it: words of another hand.
Since the model has learnt this set, its figures here (near 1.00) say nothing about new messages;
the held-out figures do, and only until someone tunes on them.
`ruled` is the rules' own verdict, which the tests below pin down rule by rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from handlers.feedback import segmenter
from handlers.listening.matching import Kind, classify, fold, is_complaint, is_question, lexicon

LABELLED = Path(__file__).resolve().parent / "labelled"
TARGETS = {Kind.COMPLAINT: (0.8, 0.7), Kind.QUESTION: (0.85, 0.8)}  # (precision, recall)


@dataclass(frozen=True)
class Score:
    kind: Kind
    precision: float
    recall: float
    wrong: list[str]


def load() -> list[dict]:
    return [row for path in sorted(LABELLED.glob("listening*.jsonl")) for row in load_file(path)]


def load_file(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def dictionary() -> Mapping[str, int]:
    """jieba's dictionary, as the running bot has it once the background load is done."""
    return segmenter.words()


def found(text: str, words: Mapping[str, int] | None) -> str:
    match = classify(text, words)
    return match.kind.value if match else "other"


def ruled(text: str, words: Mapping[str, int] | None) -> str:
    """What the rules alone say (the model has the last word in `classify`)."""
    folded, lex = fold(text), lexicon()
    if is_complaint(folded, lex, words):
        return "complaint"
    return "question" if is_question(folded, lex) else "other"


def score(rows: list[dict], kind: Kind, words: Mapping[str, int] | None) -> Score:
    pairs = [(row, found(row["text"], words)) for row in rows]
    right = sum(1 for row, got in pairs if got == kind and row["label"] == kind)
    said = sum(1 for _, got in pairs if got == kind)
    meant = sum(1 for row, _ in pairs if row["label"] == kind)
    wrong = [f"{row['label']} -> {got}: {row['text']}" for row, got in pairs if (got == kind) != (row["label"] == kind)]
    return Score(kind, right / said if said else 0.0, right / meant, wrong)


def test_the_set_is_large_and_varied() -> None:
    rows = load()
    labels = [row["label"] for row in rows]
    assert len(rows) >= 150
    assert {labels.count(k) >= 50 for k in ("complaint", "question", "other")} == {True}
    notes = " ".join(row.get("note", "") for row in rows)
    for hard in ("rhetorical", "not about the product", "praise with negative words", "an answer"):
        assert hard in notes
    assert sum(1 for row in rows if row["text"].isascii()) >= 20  # English


@pytest.mark.parametrize("kind", list(TARGETS))
def test_precision_and_recall_meet_the_targets(kind: Kind) -> None:
    result = score(load(), kind, dictionary())
    precision, recall = TARGETS[kind]
    assert result.precision >= precision and result.recall >= recall, "\n".join(result.wrong)


def test_single_characters_count_only_outside_longer_words() -> None:
    words = dictionary()
    assert ruled("这服务也太差了吧", words) == "complaint"
    assert ruled("蓝牙老是断，烦", words) == "complaint"
    assert ruled("差不多就这样吧", words) == "other"
    assert ruled("坏消息：我的假期结束了", words) == "other"


def test_without_the_dictionary_single_characters_do_not_count() -> None:
    assert ruled("蓝牙断", None) == "other"
    assert ruled("蓝牙老是断", None) == "complaint"  # a shape, not the character


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一点都不卡", "other"),  # negated
        ("产品挺好的，就是物流太慢了", "complaint"),  # the part after "就是" counts
        ("延迟大不大", "question"),  # asked as "A不A"
        ("难道你们都不睡觉的吗", "other"),  # rhetorical
        ("老板又让我改方案，真的崩溃", "other"),  # someone else to blame
        ("为什么我的耳机又连不上了？", "complaint"),  # both: a complaint
        ("@小美\u2005耳机怎么恢复出厂设置", "question"),  # the mention is not read
        ("ＡＰＰ　一打开就闪退", "complaint"),  # full-width folded
        ("这个表带有点掉色", "complaint"),  # a word that runs it down, and what it is about
        ("掉色的衣服真烦人", "other"),  # the same kind of word about nothing of ours
        ("这款表带会掉色吗", "question"),  # weak evidence, asked outright
        ("耳机用了半年，一点毛病没有", "other"),  # denied right after
        ("手机是我自己摔坏的", "other"),  # one's own accident
        ("总之不会再推荐给朋友了", "complaint"),  # the praise word is part of the complaint
        ("说是明天到，结果又延期了", "complaint"),  # a broken promise, read across the "but"
        ("本来以为会卡，结果很流畅", "other"),  # a fear that did not come true
        ("我家wifi太垃圾了", "other"),  # a Latin word next to Chinese characters still counts
    ],
)
def test_rules(text: str, expected: str) -> None:
    assert ruled(text, dictionary()) == expected
