"""The sandbox for moderator-authored templates: documented variables only, no way into Python."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from bot.errors import UserFacingError

_LOGGER = logging.getLogger(__name__)

MAX_SOURCE = 2000  # characters a moderator may save
MAX_OUTPUT = 4000  # characters one rendering may produce
MAX_LOOP_DEPTH = 1  # no nested loops: a loop over a loop is where CPU bombs live
NAME = re.compile(r"[\w-]{1,32}")

# The documented variables and the fields of each (see the README and /template help).
VARIABLES: dict[str, tuple[str, ...]] = {
    "community": ("name", "members"),
    "member": ("name", "points", "titles"),
    "stats": ("thanks_this_month", "open_feedback", "joined_this_month"),
    "date": ("year", "month", "day", "weekday", "isoweekday", "strftime", "isoformat"),
    "now": ("year", "month", "day", "hour", "minute", "weekday", "isoweekday", "strftime", "isoformat", "date"),
    "bot_name": (),
}
# Attributes and methods of plain values a template may use; everything else is out of reach.
_STRING = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "count",
        "find",
        "isdigit",
    }
)
_SAFE_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STRING,
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items"}),
    datetime: frozenset(VARIABLES["now"]),
    date: frozenset(VARIABLES["date"]),
}
_SAFE_METHODS = _STRING | {
    "count",
    "index",
    "get",
    "keys",
    "values",
    "items",
    "weekday",
    "isoweekday",
    "strftime",
    "isoformat",
    "date",
    "cycle",
}  # loop.cycle
_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
)
_ALL_FILTERS = frozenset({*_FILTERS, "join", "replace"})
_REFUSED_TAGS: dict[type, str] = {
    nodes.Assign: "set",
    nodes.AssignBlock: "set",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.FilterBlock: "filter",
    nodes.With: "with",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from",
    nodes.Extends: "extends",
    nodes.Block: "block",
    nodes.ScopedEvalContextModifier: "autoescape",
    nodes.EvalContextModifier: "autoescape",
}


# The views a template sees: plain values, nothing with a way back into the bot.


@dataclass(frozen=True, slots=True)
class CommunityView:
    name: str
    members: int

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class MemberView:
    name: str
    points: int
    titles: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class StatsView:
    thanks_this_month: int
    open_feedback: int
    joined_this_month: int


_VIEWS = {CommunityView: "community", MemberView: "member", StatsView: "stats"}


# What goes wrong, each answered politely in the user's language.


class CustomTemplateError(UserFacingError):
    """A moderator-authored template could not be used; its template explains why."""


class UnknownTemplate(CustomTemplateError):
    def __init__(self, name: str) -> None:
        super().__init__("outreach/template_unknown", name=name)
        self.name = name


class TemplateRefused(CustomTemplateError):
    """The text cannot be saved (or used): `reason` says why and `line` where."""

    def __init__(self, reason: str, line: int | None = None, **details: Any) -> None:
        super().__init__("outreach/template_refused", reason=reason, line=line, details=details)
        self.reason = reason
        self.line = line
        self.details = details


class TemplateRenderFailed(CustomTemplateError):
    """A saved template failed while rendering (the sandbox stopped it, or a value was missing)."""

    def __init__(self, name: str, reason: str, detail: str = "") -> None:
        super().__init__("outreach/template_render_failed", name=name, reason=reason, detail=detail)
        self.name = name
        self.reason = reason
        self.detail = detail


# The environment.


def _join(value: Iterable[Any], separator: str = "") -> str:
    items = [str(item) for item in value]
    if sum(map(len, items)) + len(separator) * max(len(items) - 1, 0) > MAX_OUTPUT:
        raise SecurityError("join would produce too much text")
    return str(separator).join(items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None:
        times = min(times, max(count, 0))
    if len(text) + times * max(len(new) - len(old), 0) > MAX_OUTPUT:
        raise SecurityError("replace would produce too much text")
    return text.replace(old, new, -1 if count is None else count)


class SafeEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox, narrowed: no globals, a short list of filters, attributes by allow-list,
    and arithmetic that cannot build huge values."""

    intercepted_binops = frozenset({"*", "**", "%"})  # also keeps them out of compile-time folding

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True, cache_size=0
        )
        self.globals.clear()  # no range, cycler, joiner, lipsum, namespace, dict
        kept = {name: self.filters[name] for name in _FILTERS}
        self.filters.clear()
        self.filters.update(kept, join=_join, replace=_replace)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        view = _VIEWS.get(type(obj))
        if view is not None:
            return attr in VARIABLES[view]
        for cls in type(obj).__mro__:
            if cls in _SAFE_ATTRIBUTES:
                return attr in _SAFE_ATTRIBUTES[cls]
        return type(obj).__name__ == "LoopContext" and attr in _LOOP_ATTRIBUTES

    def wrap_str_format(self, value: Any) -> None:
        # Jinja offers a sandboxed str.format; its field widths still build huge strings. No format at all.
        return None

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
            return left**right
        if operator == "*":
            _check_repeat(left, right)
            return left * right
        if isinstance(left, str):
            raise SecurityError("% string formatting is not available")
        return left % right


_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "previtem", "nextitem"}
)


def _check_power(base: Any, exponent: Any) -> None:
    if (
        isinstance(base, int | float)
        and isinstance(exponent, int | float)
        and abs(exponent) <= 64
        and abs(base) <= 10**6
    ):
        return
    raise SecurityError("the number would be too large")


def _check_repeat(left: Any, right: Any) -> None:
    sequence, times = (left, right) if isinstance(left, str | list | tuple) else (right, left)
    if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > MAX_OUTPUT:
        raise SecurityError("the text would be too long")


# Static checks, when saved and again when compiled for rendering.


def _line(node: nodes.Node) -> int | None:
    return getattr(node, "lineno", None)


def _check_node(node: nodes.Node, depth: int) -> None:
    """Refuse what templates may not do, anywhere in the tree; loops may not nest."""
    _check_names_and_tags(node)
    _check_access(node)
    if isinstance(node, nodes.Filter) and node.name not in _ALL_FILTERS:
        raise TemplateRefused("filter", _line(node), what=node.name, allowed=sorted(_ALL_FILTERS))
    if isinstance(node, nodes.Call):
        _check_call(node)
    if isinstance(node, nodes.Mod) and isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
        raise TemplateRefused("percent", _line(node))
    if isinstance(node, nodes.For):
        if node.recursive or depth >= MAX_LOOP_DEPTH:
            raise TemplateRefused("loop", _line(node))
        depth += 1
    for child in node.iter_child_nodes():
        _check_node(child, depth)


def _check_names_and_tags(node: nodes.Node) -> None:
    if isinstance(node, nodes.Name) and node.name == "self":  # Jinja's own reference to the template
        raise TemplateRefused("variable", _line(node), what="self", known=list(VARIABLES))
    tag = _REFUSED_TAGS.get(type(node))
    if tag is not None:
        raise TemplateRefused("tag", _line(node), what=tag)


def _check_access(node: nodes.Node) -> None:
    """No underscore names, and only the documented fields of the documented variables."""
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        raise TemplateRefused("internals", _line(node), what=node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
        raise TemplateRefused("internals", _line(node), what=str(node.arg.value))
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name in VARIABLES:
        fields = VARIABLES[node.node.name]
        if node.attr not in fields:
            raise TemplateRefused("field", _line(node), variable=node.node.name, field=node.attr, fields=list(fields))


def _check_call(node: nodes.Call) -> None:
    target = node.node
    if isinstance(target, nodes.Getattr) and target.attr in _SAFE_METHODS:
        return
    if isinstance(target, nodes.Getattr):
        what = target.attr
    elif isinstance(target, nodes.Name):
        what = target.name
    else:
        what = "()"
    if what.startswith("_"):
        raise TemplateRefused("internals", _line(node), what=what)
    raise TemplateRefused("call", _line(node), what=what)


def _first_use(tree: nodes.Template, name: str) -> int | None:
    found = next((n for n in tree.find_all(nodes.Name) if n.name == name), None)
    return _line(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class Compiled:
    template: Any  # jinja2.Template
    variables: tuple[str, ...]  # the documented names it uses


class TemplateSandbox:
    """Checks, compiles (cached by source) and renders moderator-authored templates."""

    def __init__(self, cache_size: int = 256) -> None:
        self.environment = SafeEnvironment()
        self._cache: OrderedDict[str, Compiled] = OrderedDict()
        self._cache_size = cache_size

    def check(self, source: str) -> Compiled:
        """Compile `source`, or raise TemplateRefused with the line and the reason."""
        cached = self._cache.get(source)
        if cached is not None:
            self._cache.move_to_end(source)
            return cached
        compiled = self._compile(source)
        self._cache[source] = compiled
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return compiled

    def _compile(self, source: str) -> Compiled:
        if not source.strip():
            raise TemplateRefused("empty")
        if len(source) > MAX_SOURCE:
            raise TemplateRefused("too_long", limit=MAX_SOURCE, length=len(source))
        try:
            tree = self.environment.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateRefused("syntax", exc.lineno, detail=exc.message or "") from None
        _check_node(tree, 0)
        try:
            used = meta.find_undeclared_variables(tree)
            unknown = sorted(used - VARIABLES.keys())
            if unknown:
                raise TemplateRefused("variable", _first_use(tree, unknown[0]), what=unknown[0], known=list(VARIABLES))
            template = self.environment.from_string(tree)
        except TemplateError as exc:  # e.g. a test that does not exist
            raise TemplateRefused("syntax", getattr(exc, "lineno", None), detail=str(exc.message or "")) from None
        return Compiled(template, tuple(sorted(used)))

    def render(self, name: str, source: str, context: Mapping[str, Any]) -> str:
        """Render a saved template; anything the sandbox stops becomes TemplateRenderFailed."""
        compiled = self.check(source)
        missing = [v for v in compiled.variables if v not in context]
        if missing:
            raise TemplateRenderFailed(name, "needs", ", ".join(missing))
        try:
            return _bounded(compiled.template.generate(dict(context)))
        except SecurityError as exc:
            _LOGGER.warning("template %r stopped by the sandbox: %s", name, exc)
            raise TemplateRenderFailed(name, "unsafe", str(exc)) from None
        except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
            _LOGGER.warning("template %r failed: %r", name, exc)
            raise TemplateRenderFailed(name, "error", _short(exc)) from None


def _bounded(chunks: Iterator[str]) -> str:
    parts: list[str] = []
    length = 0
    for chunk in chunks:
        length += len(chunk)
        if length > MAX_OUTPUT:
            raise SecurityError(f"the text would be longer than {MAX_OUTPUT} characters")
        parts.append(chunk)
    return "".join(parts).strip()


def _short(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return text[:200]
