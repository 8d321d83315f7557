"""The same build, status and reads against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.build import build_index, index_status
from index.locking import build_lock
from index.reader import open_reader
from index.store import Store
from index.verify import verify_index
from newsdesk.cli import cli
from newsdesk.errors import IndexBusy, IndexMissing
from tests.index.fakes import CountingEmbeddings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_cli_build_and_status_against_a_chroma_server(
    chroma_server: str, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", chroma_server)
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_COLLECTION", "cli-server-test")
    runner = CliRunner()
    first = runner.invoke(cli, ["index", "build", "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    built = json.loads(first.stdout)
    assert built["added"] == 5 and built["chunks_embedded"] == built["chunks"] > 0
    assert built["location"] == chroma_server

    status = runner.invoke(cli, ["index", "status", "--json"], catch_exceptions=False)
    data = json.loads(status.stdout)
    assert data["documents"] == 5 and data["location"] == chroma_server
    assert data["model"] == "all-MiniLM-L6-v2"

    again = json.loads(runner.invoke(cli, ["index", "build", "--json"]).stdout)
    assert again["chunks_embedded"] == 0 and again["changed"] is False

    path = corpus / "000_d71935d8366a0c7a.txt"
    path.write_text(path.read_text("utf-8") + "\nOne more sentence.", "utf-8")
    touched = json.loads(runner.invoke(cli, ["index", "build", "--json"]).stdout)
    assert touched["updated_ids"] == ["000_d71935d8366a0c7a"]
    assert 1 <= touched["chunks_embedded"] < built["chunks_embedded"] // 3

    verify = runner.invoke(cli, ["index", "verify"], catch_exceptions=False)
    assert verify.exit_code == 0 and verify.stdout.startswith("OK:")


def test_reader_and_lease_against_a_chroma_server(chroma_server: str, index_settings) -> None:
    settings = index_settings.model_copy(
        update={"chroma_url": chroma_server, "collection": "reader-server-test"}
    )
    emb = CountingEmbeddings()
    with pytest.raises(IndexMissing, match=chroma_server):
        open_reader(settings, emb)
    summary = build_index(settings, emb)
    assert not (Path(settings.data_dir) / "chroma").exists()  # nothing written locally
    reader = open_reader(settings, emb)
    doc = reader.documents()[0]
    hit = reader.vector_search(reader.chunks()[0].text, k=1)[0]
    assert hit.chunk.chunk_id == reader.chunks()[0].chunk_id
    assert reader.document(hit.chunk.doc_id).text[hit.chunk.start : hit.chunk.end] == hit.chunk.text
    assert doc.content_hash and index_status(settings).chunks == summary.chunks
    assert verify_index(settings).ok

    store = Store.open(settings, create=True)
    with build_lock(store), pytest.raises(IndexBusy):
        build_index(settings, emb)
    assert build_index(settings, emb).unchanged == 5  # lease released


def test_server_going_away_is_store_unavailable(index_settings, tmp_path: Path) -> None:
    from newsdesk.errors import StoreUnavailable
    from tests.conftest import start_chroma_server, stop_chroma_server

    url, proc = start_chroma_server(tmp_path / "own-server")
    try:
        settings = index_settings.model_copy(update={"chroma_url": url})
        emb = CountingEmbeddings()
        build_index(settings, emb)
        reader = open_reader(settings, emb)
        assert reader.vector_search("drone", k=2)
    finally:
        stop_chroma_server(proc)
    with pytest.raises(StoreUnavailable) as info:
        reader.vector_search("drone", k=2)
    assert url in info.value.message
    with pytest.raises(StoreUnavailable):
        build_index(settings, emb)
    with pytest.raises(StoreUnavailable):
        index_status(settings)


def test_lease_of_a_dead_builder_is_taken_over(chroma_server: str, index_settings) -> None:
    import json as _json
    import socket
    import subprocess
    import sys
    import time

    from index.locking import LEASE_ID
    from index.records import PLACEHOLDER_EMBEDDING, as_vectors

    settings = index_settings.model_copy(
        update={"chroma_url": chroma_server, "collection": "lease-server-test"}
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    meta = Store.open(settings, create=True).meta(create=True)
    assert meta is not None
    meta.upsert(
        ids=[LEASE_ID],
        embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
        documents=[
            _json.dumps(
                {
                    "owner": "crashed",
                    "host": socket.gethostname(),
                    "pid": dead.pid,
                    "expires": time.time() + 600,
                }
            )
        ],
    )
    assert build_index(settings, CountingEmbeddings()).documents == 5
    assert meta.get(ids=[LEASE_ID])["ids"] == []  # released after the build
