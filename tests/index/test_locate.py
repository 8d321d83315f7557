"""A cited excerpt is found in the file the article was loaded from (issue 12, item 7)."""

from __future__ import annotations

import json
from pathlib import Path

from index.locate import locate


def test_a_text_file_with_front_matter_and_wrapped_lines(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(
        "---\ntitle: Levee fails\ndate: 2025-03-14\n---\n\nThe river rose overnight.\n\n"
        "Mayor Reyes said the town had\nminutes,   not hours.\n",
        encoding="utf-8",
    )
    where = locate(f, "Mayor Reyes said the town had minutes, not hours.")
    assert where is not None and (where.line, where.column) == (8, 1)
    assert str(where) == f"{f}:8:1"
    assert locate(f, "The river rose overnight.") is not None
    assert locate(f, "A sentence the file never had.") is None


def test_a_jsonl_record_is_found_by_its_line(tmp_path: Path) -> None:
    f = tmp_path / "feed.jsonl"
    rows = [{"id": "a", "text": "First story."}, {"id": "b", "text": "Second story \u2019quoted\u2019 here."}]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")  # ASCII-escaped
    where = locate(f, "Second story \u2019quoted\u2019 here.")
    assert where is not None and (where.line, where.column) == (2, None)


def test_html_missing_and_empty_give_no_location(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<p>Hello there.</p>", encoding="utf-8")
    assert locate(page, "Hello there.") is None
    assert locate(tmp_path / "gone.txt", "Hello there.") is None
    assert locate(page, "   ") is None


def test_the_cli_names_the_file_and_line_and_says_what_the_offsets_index(tmp_path: Path) -> None:
    from answering.citations import make_citation
    from answering.models import Answer
    from index.loaders import load_corpus
    from newsdesk.cli.ask_cmd import render_text

    body = "---\ntitle: Levee fails\n---\n\nThe river rose.\n\nMayor Reyes ordered the evacuation.\n"
    (tmp_path / "a.txt").write_text(body, encoding="utf-8")
    (doc,) = load_corpus(tmp_path).documents
    start = doc.text.index("Mayor")
    c = make_citation(1, doc, start, len(doc.text.rstrip()))
    text = render_text(Answer("who?", "Reyes [1].", False, (c,)))
    assert f"{tmp_path / 'a.txt'}:7:1;" in text
    assert f"characters {start}-{c.end} of the stored text" in text
    assert c.to_dict()["path"] == str(tmp_path / "a.txt")
