"""The import graph reads as the architecture (docs/architecture.md), checked from the source with ast.

- no cycles among the project's modules (module-level imports: what runs at import time;
  ``if TYPE_CHECKING:`` blocks are for the type checker only and do not count);
- ``index/`` and ``answering/`` never import the CLI (``newsdesk.cli``) or the bot (``bot``),
  not even inside a function;
- ``answering/`` never imports ``discord`` or ``click``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("newsdesk", "index", "answering", "bot", "evaluation", "ingest")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}
    assert len(found) > 40, f"expected the project's modules, found {sorted(found)}"
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, *, module_level: bool) -> set[str]:
    """Absolute names imported by ``module``: at module level only, or anywhere."""
    package = module if (ROOT / module.replace(".", "/")).is_dir() else module.rpartition(".")[0]
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if module_level and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit(stmt)
                continue
            if isinstance(child, ast.Import):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    prefix = ".".join([*base, child.module] if child.module else base)
                else:
                    prefix = child.module or ""
                names.add(prefix)
                names.update(f"{prefix}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return names


def _graph(*, module_level: bool) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported = _imports(ast.parse(path.read_text("utf-8")), name, module_level=module_level)
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_checker_sees_imports_and_cycles() -> None:
    tree = ast.parse(
        "import a.b\nfrom . import c\nfrom .d import e\n"
        "if TYPE_CHECKING:\n    import typing_only\n"
        "def f():\n    import inner\n"
    )
    assert _imports(tree, "pkg.mod", module_level=True) == {"a.b", "pkg", "pkg.c", "pkg.d", "pkg.d.e"}
    assert "inner" in _imports(tree, "pkg.mod", module_level=False)
    assert _cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}) == [["x", "y", "z"]]
    assert _cycles({"x": {"y"}, "y": set()}) == []


def _in_bot(cycle: list[str]) -> bool:
    return all(m == "bot" or m.startswith("bot.") for m in cycle)


def test_no_import_cycles() -> None:
    """What runs at import time: no cycle anywhere, bot/ included."""
    cycles = _cycles(_graph(module_level=True))
    assert cycles == [], f"import cycles: {cycles}"


def test_no_function_level_import_closes_a_cycle_outside_bot() -> None:
    """A function-level import that only dodges a cycle still tangles the modules."""
    cycles = [c for c in _cycles(_graph(module_level=False)) if not _in_bot(c)]
    assert cycles == [], f"import cycles through function-level imports: {cycles}"


def test_no_function_level_import_closes_a_cycle_in_bot() -> None:
    cycles = [c for c in _cycles(_graph(module_level=False)) if _in_bot(c)]
    assert cycles == [], f"bot/ import cycles through function-level imports: {cycles}"


@pytest.mark.parametrize("layer", ["index", "answering"])
def test_core_never_imports_the_cli_or_the_bot(layer: str) -> None:
    graph = _graph(module_level=False)
    members = [m for m in graph if m == layer or m.startswith(f"{layer}.")]
    assert members, f"no modules found in {layer}/"
    upward = {
        (m, dep)
        for m in members
        for dep in graph[m]
        if dep == "bot" or dep.startswith(("bot.", "newsdesk.cli")) or dep == "newsdesk.app"
    }
    assert upward == set(), f"{layer}/ imports up the layers: {sorted(upward)}"


def test_answering_never_imports_discord_or_click() -> None:
    modules = {m: p for m, p in _modules().items() if m.split(".")[0] == "answering"}
    assert modules
    offenders = {
        (m, name)
        for m, path in modules.items()
        for name in _imports(ast.parse(path.read_text("utf-8")), m, module_level=False)
        if name.split(".")[0] in ("discord", "click")
    }
    assert offenders == set(), f"answering/ imports a UI library: {sorted(offenders)}"


@pytest.mark.parametrize("layer", ["bot", "evaluation"])
def test_adapters_never_reach_into_the_index(layer: str) -> None:
    """The bot and the eval see the answering core's types; the index is the core's business."""
    graph = _graph(module_level=False)
    members = [m for m in graph if m == layer or m.startswith(f"{layer}.")]
    assert members, f"no modules found in {layer}/"
    reached = {(m, dep) for m in members for dep in graph[m] if dep == "index" or dep.startswith("index.")}
    assert reached == set(), f"{layer}/ imports the index: {sorted(reached)}"
