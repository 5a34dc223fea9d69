"""The README's table of every message the bot sends on its own initiative matches the code: each
`ctx.dm` / `ctx.post` with a template named in the code is in the table, in the lane it is written with."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| [^|]+ \| (?P<templates>[^|]+) \| (?P<lane>reply|transactional|unsolicited) \|", re.M)


def _table() -> dict[str, str]:
    """template -> lane, from the README's classification table."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for row in ROW.finditer(readme):
        for template in re.findall(r"`([a-z_]+/[a-z_]+)`", row["templates"]):
            found[template] = row["lane"]
    return found


def _sent_in_code() -> dict[str, tuple[str, str]]:
    """template -> (lane it is written with, where) for each dm/post to someone other than the actor."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted((PROJECT / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("dm", "post") or len(node.args) < 2:
                continue
            to, template = node.args[0], node.args[1]
            if not isinstance(template, ast.Constant) or not isinstance(template.value, str):
                continue  # a template chosen elsewhere
            if ast.unparse(to) in ("ctx.actor", "ctx.community"):
                continue  # a reply where the member wrote
            kinds = [ast.unparse(k.value) for k in node.keywords if k.arg == "message_kind"]
            lane = "transactional" if kinds == ["OutgoingKind.TRANSACTIONAL"] else "unsolicited"
            found[template.value] = (lane, f"{path.relative_to(PROJECT)}:{node.lineno}")
    return found


def test_every_message_the_bot_starts_is_in_the_readme_table_in_its_lane() -> None:
    table, code = _table(), _sent_in_code()
    assert len(code) > 20
    missing = {t: where for t, (_, where) in code.items() if t not in table}
    assert missing == {}
    # A post in the room of the message being answered is a reply when it is written: the code names no kind.
    wrong = {
        t: (lane, table[t], where)
        for t, (lane, where) in code.items()
        if table[t] != lane and (table[t], lane) != ("reply", "unsolicited")
    }
    assert wrong == {}
