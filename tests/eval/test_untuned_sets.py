"""Floors on the question sets the answerer was never fitted or tuned on.

- ``evaluation/blindset.jsonl``, ``evaluation/newsset.jsonl`` and ``evaluation/freshset.jsonl``:
  written from the five shipped articles by engineers who had not read the code.
- ``evaluation/othercorpus.jsonl`` over ``evaluation/othercorpus/`` (a factory fire),
  ``evaluation/floodcorpus.jsonl`` over ``evaluation/floodcorpus/`` (a flood),
  ``evaluation/courtcorpus.jsonl`` over ``evaluation/courtcorpus/`` (a corruption trial) and
  ``evaluation/outbreakcorpus.jsonl`` over ``evaluation/outbreakcorpus/`` (a salmonella outbreak)
  and ``evaluation/electioncorpus.jsonl`` over ``evaluation/electioncorpus/`` (a disputed mayoral
  recount; sixth session, run once, on what landed, before it was committed), the last four
  written with their questions by engineers who had not read the code: other
  topics entirely; this test builds their own indexes, so the whole pipeline (index, retrieval,
  answerhood model, follow-ups) is checked on text it never saw.

The issue-12 targets (accuracy >= 0.85, refusal recall >= 0.85, false refusals <= 0.08) are not
met (docs/eval.md says by how much); these floors sit a little under what is measured, so a
regression fails ``make test`` while the targets stay written down as targets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsdesk.cli import main
from tests.conftest import PROJECT_ROOT, SHIPPED_CORPUS

pytestmark = [pytest.mark.slow, pytest.mark.integration]

EVALUATION = PROJECT_ROOT / "evaluation"
OTHER_CORPUS = EVALUATION / "othercorpus"
FLOOD_CORPUS = EVALUATION / "floodcorpus"
COURT_CORPUS = EVALUATION / "courtcorpus"
OUTBREAK_CORPUS = EVALUATION / "outbreakcorpus"
ELECTION_CORPUS = EVALUATION / "electioncorpus"

# metric -> minimum, measured values in the comment
# measured 2026-12-01, sixth session (docs/eval.md): blind 0.737 accuracy / 0.45 refusal recall /
# 0.092 false refusals; news 0.632 / - / 0.053; fresh 0.881 / 0.294 / 0.045; other topic 0.583 /
# 0.385 / 0.146; flood 0.643 / 0.083 / 0.0; court 0.759 / 0.444 / 0.072; outbreak 0.723 / 0.074 /
# 0.084; election (new) 0.639 / 0.074 / 0.048.
FLOORS: dict[str, dict[str, float]] = {
    "blindset.jsonl": {"accuracy": 0.72, "refusal_recall": 0.4, "citation_validity": 1.0},
    "newsset.jsonl": {"accuracy": 0.61, "citation_validity": 1.0},
    "freshset.jsonl": {"accuracy": 0.85, "refusal_recall": 0.23, "citation_validity": 1.0},
    "othercorpus.jsonl": {"accuracy": 0.55, "refusal_recall": 0.3, "citation_validity": 1.0},
    "floodcorpus.jsonl": {"accuracy": 0.62, "refusal_recall": 0.08, "citation_validity": 1.0},
    "courtcorpus.jsonl": {"accuracy": 0.72, "refusal_recall": 0.4, "citation_validity": 1.0},
    "outbreakcorpus.jsonl": {"accuracy": 0.7, "refusal_recall": 0.07, "citation_validity": 1.0},
    "electioncorpus.jsonl": {"accuracy": 0.61, "refusal_recall": 0.07, "citation_validity": 1.0},
}


def _eval(args: list[str]) -> int:
    try:
        main(["eval", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _index(tmp_path_factory: pytest.TempPathFactory, embeddings: Any, corpus: Path, documents: int) -> Path:
    from index.build import build_index
    from newsdesk.settings import Settings

    data_dir = tmp_path_factory.mktemp(f"index-{corpus.name}")
    settings = Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus, chroma_url=None)  # type: ignore[call-arg]
    assert build_index(settings, embeddings).added == documents
    return data_dir


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Path:
    return _index(tmp_path_factory, embeddings, SHIPPED_CORPUS, 5)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Callable[[Path], Path]:
    """An index of a corpus folder (every article in it), built once per module."""
    built: dict[Path, Path] = {}

    def get(corpus: Path) -> Path:
        if corpus not in built:
            built[corpus] = _index(tmp_path_factory, embeddings, corpus, len(list(corpus.glob("*.txt"))))
        return built[corpus]

    return get


def _run(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, corpus: Path, questions: str, tmp_path: Path
) -> dict[str, Any]:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    out = tmp_path / "results.json"
    floors = dict(FLOORS[questions])
    gate = [f"--min-{name.replace('_', '-')}={value}" for name, value in floors.items()]
    code = _eval(["--questions", str(EVALUATION / questions), "--json", str(out), *gate])
    data = json.loads(out.read_text("utf-8"))
    assert code == 0, json.dumps(data["summary"]["metrics"], indent=1)
    assert data["summary"]["metrics"]["errors"] == 0
    assert all(not r["invalid_citations"] for r in data["results"])
    return data


@pytest.mark.parametrize("questions", ["blindset.jsonl", "newsset.jsonl", "freshset.jsonl"])
def test_blind_sets_on_the_shipped_corpus(
    questions: str, shipped_dir: Path, real_model: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = _run(monkeypatch, shipped_dir, SHIPPED_CORPUS, questions, tmp_path)
    assert data["summary"]["set"]["name"] == questions


@pytest.mark.parametrize(
    ("questions", "corpus"),
    [
        ("othercorpus.jsonl", OTHER_CORPUS),
        ("floodcorpus.jsonl", FLOOD_CORPUS),
        ("courtcorpus.jsonl", COURT_CORPUS),
        ("outbreakcorpus.jsonl", OUTBREAK_CORPUS),
        ("electioncorpus.jsonl", ELECTION_CORPUS),
    ],
)
def test_a_corpus_on_another_topic(
    questions: str,
    corpus: Path,
    corpus_dir: Callable[[Path], Path],
    real_model: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert len(list(corpus.glob("*.txt"))) >= 4, "a corpus of several reports"
    data = _run(monkeypatch, corpus_dir(corpus), corpus, questions, tmp_path)
    results = data["results"]
    assert results, "the set has questions"
    cited = {c["doc_id"] for r in results for c in r["citations"]}
    assert cited and cited <= {p.stem for p in corpus.glob("*.txt")}
