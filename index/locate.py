"""Where a cited excerpt is in the file the article was loaded from.

Citation offsets index the stored, cleaned text (front matter, markup and extra whitespace
removed), which is what citations are verified against. To find an excerpt in the original
file, it is searched word by word across any whitespace: a line (and column) of a text or
Markdown file, the record's line of a ``.jsonl`` file. HTML is not searched (markup splits
the words), nor is a file that changed since it was indexed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_MAX_BYTES = 20_000_000  # the loaders' own bound on an article file is lower


@dataclass(frozen=True, slots=True)
class Location:
    path: Path
    line: int  # 1-based
    column: int | None  # 1-based, None where only the line is known (a .jsonl record)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column is not None else "")


def locate(path: str | Path, excerpt: str) -> Location | None:
    """The excerpt's first occurrence in the file, or None (unreadable, changed, HTML)."""
    file = Path(path)
    words = excerpt.split()
    if not words or file.suffix.lower() in (".html", ".htm"):
        return None
    try:
        if file.stat().st_size > _MAX_BYTES:
            return None
        raw = file.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    if file.suffix.lower() == ".jsonl":
        return _in_records(file, raw, pattern)
    found = pattern.search(raw)
    if found is None:
        return None
    line = raw.count("\n", 0, found.start()) + 1
    column = found.start() - (raw.rfind("\n", 0, found.start()) + 1) + 1
    return Location(file, line, column)


def _in_records(file: Path, raw: str, pattern: re.Pattern[str]) -> Location | None:
    for n, line in enumerate(raw.splitlines(), start=1):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        text = record.get("text") if isinstance(record, dict) else None
        if isinstance(text, str) and pattern.search(text):
            return Location(file, n, None)
    return None
