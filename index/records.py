"""How records are written to Chroma: explicit vectors, and chunk ids that name a version.

Every record carries explicit embeddings, so Chroma's default embedding function (which would
download a model) never runs. Records of the documents and meta collections are read by id
only: they carry a one-number placeholder vector.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from index.models import Chunk

PLACEHOLDER_EMBEDDING: Sequence[float] = (1.0,)


def as_vectors(rows: Iterable[Iterable[float]]) -> list[Sequence[float]]:
    """Plain float lists, typed the way Chroma's signatures want them."""
    return [[float(x) for x in row] for row in rows]


def record_id(chunk: Chunk) -> str:
    """The Chroma id of a chunk record: ``doc_id:position@<document version>``.

    The version (the start of the document's content hash, ``chunk.metadata["doc_hash"]``) lets
    a new version of an article be written next to the old one and switched to by one write of
    its document record (see ``index.update``).
    """
    return f"{chunk.chunk_id}@{str(chunk.metadata['doc_hash'])[:12]}"
