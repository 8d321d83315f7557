"""What a build did (``newsdesk index build --json`` prints it), and its log line."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger("index.build")


@dataclass(slots=True)
class BuildSummary:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_copied: int = 0
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    generation: str | None = None
    changed: bool = False  # False: nothing to do, the active generation was kept
    forced: bool = False
    location: str = ""
    warnings: list[str] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    kept_ids: list[str] = field(default_factory=list)  # unreadable now; old version kept

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def log_summary(summary: BuildSummary) -> None:
    log.info(
        "index build: %d added, %d updated, %d removed, %d unchanged; %d chunks embedded in %.2fs",
        summary.added,
        summary.updated,
        summary.removed,
        summary.unchanged,
        summary.chunks_embedded,
        summary.seconds,
    )
