"""Compiling and rendering user templates in Jinja2's sandbox, narrowed; `render_request` is what a worker runs."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes, pass_environment
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from bot.sandbox.checks import Vocabulary, check_tree, line_of, names_of
from bot.sandbox.filters import BUDGET, GLOBALS, STEPS_FILTER, build_filters, build_tests, safe_range
from bot.sandbox.limits import Budget, Limits, Refusal, Refused, power_ok

_DATE = frozenset({"year", "month", "day", "weekday", "isoweekday", "strftime", "isoformat"})
_SAFE_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: frozenset(
        {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith"}
        | {"split", "count", "find", "isdigit"}
    ),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items"}),
    datetime: _DATE | {"hour", "minute", "date"},
    date: _DATE,
}
_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "previtem", "nextitem"}
)
_COLLECTIONS = (list, tuple, dict, set, frozenset, range)


@dataclass(frozen=True, slots=True)
class View:
    """A documented variable's value: named fields, read-only, and the text it stands for alone (`{{ member }}`)."""

    text: str
    fields: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, text: str = "", /, **fields: Any) -> View:
        return cls(text, tuple(fields.items()))

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def field(self, name: str) -> Any:
        for key, value in self.fields:
            if key == name:
                return value
        raise KeyError(name)

    def __str__(self) -> str:
        return self.text


@pass_environment
def _finalize(environment: SafeEnvironment, value: Any) -> Any:
    """What `{{ ... }}` prints: a huge list is refused before it is turned into text."""
    if isinstance(value, _COLLECTIONS) and len(value) > environment.limits.output:
        raise Refused("text", limit=environment.limits.output)
    return value


class SafeEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox, narrowed: one global (range), allow-listed filters and tests with their argument
    limits, attributes by allow-list, arithmetic that cannot build huge values, and no str.format."""

    intercepted_binops = frozenset({"*", "**", "%"})  # also keeps them out of compile-time folding

    def __init__(self, limits: Limits) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            cache_size=0,
            finalize=_finalize,
        )
        self.limits = limits
        self.globals.clear()  # no cycler, joiner, lipsum, namespace, dict
        self.globals["range"] = safe_range
        self.filters.clear()
        self.filters.update(build_filters())
        self.tests.clear()
        self.tests.update(build_tests())

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, View):
            try:
                return obj.field(attribute)
            except KeyError:  # only the documented fields exist
                return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        # map(attribute="number"), selectattr("status"), sort(attribute=...) read a View's fields this way.
        if isinstance(obj, View) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        for cls in type(obj).__mro__:
            if cls in _SAFE_ATTRIBUTES:
                return attr in _SAFE_ATTRIBUTES[cls]
        return type(obj).__name__ == "LoopContext" and attr in _LOOP_ATTRIBUTES

    def wrap_str_format(self, value: Any) -> None:
        # Jinja offers a sandboxed str.format; its field widths still build huge strings. No format at all.
        return None

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if not power_ok(left, right):
                raise Refused("number")
            return left**right
        if operator == "*":
            _check_product(left, right, self.limits.output)
            return left * right
        if isinstance(left, str):
            raise Refused("percent")
        return left % right


def _check_product(left: Any, right: Any, limit: int) -> None:
    if isinstance(left, list | tuple) or isinstance(right, list | tuple):
        raise Refused("list_repeat")
    text, times = (left, right) if isinstance(left, str) else (right, left)
    if isinstance(text, str) and isinstance(times, int) and len(text) * times > limit:
        raise Refused("text", limit=limit)
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 4 * limit:
        raise Refused("number")


@dataclass(frozen=True, slots=True)
class Compiled:
    template: Any  # jinja2.Template
    variables: tuple[str, ...]  # the documented names it uses


class Engine:
    """Checks, compiles (cached by source) and renders user templates under `limits`."""

    def __init__(self, vocabulary: Vocabulary, limits: Limits | None = None, cache_size: int = 256) -> None:
        self.vocabulary = vocabulary
        self.limits = limits = limits or Limits()
        self.environment = SafeEnvironment(limits)
        self._cache: OrderedDict[str, Compiled] = OrderedDict()
        self._cache_size = cache_size

    def check(self, source: str) -> Compiled:
        """Compile `source`, or raise Refused with the line and the reason."""
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
        tree = self._parse(source)
        check_tree(tree, self.vocabulary)
        try:
            used = meta.find_undeclared_variables(tree) - GLOBALS
            unknown = sorted(used - self.vocabulary.keys())
            if unknown:
                known = names_of(self.vocabulary)
                raise Refused("variable", _first_use(tree, unknown[0]), what=unknown[0], known=known)
            template = self.environment.from_string(_count_loop_rounds(tree))
        except Refused:
            raise
        except TemplateError as exc:  # e.g. a test that does not exist
            raise Refused("syntax", getattr(exc, "lineno", None), detail=str(exc.message or "")) from None
        return Compiled(template, tuple(sorted(used)))

    def _parse(self, source: str) -> nodes.Template:
        if not source.strip():
            raise Refused("empty")
        if len(source) > self.limits.source:
            raise Refused("too_long", limit=self.limits.source, length=len(source))
        try:
            return self.environment.parse(source)
        except TemplateSyntaxError as exc:
            raise Refused("syntax", exc.lineno, detail=exc.message or "") from None
        except RecursionError:
            raise Refused("nesting") from None

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        """The text, or Refused: a limit's reason, "unsafe" for the sandbox's own stops, "error" otherwise."""
        compiled = self.check(source)
        try:
            chunks = compiled.template.generate({**context, BUDGET: Budget(self.limits.steps)})
            return _bounded(chunks, self.limits.output)
        except Refused as exc:
            raise Refused(exc.reason, exc.line or _template_line(exc.__traceback__), **exc.details) from None
        except SecurityError as exc:
            raise Refused("unsafe", _template_line(exc.__traceback__), detail=_short(exc)) from None
        except MemoryError:
            raise
        except Exception as exc:  # a value that does not fit (1 // 0, a missing key...): the template's own error
            raise Refused("error", _template_line(exc.__traceback__), detail=_short(exc)) from None


def _count_loop_rounds(tree: nodes.Template) -> nodes.Template:
    """Every loop pays a step a round: its iterable goes through the steps filter."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, STEPS_FILTER, [], [], None, None, lineno=loop.lineno)
    return tree


def _first_use(tree: nodes.Template, name: str) -> int | None:
    found = next((n for n in tree.find_all(nodes.Name) if n.name == name), None)
    return line_of(found) if found is not None else None


def _bounded(chunks: Iterator[str], limit: int) -> str:
    parts: list[str] = []
    length = 0
    for chunk in chunks:
        length += len(chunk)
        if length > limit:
            raise Refused("output", limit=limit)
        parts.append(chunk)
    return "".join(parts).strip()


def _template_line(tb: TracebackType | None) -> int | None:
    """The template's line where rendering stopped (Jinja rewrites tracebacks to show it)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _short(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text)[:200]


# The worker's side.


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """One rendering, as sent to a worker process: plain, picklable values only."""

    source: str
    context: dict[str, Any]
    vocabulary: tuple[tuple[str, tuple[str, ...]], ...]
    limits: Limits


@dataclass(frozen=True, slots=True)
class Rendered:
    """The text; or `refused`: the template itself may not be used (the checks made when saving); or
    `failure`: it stopped while rendering these values (a limit, or its own error)."""

    text: str | None = None
    refused: Refusal | None = None
    failure: Refusal | None = None


@functools.lru_cache(maxsize=8)
def _engine(vocabulary: tuple[tuple[str, tuple[str, ...]], ...], limits: Limits) -> Engine:
    """A worker's engines, one per vocabulary and limits, each with its compiled templates."""
    return Engine(dict(vocabulary), limits)


def render_request(request: RenderRequest) -> Rendered:
    """Render in this (worker) process; every failure comes back as data. MemoryError is left to the
    worker pool, which answers for it and replaces the process."""
    engine = _engine(request.vocabulary, request.limits)
    try:
        engine.check(request.source)
    except Refused as exc:
        return Rendered(refused=exc.refusal())
    try:
        return Rendered(text=engine.render(request.source, request.context))
    except Refused as exc:
        return Rendered(failure=exc.refusal())
