"""The one-shot form: the labels people write, and the lengths the guided conversation asks for too.

A labelled line is `标签：内容` with a half- or full-width colon, or `【标签】内容`; it may be
numbered (`1.`, `2、`, `（3）`, `①`, `一、`) or bulleted. Labels are compared without case, spaces and
full-width forms; the text after them is kept exactly as typed. A line without a label continues the
field before it, and a label given twice adds to its field (`问题描述` then `实际结果`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from handlers.feedback.rules import parse_kind
from handlers.feedback.tables import Kind

MIN_LENGTH: Mapping[str, int] = {"scenario": 6, "steps": 6, "expected": 4}  # characters, spaces aside
MAX_LENGTH: Mapping[str, int] = {"scenario": 2000, "steps": 2000, "expected": 2000, "product": 128}
FIELDS = ("scenario", "steps", "expected", "product")
_WORDS: Mapping[str, tuple[str, ...]] = {
    "kind": ("类型", "反馈类型", "种类", "type", "kind", "feedback type"),
    "scenario": (
        *("场景", "使用场景", "发生场景", "问题场景", "问题描述", "描述", "问题", "现象", "问题现象", "详细描述"),
        *("情况描述", "反馈内容", "实际结果", "实际情况", "scenario", "description", "problem", "issue"),
        *("what happened", "actual result", "actual"),
    ),
    "steps": (
        *("步骤", "复现步骤", "重现步骤", "操作步骤", "复现路径", "重现路径", "操作路径", "复现方法", "如何复现"),
        *("steps", "steps to reproduce", "repro steps", "reproduction steps", "how to reproduce", "to reproduce"),
    ),
    "expected": (
        *("期望", "期望结果", "预期", "预期结果", "希望", "期待", "期望效果", "预期效果", "改进建议"),
        *("解决方案", "期望的解决方案", "expected", "expected result", "expected behaviour", "expected behavior"),
        *("expectation", "what you expected", "wish"),
    ),
    "product": (
        *("产品", "版本", "产品版本", "产品/版本", "型号", "机型", "设备", "设备型号", "app版本", "系统版本"),
        *("product", "version", "device", "model", "app version", "product/version"),
    ),
}


def _key(label: str) -> str:
    """`Steps to reproduce`, `STEPS TO REPRODUCE`, `复现 步骤`, `ＡＰＰ版本` alike."""
    return "".join(unicodedata.normalize("NFKC", label).lower().split())


LABELS: Mapping[str, str] = {_key(word): field for field, words in _WORDS.items() for word in words}
_NUMBERING = r"(?:\d{1,2}\s*[.、．)）]|[(（]\s*\d{1,2}\s*[)）]|[①-⑳]|[一二三四五六七八九十]{1,2}\s*、|[-*•·])?"
_LINE = re.compile(
    rf"^\s*{_NUMBERING}\s*(?:【\s*(?P<bracketed>[^】]{{1,30}})\s*】\s*[:：]?|(?P<label>[^:：【】]{{1,30}}?)\s*[:：])\s*"
    r"(?P<rest>.*)$"
)


def _label(line: str) -> tuple[str, str] | None:
    """(field, text after the label) when the line starts with a known label."""
    match = _LINE.match(line)
    if match is None:
        return None
    field = LABELS.get(_key(match.group("bracketed") or match.group("label")))
    return None if field is None else (field, match.group("rest").strip())


def parse_form(text: str) -> dict[str, str]:
    """The fields of a pasted form; the first line may be just the type (`建议`)."""
    fields: dict[str, str] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines()):
        labelled = _label(line)
        if labelled is not None:
            current, value = labelled
            fields[current] = f"{fields[current]}\n{value}".strip() if current in fields else value
        elif number == 0 and parse_kind(line):
            fields["kind"] = line.strip()
        elif current is not None and line.strip():
            fields[current] = f"{fields[current]}\n{line.strip()}".strip()
    return fields


def missing_fields(kind: Kind | None, fields: Mapping[str, str]) -> list[str]:
    """The required fields a form lacks, in form order: type, scenario, steps (bugs), expected."""
    needed = ["kind", "scenario", *(["steps"] if kind is Kind.BUG else []), "expected"]
    return [name for name in needed if not (kind if name == "kind" else fields.get(name, "").strip())]


def too_short(fields: Mapping[str, str]) -> list[tuple[str, int]]:
    """(field, least) for each given field shorter than the guided conversation accepts."""
    return [(name, least) for name, least in MIN_LENGTH.items() if name in fields and len(fields[name]) < least]


def cut_to_length(fields: Mapping[str, str]) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """The stored values, each at most its length, and (field, most) for each one that was cut."""
    values = {name: fields.get(name, "").strip() for name in FIELDS}
    cut = [(name, MAX_LENGTH[name]) for name in FIELDS if len(values[name]) > MAX_LENGTH[name]]
    return {name: value[: MAX_LENGTH[name]] for name, value in values.items()}, cut
