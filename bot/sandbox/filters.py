"""The only filters, tests and globals a user template has, each with its argument limits, checked as it runs.

Every filter is wrapped: its arguments are checked against its `Arg`s with the real values, and the
items it goes through are paid for from the rendering's `Budget`. The wrappers take the context
(`pass_context`), which also keeps Jinja from running them while it compiles (constant folding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import Undefined, pass_context
from jinja2 import filters as jinja_filters
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import Context
from jinja2.tests import TESTS as JINJA_TESTS

from bot.sandbox.limits import MAX_OUTPUT, MAX_PRECISION, SHORT_TEXT, Budget, Limits, Refused

BUDGET = "kocbot budget"  # the context key of the rendering's Budget: no template can name it (a space)
STEPS_FILTER = "_steps"  # wrapped around every loop's iterable by the engine; templates cannot write it


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a filter and what it may be. `literal`: it must be written in the template itself."""

    name: str
    kind: str  # int, number, bool, text, name, choice, any, filter, test
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    literal: bool = False

    def accepts(self, value: Any) -> bool:
        check = _KINDS.get(self.kind)
        return check is None or check(self, value)

    def describe(self) -> dict[str, Any]:
        """For the refusal's wording: the kind and its bounds."""
        found: dict[str, Any] = {"kind": self.kind}
        if self.low is not None or self.high is not None:
            found.update(low=self.low, high=self.high)
        if self.choices:
            found["choices"] = list(self.choices)
        return found


def _is_int(arg: Arg, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (arg.low is None or value >= arg.low) and (arg.high is None or value <= arg.high)


def _is_number(arg: Arg, value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _is_text(arg: Arg, value: Any) -> bool:
    return isinstance(value, str) and (arg.high is None or len(value) <= arg.high)


def _is_name(arg: Arg, value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and len(value) <= 64 and not any(p.startswith("_") for p in value.split("."))


_KINDS: dict[str, Callable[[Arg, Any], bool]] = {
    "int": _is_int,
    "number": _is_number,
    "bool": lambda arg, value: isinstance(value, bool | int),
    "text": _is_text,
    "name": _is_name,
    "choice": lambda arg, value: value in arg.choices,
    "filter": lambda arg, value: value in MAPPABLE,
    "test": lambda arg, value: value in TESTS,
}
ATTRIBUTE = Arg("attribute", "name")
CASE = Arg("case_sensitive", "bool")


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """An allowed filter: its arguments in order, and whether it goes through every item of its input."""

    name: str
    args: tuple[Arg, ...] = ()
    every_item: bool = False
    extra_args: bool = False  # map/select pass what follows the filter or test name on to it

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[tuple[Arg, Any]]:
        """Pair each given argument with its Arg; Refused for one too many or an unknown name."""
        if self.extra_args:  # what follows map's filter (select's test) and any keywords are that one's
            args, kwargs = args[: len(self.args)], {}
        if len(args) > len(self.args):
            raise Refused("arguments", filter=self.name, most=len(self.args))
        named = {arg.name: arg for arg in self.args}
        unknown = [key for key in kwargs if key not in named]
        if unknown:
            raise Refused("argument_name", filter=self.name, argument=unknown[0], known=list(named))
        return [*zip(self.args, args, strict=False), *((named[key], value) for key, value in kwargs.items())]

    def check(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        for arg, value in self.bind(args, kwargs):
            if not arg.accepts(value):
                raise Refused("argument", filter=self.name, argument=arg.name, **arg.describe())


SPECS: dict[str, FilterSpec] = {
    spec.name: spec
    for spec in (
        FilterSpec("abs"),
        FilterSpec("capitalize"),
        FilterSpec("lower"),
        FilterSpec("upper"),
        FilterSpec("title"),
        FilterSpec("trim", (Arg("chars", "text", high=SHORT_TEXT),)),
        FilterSpec("wordcount"),
        FilterSpec("string"),
        FilterSpec("int", (Arg("default", "number"), Arg("base", "int", low=2, high=36))),
        FilterSpec("float", (Arg("default", "number"),)),
        FilterSpec("default", (Arg("default_value", "any"), Arg("boolean", "bool"))),
        FilterSpec("d", (Arg("default_value", "any"), Arg("boolean", "bool"))),
        FilterSpec(
            "round",
            (
                Arg("precision", "int", low=-MAX_PRECISION, high=MAX_PRECISION, literal=True),
                Arg("method", "choice", choices=("common", "ceil", "floor"), literal=True),
            ),
        ),
        FilterSpec(
            "truncate",
            (
                Arg("length", "int", low=0, high=MAX_OUTPUT),
                Arg("killwords", "bool"),
                Arg("end", "text", high=SHORT_TEXT),
                Arg("leeway", "int", low=0, high=SHORT_TEXT),
            ),
        ),
        FilterSpec(
            "replace",
            (
                Arg("old", "text", high=MAX_OUTPUT),
                Arg("new", "text", high=MAX_OUTPUT),
                Arg("count", "int", low=0, high=MAX_OUTPUT),
            ),
        ),
        FilterSpec("length"),
        FilterSpec("count"),
        FilterSpec("first"),
        FilterSpec("last"),
        FilterSpec("list", every_item=True),
        FilterSpec("reverse", every_item=True),
        FilterSpec("join", (Arg("d", "text", high=SHORT_TEXT), ATTRIBUTE), every_item=True),
        FilterSpec("unique", (CASE, ATTRIBUTE), every_item=True),
        FilterSpec("sort", (Arg("reverse", "bool"), CASE, ATTRIBUTE), every_item=True),
        FilterSpec("min", (CASE, ATTRIBUTE), every_item=True),
        FilterSpec("max", (CASE, ATTRIBUTE), every_item=True),
        FilterSpec("sum", (ATTRIBUTE, Arg("start", "number", literal=True)), every_item=True),
        FilterSpec("map", (Arg("filter", "filter", literal=True),), every_item=True, extra_args=True),
        FilterSpec("select", (Arg("test", "test", literal=True),), every_item=True, extra_args=True),
        FilterSpec("reject", (Arg("test", "test", literal=True),), every_item=True, extra_args=True),
        FilterSpec("selectattr", (ATTRIBUTE, Arg("test", "test", literal=True)), every_item=True, extra_args=True),
        FilterSpec("rejectattr", (ATTRIBUTE, Arg("test", "test", literal=True)), every_item=True, extra_args=True),
    )
}
# map('upper') runs another filter on each item: any but those that take a filter or a test themselves.
MAPPABLE: frozenset[str] = frozenset(SPECS) - {"map", "select", "reject", "selectattr", "rejectattr"}
# map(attribute='name', default='') is the other form of map.
MAP_ATTRIBUTE = FilterSpec("map", (ATTRIBUTE, Arg("default", "any")), every_item=True)
TESTS: frozenset[str] = frozenset(
    {
        *("defined", "undefined", "none", "boolean", "true", "false", "number", "integer", "float"),
        *("string", "sequence", "mapping", "iterable", "even", "odd", "divisibleby", "in", "lower", "upper"),
        *("eq", "ne", "lt", "le", "gt", "ge", "==", "!=", "<", "<=", ">", ">=", "equalto", "greaterthan", "lessthan"),
    }
)
GLOBALS = frozenset({"range"})


# The wrappers.


def budget_of(context: Context) -> Budget:
    """This rendering's budget (the engine puts one in; a bare Environment.render gets one here)."""
    found = context.get(BUDGET)
    if not isinstance(found, Budget):
        found = context.vars[BUDGET] = Budget(limits_of(context).steps)
    return found


def limits_of(context: Context) -> Limits:
    found = getattr(context.environment, "limits", None)
    return found if isinstance(found, Limits) else Limits()


def _pay_for(context: Context, value: Any, every_item: bool) -> Any:
    """Charge the items a filter goes through; a lazy input (map, select...) is counted as it is read."""
    budget = budget_of(context)
    if isinstance(value, Undefined):  # default() is for these; using one otherwise fails in the filter
        return value
    if isinstance(value, str | list | tuple | range | dict | set | frozenset):
        budget.spend(len(value) if every_item else 1)
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return list(counted(budget, value))
    budget.spend()
    return value


def counted(budget: Budget, items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        budget.spend()
        yield item


def _call(function: Callable[..., Any], context: Context, *args: Any, **kwargs: Any) -> Any:
    """Call a Jinja filter with what it asks for first (its pass_context, pass_environment... mark)."""
    wants = getattr(getattr(function, "jinja_pass_arg", None), "name", None)
    first = {"context": context, "eval_context": context.eval_ctx, "environment": context.environment}.get(wants or "")
    return function(*args, **kwargs) if first is None else function(first, *args, **kwargs)


def _wrapped(spec: FilterSpec, function: Callable[..., Any]) -> Callable[..., Any]:
    @pass_context
    def run(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        _spec_for(spec, args, kwargs).check(args, kwargs)
        return _call(function, context, _pay_for(context, value, spec.every_item), *args, **kwargs)

    return run


def _spec_for(spec: FilterSpec, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> FilterSpec:
    return MAP_ATTRIBUTE if spec.name == "map" and not args else spec


@pass_context
def _join(context: Context, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    if attribute is not None:
        value = map(jinja_filters.make_attrgetter(context.environment, attribute), value)
    items = [str(item) for item in value]
    if sum(map(len, items)) + len(d) * max(len(items) - 1, 0) > MAX_OUTPUT:
        raise Refused("text", limit=MAX_OUTPUT)
    return str(d).join(items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    times = text.count(old) if old else len(text) + 1
    if count is not None:
        times = min(times, count)
    if len(text) + times * max(len(new) - len(old), 0) > MAX_OUTPUT:
        raise Refused("text", limit=MAX_OUTPUT)
    return text.replace(old, new, -1 if count is None else count)


def _string(value: Any) -> str:
    if isinstance(value, list | tuple | dict | set | range) and len(value) > MAX_OUTPUT:
        raise Refused("text", limit=MAX_OUTPUT)
    return str(JINJA_FILTERS["string"](value))


def _originals() -> dict[str, Callable[..., Any]]:
    found = {name: JINJA_FILTERS[name] for name in SPECS}
    found.update(join=_join, replace=_replace, string=_string)
    return found


def build_filters() -> dict[str, Callable[..., Any]]:
    """The environment's filters: the allowed ones, wrapped, and the loop counter."""
    made = {name: _wrapped(SPECS[name], function) for name, function in _originals().items()}
    made[STEPS_FILTER] = _steps
    return made


def build_tests() -> dict[str, Callable[..., Any]]:
    return {name: cast(Callable[..., Any], JINJA_TESTS[name]) for name in TESTS}


@pass_context
def _steps(context: Context, value: Any) -> Iterator[Any]:
    """Each loop round costs a step."""
    return counted(budget_of(context), value)


@pass_context
def safe_range(context: Context, *args: int) -> range:
    """range() with integer arguments and at most as many numbers as the budget has steps."""
    if not args or len(args) > 3 or not all(_is_int(Arg("n", "int"), a) for a in args):
        raise Refused("argument", filter="range", argument="n", kind="int")
    numbers = range(*args)
    limit = limits_of(context).steps
    if len(numbers) > limit:
        raise Refused("range", limit=limit)
    return numbers
