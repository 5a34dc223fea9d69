"""Reading a template before it is compiled: what it may not do, refused with the line and the reason.

Arguments written in the template are checked here against the filters' limits; those computed at
render time are checked again by the filters themselves, with the real values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard, cast

from jinja2 import nodes

from bot.sandbox.filters import GLOBALS, MAP_ATTRIBUTE, SPECS, TESTS, FilterSpec
from bot.sandbox.limits import MAX_OUTPUT, Refused, power_ok

Vocabulary = Mapping[str, Sequence[str]]  # the variables a template may use, and the fields of each
MAX_LOOP_DEPTH = 1  # no nested loops: a loop over a loop is where CPU bombs live
# Methods of plain values a template may call (text, lists, dicts, dates; loop.cycle).
SAFE_METHODS = frozenset(
    {
        *("upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith"),
        *("split", "count", "find", "isdigit", "index", "get", "keys", "values", "items"),
        *("weekday", "isoweekday", "strftime", "isoformat", "date", "cycle"),
    }
)
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


def line_of(node: nodes.Node) -> int | None:
    return getattr(node, "lineno", None)


def check_tree(tree: nodes.Template, vocabulary: Vocabulary) -> None:
    """Raise Refused (with the line) for the first thing the template may not do."""
    _check_node(tree, 0, vocabulary)


def names_of(vocabulary: Vocabulary) -> list[str]:
    """The variables (not "member.feedback": the fields of a list field's items)."""
    return [name for name in vocabulary if "." not in name]


def _loop_scope(node: nodes.For, vocabulary: Vocabulary) -> Vocabulary:
    """`{% for f in member.feedback %}`: inside the loop, `f` has the fields of the items."""
    it, target = node.iter, node.target
    if isinstance(it, nodes.Getattr) and isinstance(it.node, nodes.Name) and isinstance(target, nodes.Name):
        items = vocabulary.get(f"{it.node.name}.{it.attr}")
        if items is not None:
            return {**vocabulary, target.name: items}
    return vocabulary


def _check_node(node: nodes.Node, depth: int, vocabulary: Vocabulary) -> None:
    _check_names_and_tags(node, vocabulary)
    _check_access(node, vocabulary)
    _check_operators(node)
    if isinstance(node, nodes.Filter):
        _check_filter(node)
    if isinstance(node, nodes.Test):
        _check_test(node, node.name)
    if isinstance(node, nodes.Call):
        _check_call(node)
    if isinstance(node, nodes.For):
        if node.recursive or depth >= MAX_LOOP_DEPTH:
            raise Refused("loop", line_of(node))
        depth += 1
        vocabulary = _loop_scope(node, vocabulary)
    for child in node.iter_child_nodes():
        _check_node(child, depth, vocabulary)


def _check_names_and_tags(node: nodes.Node, vocabulary: Vocabulary) -> None:
    if isinstance(node, nodes.Name) and node.name == "self":  # Jinja's own reference to the template
        raise Refused("variable", line_of(node), what="self", known=names_of(vocabulary))
    tag = _REFUSED_TAGS.get(type(node))
    if tag is not None:
        raise Refused("tag", line_of(node), what=tag)


def _check_access(node: nodes.Node, vocabulary: Vocabulary) -> None:
    """No underscore names, and only the documented fields of the documented variables."""
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        raise Refused("internals", line_of(node), what=node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
        raise Refused("internals", line_of(node), what=str(node.arg.value))
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name in vocabulary:
        fields = list(vocabulary[node.node.name])
        if node.attr not in fields:
            raise Refused("field", line_of(node), variable=node.node.name, field=node.attr, fields=fields)


def _check_operators(node: nodes.Node) -> None:
    """What can be seen in the text: % formatting, repeated lists, huge powers and repeated text."""
    if isinstance(node, nodes.Mod) and _const(node.left, str):
        raise Refused("percent", line_of(node))
    if isinstance(node, nodes.Pow):
        _number(node)
    if isinstance(node, nodes.Mul):
        sides = (node.left, node.right)
        if any(isinstance(side, nodes.List | nodes.Tuple) for side in sides):
            raise Refused("list_repeat", line_of(node))
        text = next((side.value for side in sides if _const(side, str)), None)
        numbers = [_number(side) for side in sides]
        times = next((n for n in numbers if isinstance(n, int)), None)
        if text is not None and times is not None and len(text) * times > MAX_OUTPUT:
            raise Refused("text", line_of(node), limit=MAX_OUTPUT)


def _number(node: nodes.Node) -> Any:
    """The value of a number written in the template (powers of them included), or None."""
    if _const(node, int | float):
        return node.value
    if isinstance(node, nodes.Neg | nodes.Pos):
        found = _number(node.node)
        return None if found is None else (-found if isinstance(node, nodes.Neg) else found)
    if isinstance(node, nodes.Pow):
        base, exponent = _number(node.left), _number(node.right)
        if isinstance(node.right, nodes.Pow) or (
            base is not None and exponent is not None and not power_ok(base, exponent)
        ):
            raise Refused("number", line_of(node))
        return None if base is None or exponent is None else base**exponent
    return None


def _const(node: nodes.Node, kind: Any) -> TypeGuard[nodes.Const]:
    return isinstance(node, nodes.Const) and isinstance(node.value, kind) and not isinstance(node.value, bool)


def _check_filter(node: nodes.Filter) -> None:
    spec = SPECS.get(node.name)
    if spec is None:
        raise Refused("filter", line_of(node), what=node.name, allowed=sorted(SPECS))
    _check_arguments(node, MAP_ATTRIBUTE if node.name == "map" and not node.args else spec)


def _check_arguments(node: nodes.Filter, spec: FilterSpec) -> None:
    """The arguments written in the template, against the filter's limits (map's: and the filter it runs)."""
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise Refused("arguments", line_of(node), filter=spec.name, most=len(spec.args))
    args = tuple(node.args)
    # jinja2 annotates a filter's kwargs as Pair nodes; its parser makes Keyword nodes (the key a name).
    written = cast(list[nodes.Node], node.kwargs)
    kwargs: dict[str, Any] = {pair.key: pair.value for pair in written if isinstance(pair, nodes.Keyword)}
    try:
        pairs = spec.bind(args, kwargs)
    except Refused as exc:
        raise Refused(exc.reason, line_of(node), **exc.details) from None
    for arg, value in pairs:
        _check_value(node, spec, arg, value)
    if spec.extra_args and args:
        _check_passed_on(node, spec, args)


def _check_value(node: nodes.Node, spec: FilterSpec, arg: Any, value: nodes.Expr) -> None:
    if isinstance(value, nodes.List | nodes.Tuple | nodes.Dict) and arg.kind != "any":  # never a fit
        raise Refused("argument", line_of(node), filter=spec.name, argument=arg.name, **arg.describe())
    written = _number(value) if not isinstance(value, nodes.Const) else value.value
    if written is None and not isinstance(value, nodes.Const):
        if arg.literal:
            raise Refused("literal", line_of(node), filter=spec.name, argument=arg.name, **arg.describe())
        return
    if not arg.accepts(written):
        raise Refused("argument", line_of(node), filter=spec.name, argument=arg.name, **arg.describe())


def _check_passed_on(node: nodes.Filter, spec: FilterSpec, args: tuple[Any, ...]) -> None:
    """map('round', 2) checks round's arguments; select('divisibleby', 3) passes the test one at most."""
    named = args[len(spec.args) - 1]
    if not isinstance(named, nodes.Const):
        return  # refused already: the filter or test must be written in the template
    rest = list(args[len(spec.args) :])
    if spec.name == "map":
        inner = nodes.Filter(node.node, named.value, rest, list(node.kwargs), None, None, lineno=line_of(node))
        _check_arguments(inner, SPECS[named.value])
    elif len(rest) > 1:
        raise Refused("arguments", line_of(node), filter=named.value, most=1)


def _check_test(node: nodes.Node, name: str) -> None:
    if name not in TESTS:
        raise Refused("test", line_of(node), what=name, allowed=sorted(TESTS))


def _check_call(node: nodes.Call) -> None:
    target = node.node
    if isinstance(target, nodes.Getattr) and target.attr in SAFE_METHODS:
        return
    if isinstance(target, nodes.Name) and target.name in GLOBALS:
        if node.kwargs or node.dyn_args is not None or node.dyn_kwargs is not None or not 1 <= len(node.args) <= 3:
            raise Refused("argument", line_of(node), filter=target.name, argument="n", kind="int")
        return
    if isinstance(target, nodes.Getattr):
        what = target.attr
    elif isinstance(target, nodes.Name):
        what = target.name
    else:
        what = "()"
    if what.startswith("_"):
        raise Refused("internals", line_of(node), what=what)
    raise Refused("call", line_of(node), what=what)
