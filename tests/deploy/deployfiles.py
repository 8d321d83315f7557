"""Readers for the deployment files, shared by the deploy tests.

No Docker engine runs here, so the tests read docker-compose.yml, the Dockerfile and
.env.example the way Compose and BuildKit do (interpolation, line continuations, `$$`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"

_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}"
)
NEWSDESK_VAR = re.compile(r"\bNEWSDESK_[A-Z0-9_]+\b")


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, `$$` -> `$`."""
    env = env or {}

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        if op in (":-", "-"):
            unset = current is None or (op == ":-" and current == "")
            return arg if unset else str(current)
        if op is None:
            return current or ""
        raise AssertionError(f"interpolation {match.group(0)!r} not handled by the tests")

    return _INTERPOLATION.sub(replace, value)


def interpolation_names(text: str) -> set[str]:
    return {m.group("name") for m in _INTERPOLATION.finditer(text) if m.group("name")}


def service_environment(
    service: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The `environment:` of a service, interpolated (mapping or list form)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: interpolate(str(value), env) for key, value in raw.items()}


def walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield str(key)
            yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions with `\\` continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, args = text.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, "Dockerfile ends inside a line continuation"
    return instructions


def exec_form(args: str) -> list[str]:
    """`["a", "b"]` (JSON exec form) or a shell-form string split like sh would."""
    args = args.strip()
    if args.startswith("["):
        import json

        value = json.loads(args)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value
    return shlex.split(args)


def env_example_assignments() -> dict[str, str]:
    """`NEWSDESK_X=value` lines of .env.example, commented out or not."""
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?\s*(NEWSDESK_[A-Z0-9_]+)=(.*)$", line.strip())
        if match:
            assert match.group(1) not in found, f"{match.group(1)} documented twice"
            found[match.group(1)] = match.group(2).strip()
    return found
