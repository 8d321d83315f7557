"""The composition root: one runtime per process, one embedding model load, /reindex reuses it.

Fast: the model loader is swapped for a counting fake with the bundled model's size, so the
real Chroma store, the real build and the real answering core run without torch.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHIPPED_CORPUS
from tests.index.fakes import CountingEmbeddings


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[CountingEmbeddings]:
    """Every model 'load' of this test: index.lazy's loader returns a new counting fake."""
    made: list[CountingEmbeddings] = []

    def load_embeddings(settings: Any) -> CountingEmbeddings:
        made.append(CountingEmbeddings(size=384))  # the bundled model's dimension
        return made[-1]

    monkeypatch.setattr("index.lazy.load_embeddings", load_embeddings)
    return made


@pytest.fixture
def app_settings(isolated_env: Path, tmp_path: Path) -> Any:
    from newsdesk.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    # no torch import: the fake loader needs no threads setting
    return Settings(data_dir=isolated_env, corpus_dir=corpus, serve_torch_threads=0)


def test_runtime_serves_and_reindex_reuses_its_one_model(
    app_settings: Any, loads: list[CountingEmbeddings]
) -> None:
    from newsdesk.app import build_index_now, build_runtime

    first = build_index_now(app_settings)
    assert first.added == 5 and len(loads) == 1
    loads.clear()

    runtime = build_runtime(app_settings)
    assert len(loads) == 1, "serving loads the model once, at start-up"
    assert runtime.retriever is runtime.service.retriever
    docs = runtime.documents()
    assert len(docs) == 5
    doc = docs[0]
    assert runtime.document_text(doc.doc_id) == doc.text
    assert runtime.document_text("no-such-article") is None
    assert doc.doc_id in runtime.rank_documents(doc.title, 6)
    assert "generation" in runtime.describe() and "5 articles" in runtime.describe()

    new = Path(app_settings.corpus_dir) / "zz_new.txt"
    new.write_text("Zorblax Quux opened a bakery in Baghdad on Monday.\n", "utf-8")
    summary = runtime.reindex()
    assert summary.added == 1 and summary.chunks_embedded >= 1
    assert len(loads) == 1, "/reindex embeds with the runtime's model, not a second copy"
    assert any("Zorblax" in text for text in loads[0].embedded)
    # an in-place update: same generation, the new article served at once
    assert "zz_new" in [d.doc_id for d in runtime.documents()], "the update is served at once"
    answer = runtime.service.answer("Who opened a bakery in Baghdad?")
    assert answer.citations and answer.citations[0].doc_id == "zz_new"


def test_bot_deps_are_wired_from_the_runtime(app_settings: Any, loads: list[CountingEmbeddings]) -> None:
    from newsdesk.app import build_bot_deps, build_index_now

    build_index_now(app_settings)
    loads.clear()
    deps = build_bot_deps(app_settings, allow_reindex=True)
    assert len(loads) == 1
    assert [d.doc_id for d in deps.list_sources()] == sorted(p.stem for p in SHIPPED_CORPUS.glob("*.txt"))
    assert deps.reindex is not None and deps.reindex().changed is False
    assert len(loads) == 1
    assert deps.describe_index is not None and "5 articles" in deps.describe_index()
    assert build_bot_deps(app_settings, allow_reindex=False).reindex is None


def test_index_commands_refuse_to_invent_settings() -> None:
    from click.testing import CliRunner

    from newsdesk.cli.index_cmd import index

    result = CliRunner().invoke(index, ["status"])
    assert result.exit_code == 2
    assert "newsdesk index" in result.output


def test_no_index_is_reported_before_the_model_loads(
    app_settings: Any, loads: list[CountingEmbeddings]
) -> None:
    from newsdesk.app import build_runtime
    from newsdesk.errors import IndexMissing

    with pytest.raises(IndexMissing) as info:
        build_runtime(app_settings)
    assert str(app_settings.data_dir) in info.value.message
    assert loads == [], "no model load for a question that cannot be answered"
