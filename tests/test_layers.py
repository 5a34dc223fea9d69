"""The core reads in layers: no import cycle among bot's modules, read from their source with ast.

Every import counts: at module level, inside functions (imported late, but still a dependency) and under
TYPE_CHECKING (a dependency of the types). One exception, stated in bot/context.py: `Services` names, for
type checking only, the parts the composition root puts in it (router, conversation store, hooks,
follow-ups, heavy work), whose handlers in turn name `Context`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The one module allowed to name, for type checking only, modules built above it.
TYPES_ONLY_UPWARD = {"bot.context"}
# Entry points that put the application together: they may import the capabilities and the console.
ENTRY_POINTS = {"bot.cli", "bot.db.migrations.env"}


@dataclass(frozen=True, slots=True)
class Import:
    source: str
    target: str
    for_types_only: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imported_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        # `from bot.heavy import requests` imports the module bot.heavy.requests
        return [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def _walk(node: ast.AST, types_only: bool = False) -> Iterator[tuple[str, bool]]:
    """Every name imported in `node`, and whether it is imported for type checking only."""
    for name in _imported_names(node):
        yield name, types_only
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for statement in child.body:
                yield from _walk(statement, True)
            for statement in child.orelse:
                yield from _walk(statement, types_only)
        else:
            yield from _walk(child, types_only)


def imports(package: str = "bot") -> list[Import]:
    modules = {module_name(path): path for path in (ROOT / package).rglob("*.py")}
    found = []
    for name, path in sorted(modules.items()):
        for imported, types_only in _walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = _known_module(imported, modules)
            if target is not None and target != name and not name.startswith(f"{target}."):
                found.append(Import(name, target, types_only))
    return found


def _known_module(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` is, or is in (`bot.outbox.Draft` is in bot.outbox); None outside the package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `edges` (module -> modules it imports), or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target, [*path, target])) is not None:
                return found
        state[module] = "done"
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module, [module])) is not None:
            return found
    return None


def graph(found: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in found:
        if imp.for_types_only and imp.source in TYPES_ONLY_UPWARD:
            continue
        edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def test_no_import_cycle_among_the_cores_modules() -> None:
    found = cycle(graph(imports()))
    assert found is None, "import cycle: " + " -> ".join(found or ())


def test_the_context_depends_at_run_time_only_on_lower_layers() -> None:
    upward = {"bot.registry", "bot.router", "bot.conversations", "bot.dispatch", "bot.followups", "bot.hooks"}
    used = {imp.target for imp in imports() if imp.source == "bot.context" and not imp.for_types_only}
    assert used & upward == set()


def test_the_core_imports_no_capability_except_at_its_entry_points() -> None:
    outside = [
        (imp.source, imp.target)
        for imp in imports_of_any_package()
        if imp.target.split(".")[0] in {"handlers", "web"} and imp.source not in ENTRY_POINTS
    ]
    assert outside == []


def imports_of_any_package() -> list[Import]:
    """bot's imports of anything (not only of bot), to see which reach the capabilities."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = module_name(path)
        for imported, types_only in _walk(ast.parse(path.read_text(encoding="utf-8"))):
            found.append(Import(name, imported, types_only))
    return found


def test_a_cycle_is_found() -> None:
    """The checker itself: a cycle through a late import is reported, a types-only one of the context is not."""
    edges = graph(
        [
            Import("bot.a", "bot.b", False),
            Import("bot.b", "bot.c", False),
            Import("bot.c", "bot.a", False),
            Import("bot.context", "bot.router", True),
            Import("bot.router", "bot.context", True),
        ]
    )
    assert cycle(edges) == ["bot.a", "bot.b", "bot.c", "bot.a"]
    del edges["bot.c"]
    assert cycle(edges) is None
