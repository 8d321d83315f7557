"""`python -m bench.agreement_check`: does answering.agreement say "differ" on real answers?

Builds the shipped index in a temporary folder, answers every single-turn question of the
shipped, held-out and test sets with the served configuration, and runs
``answering.agreement.compare`` on each answer that cites two or more articles; prints every
"differ" with its excerpts, for a person to judge, and the counts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    from answering.agreement import compare
    from index.build import build_index
    from index.embeddings import load_embeddings
    from newsdesk.app import build_service
    from newsdesk.settings import Settings

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), corpus_dir=REPO / "corpus")
    build_index(settings, load_embeddings(settings))
    service = build_service(settings)
    questions = []
    for name in ("questions.jsonl", "heldout.jsonl", "testset.jsonl"):
        for line in (REPO / "evaluation" / name).read_text("utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("question") and not row.get("history"):
                questions.append(row["question"])
    multi = flagged = 0
    for question in questions:
        answer = service.answer(question)
        if answer.refused or len({c.doc_id for c in answer.citations}) < 2:
            continue
        multi += 1
        result = compare(answer.citations, question)
        if result.differ:
            flagged += 1
            print(f"Q: {question}\n   {result.render()}")
            for c in answer.citations:
                print(f"   [{c.n}] {' '.join(c.excerpt.split())[:200]}")
    print(f"{len(questions)} questions, {multi} answers citing >= 2 articles, {flagged} flagged 'differ'")


if __name__ == "__main__":
    main()
