"""Generation housekeeping shared by the full and the planned build: reading the active pointer
and dropping what killed or superseded builds left behind."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from index import keywords
from index.pointer import Pointer
from index.store import Store
from newsdesk.errors import IndexCorrupt

if TYPE_CHECKING:
    from newsdesk.settings import Settings

log = logging.getLogger("index.build")


def read_pointer(store: Store, force: bool) -> Pointer | None:
    try:
        return store.read_pointer()
    except IndexCorrupt:
        if not force:
            raise
        log.warning("unreadable active pointer ignored (--force)")
        return None


def drop_leftovers(store: Store, settings: Settings, active: Pointer | None) -> None:
    """Generations (and their keyword indexes) a killed or superseded build left behind."""
    keep = {g for g in (active.generation, active.previous) if g} if active else set()
    leftovers = store.drop_all_generations_except(keep)
    keywords.drop(settings, store.base, keep)
    if leftovers:
        log.info("removed leftovers of earlier builds: %s", ", ".join(leftovers))
