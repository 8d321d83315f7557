"""The same wire sentence in several outlets' copies is cited once, "carried by N outlets"."""

from __future__ import annotations

from typing import Any

from answering.answerers.base import Draft
from answering.citations import make_citation
from answering.factory import build_answering
from index.loaders import make_document
from tests.answering.fakes import FakeReader

SENTENCE = "Two night-shift workers were treated for smoke inhalation, the port authority said."
BODY = "A drone struck a grain warehouse at the port before dawn on Thursday. " + SENTENCE


def docs() -> list[Any]:
    from dataclasses import replace

    made = [
        make_document("ledger", "Port hit", BODY, source="Harbor Ledger", published="2024-03-14"),
        make_document("courier", "Drone hits port", "Wire desk. " + BODY, source="Valley Courier",
                      published="2024-03-14"),
        make_document("metro", "Warehouse fire", BODY + " More later.", source="Metro Wire",
                      published="2024-03-15"),
        make_document("other", "Budget", "The budget passed by 88 votes to 71.", source="Capital Post"),
    ]
    return [replace(d, duplicate_cluster="courier") if d.doc_id != "other" else d for d in made]


class Repeater:
    """Cites the same sentence from every copy, as an answerer that ranks sentences would."""

    name = "repeater"

    def __init__(self, reader: FakeReader) -> None:
        self.reader = reader
        self.drafted = 0

    def answer(self, question: str, retrieved: Any, **_: Any) -> Draft:
        cites = []
        for r in retrieved:
            doc = self.reader.document(r.chunk.doc_id)
            start = doc.text.find(SENTENCE)
            if start >= 0 and all(c.doc_id != doc.doc_id for c in cites):
                cites.append(make_citation(len(cites) + 1, doc, start, start + len(SENTENCE)))
        self.drafted = len(cites)
        body = " ".join(f"{SENTENCE[:-1]} [{c.n}]." for c in cites)
        return Draft(body, False, tuple(cites))

    def stream(self, question: str, retrieved: Any, **_: Any) -> Any:
        yield self.answer(question, retrieved)


def test_one_citation_carried_by_the_other_outlets(settings: Any, fake_embeddings: Any) -> None:
    reader = FakeReader(docs(), fake_embeddings)
    service = build_answering(settings, reader, fake_embeddings)
    service.answerer = repeater = Repeater(reader)
    answer = service.answer("night-shift workers smoke inhalation port authority")
    assert repeater.drafted == 3  # the answerer cited all three copies
    assert len(answer.citations) == 1
    (c,) = answer.citations
    assert answer.answer.count("smoke inhalation") == 1
    others = {"ledger", "courier", "metro"} - {c.doc_id}
    assert len(c.carried_by) == 2 and all(
        reader.document(o).source in " ".join(c.carried_by) for o in others
    )
    assert "carried by 3 outlets" in c.byline()
    assert answer.to_dict()["citations"][0]["carried_by"] == list(c.carried_by)


def test_an_article_outside_the_cluster_is_not_counted(settings: Any, fake_embeddings: Any) -> None:
    from answering.wire import collapse

    ds = {d.doc_id: d for d in docs()}
    c = make_citation(1, ds["other"], 0, 10)
    groups = {"courier": [ds["ledger"], ds["courier"]]}
    text, cites = collapse("x [1].", (c,), ds.__getitem__, lambda cid: groups.get(cid, []))
    assert cites == (c,) and text == "x [1]."
