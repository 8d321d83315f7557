"""`newsdesk index verify`: check the active generation without the embedding model.

Checks: the pointer is readable and names existing collections; counts match the pointer;
every chunk's text equals its document's text at its offsets; no chunk belongs to a missing
document (orphans); chunk record ids are ``doc_id:position@version`` (``index.records.record_id``);
every document has chunks; documents still match their content hashes; vectors have the
stamped dimension; the keyword index exists.

Chunks of versions no document record names (articles replaced or removed in place, see
``index.update``) are never served: they are counted as ``superseded``, not as problems, and
the pointer's counts must add up (served + superseded = stored). An in-place update killed
half-way (its update log is still in the store) is ``pending``: its counts are not checked
until the next build completes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from index.keywords import keywords_dir, load_keywords
from index.loaders import content_hash
from index.reader import chunk_from_record, document_from_record, is_served, read_all
from index.records import record_id
from index.status import disk_report
from index.store import Store
from newsdesk.errors import IndexCorrupt

if TYPE_CHECKING:
    from newsdesk.settings import Settings

MAX_PROBLEMS = 50


@dataclass(slots=True)
class VerifyReport:
    generation: str
    documents: int = 0
    chunks: int = 0
    problems: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # collections of crashed/old builds
    disk: dict[str, Any] | None = None  # as in IndexStatus.disk (embedded store only)
    superseded: int = 0  # stored chunks of replaced/removed versions, never served
    pending: bool = False  # an interrupted in-place update the next build completes

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def verify_index(settings: Settings) -> VerifyReport:
    """Verify the active generation; IndexMissing if there is none."""
    from chromadb.errors import NotFoundError

    store = Store.open(settings, create=False)
    pointer = store.active_pointer()
    with store.errors("verifying"):
        report = VerifyReport(generation=pointer.generation)
        report.leftovers = [
            g for g in store.generations() if g not in (pointer.generation, pointer.previous)
        ]
        try:
            docs_col = store.docs(pointer.generation)
            chunk_cols = [store.collection(n) for n in pointer.chunk_collections]
        except NotFoundError:
            report.problems.append(f"pointer names {pointer.generation}, which does not exist")
            return report
        report.pending = store.read_update_log() is not None
        ids, texts, metas = read_all(docs_col, ["documents", "metadatas"])
        docs = {i: document_from_record(i, t, m) for i, t, m in zip(ids, texts, metas, strict=True)}
        _check_docs(report, docs, None if report.pending else pointer.documents)
        _check_chunks(
            report,
            chunk_cols,
            docs,
            None if report.pending else (pointer.chunks, pointer.superseded),
            pointer.stamp.get("dimension"),
        )
        if load_keywords(keywords_dir(settings, store.base, pointer.generation)) is None:
            report.problems.append(f"generation {pointer.generation} has no keyword index")
    report.disk = disk_report(store, pointer.generation, pointer.previous)
    del report.problems[MAX_PROBLEMS:]
    return report


def _check_docs(report: VerifyReport, docs: dict[str, Any], expected: int | None) -> None:
    report.documents = len(docs)
    if expected is not None and len(docs) != expected:
        report.problems.append(f"{len(docs)} documents stored, pointer says {expected}")
    for doc in docs.values():
        if doc.content_hash != content_hash(doc):
            report.problems.append(f"document {doc.doc_id}: content hash does not match its text")


def _check_chunks(
    report: VerifyReport,
    cols: list[Any],
    docs: dict[str, Any],
    expected: tuple[int, int] | None,
    dimension: Any,
) -> None:
    seen_docs: set[str] = set()
    pages = [(col, offset) for col in cols for offset in range(0, col.count(), 500)]
    for col, offset in pages:
        page = col.get(limit=500, offset=offset, include=["documents", "metadatas", "embeddings"])
        embs = page["embeddings"]
        for k, chunk_id in enumerate(page["ids"]):
            try:
                chunk = chunk_from_record(chunk_id, page["documents"][k], page["metadatas"][k])
            except IndexCorrupt as exc:
                report.problems.append(exc.message)
                continue
            if embs is not None and dimension is not None and len(embs[k]) != int(dimension):
                report.problems.append(f"chunk {chunk_id}: vector has {len(embs[k])} dimensions")
            versioned = "doc_hash" in chunk.metadata
            if chunk_id != (record_id(chunk) if versioned else chunk.chunk_id):
                report.problems.append(f"chunk {chunk_id}: id does not match doc_id:position@version")
            doc = docs.get(chunk.doc_id)
            if not is_served(chunk, doc):
                report.superseded += 1
                continue
            assert doc is not None  # is_served needs it
            report.chunks += 1
            seen_docs.add(chunk.doc_id)
            if doc.text[chunk.start : chunk.end] != chunk.text:
                report.problems.append(
                    f"chunk {chunk_id}: text differs from {chunk.doc_id}[{chunk.start}:{chunk.end}]"
                )
    if expected is not None and (report.chunks, report.superseded) != expected:
        report.problems.append(
            f"{report.chunks} chunks served and {report.superseded} superseded, pointer says "
            f"{expected[0]} and {expected[1]}"
        )
    for doc_id in sorted(set(docs) - seen_docs):
        report.problems.append(f"document {doc_id}: has no chunks")
