"""bot/ imports go one way: no cycle, and no import inside a function to dodge one."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(imported bot module, at module level?) for every import of a bot.* module."""
    found: list[tuple[str, bool]] = []
    top_level = {id(node) for node in getattr(tree, "body", [])}

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module:
                names = [child.module] + [f"{child.module}.{a.name}" for a in child.names]
                for name in names:
                    if name.startswith("bot.") and (BOT / f"{name[4:]}.py").exists():
                        found.append((name, not in_function and id(child) in top_level))
                    elif name == "bot":
                        for alias in child.names:
                            if (BOT / f"{alias.name}.py").exists():
                                found.append((f"bot.{alias.name}", not in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("bot."):
                        found.append((alias.name, not in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(BOT.glob("*.py")):
        module = f"bot.{path.stem}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {name for name, _ in _imports(tree) if name != module}
    return graph


def test_bot_modules_import_each_other_only_at_module_level() -> None:
    late = []
    for path in sorted(BOT.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        late += [f"{path.name}: {name}" for name, top in _imports(tree) if not top]
    assert late == []


def test_bot_import_graph_has_no_cycle() -> None:
    graph = _graph()
    assert len(graph) >= 10 and any(graph.values())  # the walk saw the package
    visiting: list[str] = []
    done: set[str] = set()
    cycles: list[list[str]] = []

    def walk(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            cycles.append(visiting[visiting.index(module) :] + [module])
            return
        visiting.append(module)
        for target in sorted(graph.get(module, ())):
            walk(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        walk(module)
    assert cycles == []


def test_the_client_is_imported_by_no_other_bot_module() -> None:
    """Surfaces get the answer flow handed in; nothing reaches back into the client."""
    graph = _graph()
    assert "bot.client" in graph
    users = sorted(m for m, targets in graph.items() if "bot.client" in targets)
    assert users == ["bot.runner"]
