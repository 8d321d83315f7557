"""The corpus folder is a boundary: symlinks out of it, special files, files whose size
`stat` misreports and file names that cannot be document ids are refused with a warning, the
rest is indexed, and nothing outside the folder is read or shown.

Real files, a real FIFO, real symlinks (to a "secret" outside the corpus and to /dev/zero),
real Chroma in a temp dir; only the embedder is a fake.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.build import build_index
from index.corpus_files import Refused, doc_id_problem, printable, read_bounded, scan_corpus
from index.loaders import MAX_FILE_BYTES, SUFFIXES, load_corpus
from index.reader import open_reader
from index.verify import verify_index
from tests.index.fakes import CountingEmbeddings

SECRET = "discord-token-SECRET-7f3a9c"
GOOD = "The river ferry resumed service on Monday after a week of repairs, the operator said.\n"
CONTROL = [chr(c) for c in range(0x20) if chr(c) != " "] + ["\x7f", "\x9b", "\u2028", "\u202e"]


def _no_control(text: str) -> bool:
    return not any(ch in text for ch in CONTROL if ch != "\n")


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "run" / "secrets"
    outside.mkdir(parents=True)
    secret = outside / "discord_token"
    secret.write_text(f"Token: {SECRET}. Do not share.\n", "utf-8")
    return secret


def _texts(settings, emb) -> str:  # noqa: ANN001
    reader = open_reader(settings, emb)
    docs = reader.documents()
    return "\n".join(d.doc_id + d.title + d.text for d in docs) + "\n".join(
        c.text for c in reader.chunks()
    )


def test_symlinks_out_of_the_corpus_are_refused(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    secret_file: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    (corpus / "notes.txt").symlink_to(secret_file)
    (corpus / "nested").mkdir()
    (corpus / "nested" / "deep.md").symlink_to(secret_file)
    (corpus / "secrets_dir").symlink_to(secret_file.parent, target_is_directory=True)
    (corpus / "relative.txt").symlink_to(os.path.relpath(secret_file, corpus))
    (corpus / "inside_real.txt").write_text(GOOD, "utf-8")
    (corpus / "inside_link.txt").symlink_to("inside_real.txt")  # stays inside: allowed
    summary = build_index(rel_settings, fake_emb)

    warned = "\n".join(summary.warnings)
    for name in ("notes.txt", "deep.md", "secrets_dir", "relative.txt"):
        assert any(name in w and "leads outside the corpus folder" in w for w in summary.warnings), (
            name,
            warned,
        )
    assert SECRET not in warned and "discord_token" not in warned  # the target is not named
    stored = _texts(rel_settings, fake_emb)
    assert SECRET not in stored
    assert {"inside_real", "inside_link"} <= {d.doc_id for d in summary_docs(rel_settings, fake_emb)}
    assert summary.documents == 7
    assert verify_index(rel_settings).ok


def summary_docs(settings, emb):  # noqa: ANN001, ANN201
    return open_reader(settings, emb).documents()


def test_a_symlink_swapped_in_after_the_scan_is_caught_when_read(
    tmp_path: Path, secret_file: Path
) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(GOOD, "utf-8")
    scan = scan_corpus(corpus, SUFFIXES)
    assert scan.files == [corpus / "a.txt"]
    (corpus / "a.txt").unlink()
    (corpus / "a.txt").symlink_to(secret_file)  # the race: after the check, before the read
    with pytest.raises(Refused, match="outside the corpus folder"):
        read_bounded(corpus / "a.txt", MAX_FILE_BYTES, root=corpus)


def _load_in_thread(corpus: Path, timeout: float = 60.0):  # noqa: ANN202
    box: dict[str, object] = {}

    def run() -> None:
        box["result"] = load_corpus(corpus)

    thread = threading.Thread(target=run, daemon=True)  # a hang must not hang pytest's exit
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "loading the corpus hung"
    return box["result"]


def test_special_files_are_skipped_without_blocking(corpus: Path) -> None:
    os.mkfifo(corpus / "fifo.txt")  # opening it for reading would block until a writer comes
    (corpus / "zero.txt").symlink_to("/dev/zero")  # endless; stat says size 0
    (corpus / "null.md").symlink_to("/dev/null")
    (corpus / "folder.txt").mkdir()  # a folder named like an article
    result = _load_in_thread(corpus)
    reasons = {Path(w.split(":", 1)[0].removeprefix("Skipped ")).name: w for w in result.warnings}
    assert "not a regular file (a FIFO)" in reasons["fifo.txt"]
    assert "leads outside the corpus folder" in reasons["zero.txt"]
    assert "leads outside the corpus folder" in reasons["null.md"]
    assert "folder.txt" not in reasons  # a folder is walked into, not read
    assert len(result.documents) == 5  # the shipped articles are all still there


def test_reads_are_bounded_whatever_stat_says(tmp_path: Path) -> None:
    # /proc files report st_size 0 but can be read; /dev/zero never ends.
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc")
    assert status.stat().st_size == 0
    with pytest.raises(Refused, match="larger than"):
        read_bounded(status, 64)
    assert len(read_bounded(status, 1 << 20)) > 64  # under the limit it is read in full
    with pytest.raises(Refused, match="a device"):
        read_bounded(Path("/dev/zero"), MAX_FILE_BYTES)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(Refused, match="larger than"):
        read_bounded(big, 1000)
    assert read_bounded(big, 1001) == b"x" * 1001


BAD_NAMES = {
    "two\nlines.txt": "newline",
    "esc\x1b[2J\x1b[31mred.txt": "escape",
    "bell\x07.md": "bell",
    "zero\u200bwidth.txt": "zero-width",
    "rtl\u202eevil.txt": "bidi override",
    "tab\there.txt": "tab",
}


def _make_bad_names(corpus: Path) -> None:
    for name in BAD_NAMES:
        (corpus / name).write_text(GOOD, "utf-8")
    # a name that is not UTF-8 at all (os.fsencode of a surrogate-escaped str)
    with open(os.path.join(os.fsencode(corpus), b"latin\xe9.txt"), "wb") as handle:
        handle.write(GOOD.encode())


def test_file_names_that_cannot_be_ids_are_refused(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    _make_bad_names(corpus)
    (corpus / "ok name, café.txt").write_text(GOOD, "utf-8")  # spaces and accents are fine
    summary = build_index(rel_settings, fake_emb)
    refused = [w for w in summary.warnings if "cannot be a document id" in w]
    assert len(refused) == len(BAD_NAMES) + 1, summary.warnings
    for warning in summary.warnings:
        assert _no_control(warning) and "\n" not in warning, repr(warning)
        warning.encode("utf-8")  # no lone surrogates: printable on any terminal
    assert any("two\\nlines.txt" in w for w in refused)  # shown escaped, still recognisable
    assert any("esc\\x1b[2J\\x1b[31mred.txt" in w for w in refused)
    ids = {d.doc_id for d in summary_docs(rel_settings, fake_emb)}
    assert "ok name, café" in ids and len(ids) == 6
    assert all(doc_id_problem(i) is None for i in ids)


def test_doc_id_rules_and_printable() -> None:
    for bad in ["", "  ", "a\nb", "a\x1bb", "a\u200bb", "a\u2028b", "a\udcffb", "a\x85b"]:
        assert doc_id_problem(bad), repr(bad)
    for good in ["a", "000_d71935d8366a0c7a", "Ünïcode name", "with spaces", "a:b"]:
        assert doc_id_problem(good) is None, good
    assert printable("a\nb\x1b[31m\u202e\udcff") == "a\\nb\\x1b[31m\\u202e\\udcff"
    assert printable("Café — ok") == "Café — ok"


class _RealStampEmbeddings(CountingEmbeddings):
    """Claims the bundled model's stamp so the CLI's no-change build never loads torch."""

    def __init__(self) -> None:
        super().__init__(size=384)
        self.stamp_model = "all-MiniLM-L6-v2"  # index.embeddings.StampedEmbeddings


def test_the_cli_never_prints_raw_control_characters_from_names(
    monkeypatch: pytest.MonkeyPatch,
    rel_settings,  # noqa: ANN001
    corpus: Path,
    secret_file: Path,
) -> None:
    from newsdesk.cli import cli

    _make_bad_names(corpus)
    (corpus / "notes.txt").symlink_to(secret_file)
    build_index(rel_settings, _RealStampEmbeddings())
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(rel_settings.data_dir))
    for args in (["index", "build"], ["index", "build", "--json"]):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        out = result.stdout + result.stderr
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert SECRET not in out
        lines = out.splitlines()
        assert not any(line.startswith("lines.txt") for line in lines)  # no forged line
        if "--json" in args:
            summary = json.loads(result.stdout)
            assert summary["changed"] is False and summary["chunks_embedded"] == 0  # no model load
            warnings = summary["warnings"]
        else:
            assert "Index is up to date" in result.stdout  # the stamp matched: no model load
            warnings = [ln for ln in lines if ln.startswith("warning: ")]
        assert sum("cannot be a document id" in w for w in warnings) == len(BAD_NAMES) + 1
        assert any("notes.txt" in w and "outside the corpus folder" in w for w in warnings)


def test_a_corpus_folder_that_is_itself_a_symlink_still_loads(tmp_path: Path, corpus: Path) -> None:
    link = tmp_path / "mounted-corpus"
    link.symlink_to(corpus, target_is_directory=True)  # e.g. a mount point behind a link
    result = load_corpus(link)
    assert len(result.documents) == 5 and result.warnings == []
