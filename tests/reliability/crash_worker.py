"""Run in a subprocess by test_crash_points.py: a rebuild that stops at a chosen point.

At the point it writes ``<marker>`` (naming the point) and then either sleeps (the parent
SIGKILLs it there) or, for ``mid-upsert``, starts a large Chroma upsert that the parent kills
while it is being written. Points:

- ``embed``:  inside the embedder, with part of the new generation already stored
- ``docs``:   right before the new generation's documents are written
- ``mid-upsert``: during a large chunk upsert into the new generation (killed mid-write)
- ``switch``: inside ``Store.write_pointer``, before the pointer record is written
- ``after-switch``: after the pointer switched, before old generations are deleted
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import index.writer as writer_mod
from index.build import build_index
from index.store import Store
from newsdesk.settings import Settings
from tests.index.fakes import CountingEmbeddings


def _mark(marker: Path, text: str) -> None:
    """Write the marker atomically: the parent polls for it and must never read it half-written."""
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(marker)


def _stop(marker: Path, point: str) -> None:
    _mark(marker, point)
    time.sleep(600)  # the parent SIGKILLs us here


def main(marker: Path, point: str) -> None:
    emb = CountingEmbeddings(size=64)
    if point == "embed":
        real = emb.embed_documents
        calls = {"n": 0}

        def embed(texts: list[str]) -> list[list[float]]:
            calls["n"] += 1
            if calls["n"] == 3:
                _stop(marker, point)
            return real(texts)

        emb.embed_documents = embed  # type: ignore[method-assign]
    elif point == "docs":
        real_docs = writer_mod.write_docs

        def write_docs(*args: Any) -> None:
            _stop(marker, point)
            real_docs(*args)

        writer_mod.write_docs = write_docs  # type: ignore[assignment]
    elif point == "mid-upsert":
        real_embed = writer_mod.embed_chunks

        def embed_chunks(col: Any, *args: Any) -> tuple[int, int]:
            # Many large upserts (seconds of writing): the parent kills us while one runs.
            _mark(marker, point)
            n = 2000
            for b in range(15):
                ids = range(b * n, (b + 1) * n)
                col.upsert(
                    ids=[f"junk:{i}" for i in ids],
                    embeddings=[[float((i % 7) + 1)] + [0.5] * 63 for i in ids],
                    documents=["junk text " * 40 for _ in ids],
                    metadatas=[{"doc_id": "junk", "position": i, "start": 0, "end": 1} for i in ids],
                )
            Path(str(marker) + ".done").write_text("upsert finished", "utf-8")
            return real_embed(col, *args)

        writer_mod.embed_chunks = embed_chunks  # type: ignore[assignment]
    elif point == "switch":
        real_pointer = Store.write_pointer

        def write_pointer(self: Store, pointer: Any) -> None:
            _stop(marker, point)
            real_pointer(self, pointer)

        Store.write_pointer = write_pointer  # type: ignore[method-assign]
    elif point == "after-switch":
        real_drop = Store.drop_all_generations_except
        calls = {"n": 0}

        def drop(self: Store, keep: set[str]) -> list[str]:
            calls["n"] += 1
            if calls["n"] == 2:  # the first call cleans leftovers; the second follows the switch
                _stop(marker, point)
            return real_drop(self, keep)

        Store.drop_all_generations_except = drop  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown point {point}")
    build_index(Settings(), emb, force=True)
    _mark(marker, "finished")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
