"""Run in a subprocess by test_update_kills.py: one incremental build the parent SIGKILLs at a
random moment.

It writes ``<marker>`` = "ready" just before ``build_index`` starts (imports done), then
"finished" if it is not killed first. The embedder sleeps a little per batch (batches of 2,
``NEWSDESK_EMBEDDING_BATCH_SIZE``) so an update has many steps for a kill to land between.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from index.build import build_index
from newsdesk.settings import Settings
from tests.index.fakes import CountingEmbeddings


def _mark(marker: Path, text: str) -> None:
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(marker)


class SlowEmbeddings(CountingEmbeddings):
    stamp_model = "CountingEmbeddings:64"  # the stamp of the tests' embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        time.sleep(0.1)
        return super().embed_documents(texts)


def main(marker: Path) -> None:
    emb = SlowEmbeddings(size=64)
    settings = Settings()
    _mark(marker, "ready")
    build_index(settings, emb)
    _mark(marker, "finished")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
