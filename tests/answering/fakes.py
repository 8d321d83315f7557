"""An in-memory IndexReader over real index.models objects, for tests that need no Chroma."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from index.keywords import Entry, KeywordIndex, write_base
from index.models import Chunk, Document, ScoredChunk
from newsdesk.errors import IndexMissing


def load_corpus(folder: Path) -> list[Document]:
    docs = []
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8").strip()
        title = text.splitlines()[0][:80] if text else path.stem
        docs.append(Document(doc_id=path.stem, title=title, text=text, path=str(path)))
    return docs


def simple_chunks(doc: Document, size: int = 500, overlap: int = 100) -> list[Chunk]:
    """Fixed windows snapped to whitespace: text == doc.text[start:end]."""
    chunks: list[Chunk] = []
    start = 0
    text = doc.text
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + size // 2, end)
            end = space if space > start else end
        # article metadata on every chunk, as index.chunking writes it
        meta = {k: v for k in ("published", "source") if (v := getattr(doc, k))}
        chunks.append(
            Chunk(f"{doc.doc_id}:{len(chunks)}", doc.doc_id, len(chunks), text[start:end], start, end, meta)
        )
        if end >= len(text):
            break
        nxt = text.find(" ", max(start + 1, end - overlap), end)
        start = nxt + 1 if nxt != -1 else end
    return chunks


class FakeReader:
    """Implements the IndexReader contract in memory; ``swap()`` simulates a rebuild."""

    def __init__(self, documents: list[Document], embeddings: Embeddings, generation: str = "g1"):
        self._embeddings = embeddings
        self._lock = threading.Lock()
        self.refresh_calls = 0
        self._pending: tuple[list[Document], str] | None = None
        self._load(documents, generation)

    def _load(self, documents: list[Document], generation: str) -> None:
        if not documents:
            raise IndexMissing("No index", hint="run `newsdesk index build`")
        self._docs = {d.doc_id: d for d in documents}
        self._chunks = [c for d in documents for c in simple_chunks(d)]
        vecs = np.asarray(self._embeddings.embed_documents([c.text for c in self._chunks]), dtype=np.float32)
        self._vectors = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        self._generation = generation
        # The real persisted keyword index (bm25s) over these chunks, in a temporary folder.
        self._folder = tempfile.TemporaryDirectory(prefix="newsdesk-fake-keywords-")
        self._by_id = {c.chunk_id: c for c in self._chunks}
        self.keywords: KeywordIndex = write_base(
            Path(self._folder.name), [Entry(c.chunk_id, c.doc_id, c.text) for c in self._chunks]
        )

    @property
    def stamp(self) -> dict[str, str]:
        return {"model": "fake"}

    @property
    def generation(self) -> str:
        return self._generation

    def documents(self) -> list[Document]:
        return list(self._docs.values())

    def document(self, doc_id: str) -> Document:
        return self._docs[doc_id]

    def cluster(self, cluster_id: str) -> list[Document]:
        members = (d for d in self._docs.values() if d.duplicate_cluster == cluster_id)
        return sorted(members, key=lambda d: d.doc_id)

    def chunks(self) -> list[Chunk]:
        return list(self._chunks)

    def vector_search(self, query: str, k: int) -> list[ScoredChunk]:
        q = np.asarray(self._embeddings.embed_query(query), dtype=np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        sims = self._vectors @ q
        order = np.argsort(-sims)[:k]
        return [ScoredChunk(self._chunks[i], float(sims[i])) for i in order]

    def keyword_search(self, terms: Mapping[str, float], k: int) -> list[ScoredChunk]:
        return [ScoredChunk(self._by_id[i], s) for i, s in self.keywords.search(terms, k)]

    def next_chunk(self, chunk: Chunk) -> Chunk | None:
        return self._by_id.get(f"{chunk.doc_id}:{chunk.position + 1}")

    def previous_chunk(self, chunk: Chunk) -> Chunk | None:
        return self._by_id.get(f"{chunk.doc_id}:{chunk.position - 1}")

    def idf(self, word: str) -> float | None:
        return self.keywords.idf(word)

    def max_idf(self) -> float:
        return self.keywords.max_idf()

    def swap(self, documents: list[Document], generation: str) -> None:
        """Another process rebuilt the index: visible at the next refresh()."""
        self._pending = (documents, generation)

    def refresh(self) -> bool:
        with self._lock:
            self.refresh_calls += 1
            if self._pending is None:
                return False
            docs, gen = self._pending
            self._pending = None
            self._load(docs, gen)
            return True
