"""Prompt files from ``prompts/``, loaded and checked once at start-up.

A prompt that lost a placeholder would silently drop the question or the excerpts; that is a
ConfigError at start-up instead of a wrong answer later.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from newsdesk.errors import ConfigError

USER_SEPARATOR = "=== USER ==="
REQUIRED: dict[str, frozenset[str]] = {
    "answer": frozenset({"question", "excerpts"}),
    "condense": frozenset({"history", "question"}),
}


def default_prompts_dir() -> Path:
    """``prompts/`` next to the packages (the project root)."""
    return Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    name: str
    system: str  # may be empty
    user: str

    def format(self, **values: str) -> tuple[str, str]:
        """(system, user) with placeholders filled; values are inserted as plain text."""
        return self.system, self.user.format(**values)


@dataclass(frozen=True, slots=True)
class Prompts:
    answer: PromptTemplate
    condense: PromptTemplate


def _placeholders(text: str, path: Path) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise ConfigError(
            f"Prompt {path} is not a valid template: {exc}",
            hint="write literal braces as {{ and }}",
        ) from exc


def load_prompt(path: Path, required: frozenset[str]) -> PromptTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Cannot read prompt file {path}: {exc.strerror or exc}",
            hint="restore it from the repository or set NEWSDESK_PROMPTS_DIR",
        ) from exc
    system, sep, user = text.partition(USER_SEPARATOR)
    if not sep:
        system, user = "", text
    if _placeholders(system, path):
        raise ConfigError(
            f"Prompt {path}: placeholders belong after the '{USER_SEPARATOR}' line",
            hint="keep the system part free of {placeholders}",
        )
    found = _placeholders(user, path)
    missing = sorted(required - found)
    unknown = sorted(found - required)
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing " + ", ".join("{" + m + "}" for m in missing))
        if unknown:
            parts.append("unknown " + ", ".join("{" + u + "}" for u in unknown))
        raise ConfigError(
            f"Prompt {path}: {'; '.join(parts)}",
            hint=f"it must use exactly {', '.join('{' + r + '}' for r in sorted(required))}",
        )
    return PromptTemplate(path.stem, system.strip(), user.strip())


def load_prompts(directory: Path | None = None) -> Prompts:
    directory = directory or default_prompts_dir()
    return Prompts(
        answer=load_prompt(directory / "answer.txt", REQUIRED["answer"]),
        condense=load_prompt(directory / "condense.txt", REQUIRED["condense"]),
    )
