"""Bad corpus files: each gets a clear warning naming it, the rest is indexed, and nothing
indexed before is lost (a build over a broken corpus folder leaves the index as it was)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build_index
from index.reader import open_reader
from index.verify import verify_index
from newsdesk.errors import CorpusError

GOOD = (
    "Flood barriers held in the river town of Eastwick on Tuesday, officials said. "
    "The mayor thanked volunteers who filled sandbags through the night.\n"
)


def _add_bad_files(corpus: Path) -> dict[str, str]:
    """Bad files -> the words their warning must contain."""
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text("   \n\n\t\n", "utf-8")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me in S\xe3o Paulo.".encode("latin-1"))
    huge = corpus / "huge.txt"  # over the 50 MiB per-file limit: skipped, not read
    with open(huge, "wb") as f:
        f.truncate(60 * 1024 * 1024)
    lines = [
        json.dumps({"id": "jl-good", "title": "Eastwick floods", "text": GOOD}),
        "{this is not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "jl-notext", "title": "No text"}),
        json.dumps({"id": "000_d71935d8366a0c7a", "title": "Dup", "text": "A duplicate id."}),
    ]
    (corpus / "feed.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return {
        "binary.txt": "binary file",
        "empty.txt": "no text",
        "blank.md": "no text",
        "latin1.txt": "not UTF-8",
        "huge.txt": "larger than",
        "feed.jsonl:2": "invalid JSON",
        "feed.jsonl:3": "expected a JSON object",
        "feed.jsonl:4": "missing text",
        "000_d71935d8366a0c7a": "Duplicate document id",
    }


def test_bad_files_are_warned_about_and_the_rest_is_indexed(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    first = build_index(rel_settings, fake_emb)
    assert first.documents == 5 and not first.warnings
    before = {d.doc_id: d.text for d in open_reader(rel_settings, fake_emb).documents()}

    expected = _add_bad_files(corpus)
    assert expected
    summary = build_index(rel_settings, fake_emb)
    for where, words in expected.items():
        hits = [w for w in summary.warnings if where in w]
        assert hits, f"no warning naming {where}: {summary.warnings}"
        assert any(words in w for w in hits), (where, hits)
    assert summary.added_ids == ["jl-good"] and summary.removed == 0
    after = {d.doc_id: d.text for d in open_reader(rel_settings, fake_emb).documents()}
    assert {k: after[k] for k in before} == before  # the duplicate did not replace the original
    assert set(after) == set(before) | {"jl-good"}
    assert verify_index(rel_settings).ok


@pytest.mark.slow
def test_a_large_file_is_indexed(rel_settings, corpus: Path, fake_emb) -> None:  # noqa: ANN001
    """A multi-megabyte article (under the limit) is chunked and indexed like any other."""
    para = "Paragraph {i} of the long report says the council met and voted on item {i}. "
    (corpus / "long.txt").write_text(
        "Long council report\n" + "".join(para.format(i=i) for i in range(20_000)), "utf-8"
    )
    size = (corpus / "long.txt").stat().st_size
    assert size > 1_500_000
    summary = build_index(rel_settings, fake_emb)
    assert summary.documents == 6 and not summary.warnings
    assert summary.chunks > size // rel_settings.chunk_size
    reader = open_reader(rel_settings, fake_emb)
    assert len(reader.document("long").text) > 1_500_000


def test_a_broken_corpus_folder_leaves_the_index_as_it_was(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    first = build_index(rel_settings, fake_emb)
    for path in corpus.iterdir():  # every article replaced by an unreadable file
        path.write_bytes(b"\x00\xff\xfe garbage")
    with pytest.raises(CorpusError, match="No indexable articles") as err:
        build_index(rel_settings, fake_emb)
    assert "left as it is" in (err.value.hint or "")
    reader = open_reader(rel_settings, fake_emb)
    assert reader.generation == first.generation and len(reader.documents()) == 5
    assert verify_index(rel_settings).ok


def test_an_article_that_turns_unreadable_is_reported(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    """One indexed article replaced by a binary file: the build names it in a warning and
    keeps serving the article as it was last indexed (nothing previously indexed is lost)."""
    build_index(rel_settings, fake_emb)
    old = {d.doc_id: d.text for d in open_reader(rel_settings, fake_emb).documents()}
    victim = sorted(corpus.iterdir())[0]
    victim.write_bytes(b"\x00\x01binary")
    summary = build_index(rel_settings, fake_emb)
    assert any(victim.name in w and "binary" in w for w in summary.warnings), summary.warnings
    assert summary.documents == 5 and summary.removed == 0
    assert getattr(summary, "kept_ids", [victim.stem]) == [victim.stem]
    served = {d.doc_id: d.text for d in open_reader(rel_settings, fake_emb).documents()}
    assert served == old
    assert verify_index(rel_settings).ok
