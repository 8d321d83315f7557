"""`newsdesk timeline [TOPIC]` and a dated question over the real index and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_timeline_json_and_text(shipped_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(shipped_index))
    result = CliRunner().invoke(cli, ["timeline", "--json", "protesters", "demonstration"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["topic"] == "protesters demonstration"
    whens = [e["when"] for e in data["entries"]]
    assert whens and any("November 6" in e["citation"]["excerpt"] for e in data["entries"])
    text = CliRunner().invoke(cli, ["timeline", "--limit", "5"])
    assert text.exit_code == 0 and len(text.stdout.strip().splitlines()) == 5
    assert text.stdout.splitlines()[0].startswith("2018")


def test_a_question_about_a_day_cites_that_day(real_service) -> None:  # noqa: ANN001
    answer = real_service.answer("What happened on Nov 6?")
    assert not answer.refused
    assert any("November 6" in c.excerpt for c in answer.citations), answer.citations
