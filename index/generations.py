"""The names of an index's Chroma collections, and which generation each belongs to.

Layout (``<base>`` = ``settings.collection``):

- ``<base>__gNNNNNN``             chunks of one generation (cosine space; stamp in its metadata)
- ``<base>__gNNNNNN__dNNNNNN``    a delta: chunks written by one in-place update of it
- ``<base>__gNNNNNN__docs``       the cleaned documents of that generation (full text + metadata)
- ``<base>__meta``                the pointer, the update log, the server-mode build lease

Pure functions of names: the store lists the collections and asks these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsdesk.errors import ConfigError

_DELTA_RE = re.compile(r"__d\d{6,}$")
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,400}[a-zA-Z0-9]$")


def validate_base(name: str) -> str:
    if not _NAME_RE.match(name) or "__" in name:
        raise ConfigError(
            f"Invalid collection name {name!r}",
            hint="NEWSDESK_COLLECTION must be 3-400 characters of letters, digits, '.', '_' or '-' "
            "(no '__'), starting and ending with a letter or digit",
        )
    return name


class CollectionNames:
    """The naming scheme of one index (``<base>``), validated on construction."""

    def __init__(self, base: str) -> None:
        self.base = validate_base(base)
        self._gen_re = re.compile(rf"^{re.escape(self.base)}__g(\d{{6,}})$")

    @property
    def meta(self) -> str:
        return f"{self.base}__meta"

    def generation(self, number: int) -> str:
        return f"{self.base}__g{number:06d}"

    @staticmethod
    def docs(generation: str) -> str:
        return f"{generation}__docs"

    def generation_number(self, name: str) -> int | None:
        match = self._gen_re.match(name)
        return int(match.group(1)) if match else None

    @staticmethod
    def generation_of(name: str) -> str:
        """The generation a collection belongs to (its chunks, docs or a delta)."""
        return _DELTA_RE.sub("", name.removesuffix("__docs"))

    def generations(self, names: Iterable[str]) -> list[str]:
        """The generations (chunk collections) among ``names``, oldest first."""
        found = [n for n in names if self.generation_number(n) is not None]
        return sorted(found, key=lambda n: self.generation_number(n) or 0)

    def next_generation(self, names: Iterable[str]) -> str:
        """A generation number above every generation (or its docs) among ``names``."""
        numbers = [self.generation_number(n.removesuffix("__docs")) for n in names]
        return self.generation(max([n for n in numbers if n is not None], default=0) + 1)

    @staticmethod
    def deltas(generation: str, names: Iterable[str]) -> list[str]:
        """The deltas of ``generation`` among ``names``, oldest first."""
        return sorted(n for n in names if n.startswith(f"{generation}__d") and _DELTA_RE.search(n))

    @classmethod
    def next_delta(cls, generation: str, names: Iterable[str]) -> str:
        numbers = [int(n.rsplit("__d", 1)[1]) for n in cls.deltas(generation, names)]
        return f"{generation}__d{max(numbers, default=0) + 1:06d}"
