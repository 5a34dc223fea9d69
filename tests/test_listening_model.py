"""The listening model (handlers/listening/model.py): the shipped weights are what the training script makes
of its data, it reads a message as documented, and it needs neither jieba's dictionary nor the rules'
work for most messages."""

from __future__ import annotations

import json

import pytest

from bench import listening_train as training
from handlers.feedback import segmenter
from handlers.listening.matching import classify, fold
from handlers.listening.model import decide, model, ngrams, read, units


def test_the_shipped_weights_are_the_training_scripts_output() -> None:
    """Whoever edits the training data or the script retrains (`python -m bench.listening_train`); the
    thresholds come from its cross-validation, checked in full by `--check`."""
    text = training.WEIGHTS.read_text("utf-8")
    words = segmenter.words()
    examples, _ = training.examples_of(training.load(), words)
    always, _ = training.examples_of(training.labelled(), words)
    rebuilt = training.shipped(training.final(examples, always), json.loads(text)["thresholds"])
    assert training.dumps(rebuilt) == text


def test_the_training_and_held_out_sets_do_not_overlap() -> None:
    held_out = {
        json.loads(line)["text"]
        for path in (training.ROOT / "bench" / "listening_sets" / "heldout").glob("*.jsonl")
        for line in path.read_text("utf-8").splitlines()
    }
    trained = {row["text"] for row in [*training.load(), *training.labelled()]}
    assert len(held_out) >= 300 and not held_out & trained


def test_a_message_is_read_as_characters_latin_words_and_marks() -> None:
    assert units(fold("APP又崩了！！ 3次了😡 why?")) == [
        "^", "app", "又", "崩", "了", "!", "!", "0", "次", "了", "😡", "why", "?", "$"
    ]  # fmt: skip
    assert units(fold("好的，谢谢。")) == ["^", "好", "的", "|", "谢", "谢", "$"]
    assert units("not working at all") == ["^", "not", "working", "at", "all", "$"]  # spaces are not read
    assert {"^ 又", "又 坏", "又 坏 了", "了 $", "坏"} <= ngrams(units("又坏了"))


def test_a_long_message_does_not_weigh_more_for_its_length_alone() -> None:
    short, long = read("垃圾").found, read("耳机用了两周右耳就没声音了，客服也一直没回复，真的很失望，不会再买了").found
    assert max(long.values()) < min(short.values())
    assert sum(long.values()) < 2 * sum(short.values()) and len(long) > 10 * len(short)


def test_the_rules_are_asked_only_between_the_thresholds() -> None:
    asked: list[str] = []

    def agrees(kind: str) -> bool:
        asked.append(kind)
        return True

    thresholds = ((0.7, 0.2), (0.6, 0.1))
    assert decide((0.9, 0.0), thresholds, agrees) == "complaint" and asked == []
    assert decide((0.1, 0.05), thresholds, agrees) is None and asked == []
    assert decide((0.3, 0.0), thresholds, agrees) == "complaint" and asked == ["complaint"]
    assert decide((0.1, 0.3), thresholds, lambda kind: False) is None


def test_a_short_message_needs_the_rules() -> None:
    """Two characters say too little for the model alone ("退订", "还在", an emoji)."""
    assert [read(text).short for text in ("退订", "🙏", "not working", "又坏了", "it's not working")] == [
        True, True, True, False, False
    ]  # fmt: skip
    thresholds = ((0.7, 0.2), (0.6, 0.1))
    assert decide((0.9, 0.0), thresholds, lambda kind: False, short=True) is None
    assert decide((0.9, 0.0), thresholds, lambda kind: kind == "complaint", short=True) == "complaint"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("又坏了", "complaint"),
        ("垃圾", "complaint"),
        ("产品挺好的，就是物流太慢了", "complaint"),
        ("客服三天了都没人理", "complaint"),
        ("the app keeps crashing since the update", "complaint"),
        ("耳机怎么恢复出厂设置", "question"),
        ("有没有人知道保修多久", "question"),
        ("延迟大不大", "question"),
        ("难道你们都不睡觉的吗", "other"),
        ("老板又让我改方案，真的崩溃", "other"),
        ("本来以为会卡，结果很流畅", "other"),
        ("谢谢大家，已经解决了", "other"),
        ("🙏", "other"),
        ("666", "other"),
        ("08:30", "other"),
    ],
)
def test_the_matcher_without_jiebas_dictionary(text: str, expected: str) -> None:
    """Before the dictionary is loaded (the bot's first seconds) the model still reads every message."""
    match = classify(text, None)
    assert (match.kind.value if match else "other") == expected


def test_the_weights_are_read_once() -> None:
    assert model() is model()
    assert len(model().weights) > 1000
