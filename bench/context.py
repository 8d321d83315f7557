"""Where a benchmark run reads and writes, and how it reports (shared by every benchmark)."""

from __future__ import annotations

import logging
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import machine
from bench.results import Section, save_section

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = REPO / "corpus"


@dataclass
class RunContext:
    work_dir: Path  # generated corpora, indexes, exported models (git-ignored)
    results_json: Path
    results_md: Path
    seed: int
    command: str = field(default_factory=lambda: "")

    def settings(self, name: str, corpus_dir: Path | None = None, **overrides: Any) -> Any:
        """Settings for one isolated bench index under the work dir."""
        from newsdesk.settings import Settings

        values: dict[str, Any] = {
            "data_dir": self.work_dir / f"data-{name}",
            "corpus_dir": corpus_dir or SHIPPED_CORPUS,
            **overrides,
        }
        return Settings(**values)

    def section(self, name: str, title: str) -> Section:
        return Section(
            name=name,
            title=title,
            when=machine.utc_now(),
            load_avg=machine.load_avg(),
            command=self.command,
        )

    def save(self, section: Section) -> None:
        # Record the load at the end too: a jump during the run explains an outlier.
        section.load_avg = section.load_avg + machine.load_avg()[:1]
        save_section(self.results_json, self.results_md, section, machine.machine_info(REPO))
        log.info("wrote section %r to %s", section.name, self.results_md)


def offline_env() -> None:
    """The bench never downloads: same offline switches as the tests and the app."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def command_line(argv: list[str]) -> str:
    return " ".join([".venv/bin/python -m bench", *map(shlex.quote, argv)]).strip()
