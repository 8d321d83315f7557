"""Our SentenceTransformer wrapper: the same vectors as before, the stamp kept, fewer imports."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from answering.embedding_cache import QueryCachedEmbeddings
from index.embeddings import embedder_name, embedding_dimension, resolve_model_path
from index.sentence_embeddings import SentenceEmbeddings

TEXTS = [
    "The drone hit the residence.",
    "Ned Price said the United States\ncondemned the attack in the strongest terms.",
    "Who denied involvement?",
    "A much longer chunk of news text, " * 20,
]


class RecordingModel:
    """Implements the part of SentenceTransformer's interface the wrapper uses."""

    def __init__(self, result: Any = None) -> None:
        self.calls: list[tuple[list[str], dict[str, Any]]] = []
        self.result = result

    def encode(self, texts: list[str], **kwargs: Any) -> Any:
        self.calls.append((list(texts), kwargs))
        if self.result is not None:
            return self.result
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def test_encode_call_matches_what_huggingface_embeddings_sent() -> None:
    model = RecordingModel()
    emb = SentenceEmbeddings(model, batch_size=48, stamp_name="all-MiniLM-L6-v2")  # type: ignore[arg-type]
    assert emb.embed_documents(["one\ntwo", "three"]) == [[7.0, 1.0], [5.0, 1.0]]
    assert emb.embed_query("q\n") == [2.0, 1.0]
    assert model.calls[0] == (
        ["one two", "three"],
        {
            "batch_size": 48,
            "normalize_embeddings": True,
            "show_progress_bar": False,
            "convert_to_numpy": True,
        },
    )
    assert model.calls[1][0] == ["q "]
    assert emb.embed_documents([]) == [] and len(model.calls) == 2  # nothing to encode


def test_a_non_array_result_is_an_error_not_garbage() -> None:
    emb = SentenceEmbeddings(RecordingModel(result=[[0.1]]), batch_size=8, stamp_name="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list"):
        emb.embed_query("q")


def test_stamp_name_survives_the_query_cache(settings) -> None:
    emb = SentenceEmbeddings(RecordingModel(), batch_size=8, stamp_name="all-MiniLM-L6-v2")  # type: ignore[arg-type]
    assert embedder_name(settings, emb) == "all-MiniLM-L6-v2"
    assert embedder_name(settings, QueryCachedEmbeddings(emb)) == "all-MiniLM-L6-v2"


@pytest.mark.slow
@pytest.mark.integration
def test_vectors_equal_sentence_transformers_encode(settings, embeddings) -> None:
    """Exactly the vectors of a separately loaded model: indexes built before stay valid."""
    from sentence_transformers import SentenceTransformer

    assert isinstance(embeddings, SentenceEmbeddings)
    reference = SentenceTransformer(str(resolve_model_path(settings)), device="cpu")
    expected = reference.encode(TEXTS, normalize_embeddings=True, batch_size=settings.embedding_batch_size)
    got = np.array(embeddings.embed_documents(TEXTS), dtype=np.float32)
    assert got.shape == (len(TEXTS), 384)
    assert np.array_equal(got, expected)
    query = np.array(embeddings.embed_query(TEXTS[2]), dtype=np.float32)
    assert np.array_equal(query, reference.encode([TEXTS[2]], normalize_embeddings=True)[0])
    assert embedding_dimension(embeddings) == 384  # asked of the model, no probe embedding
    assert embedder_name(settings, embeddings) == "all-MiniLM-L6-v2"


@pytest.mark.slow
@pytest.mark.integration
def test_vectors_equal_the_huggingface_embeddings_they_replace(settings, embeddings) -> None:
    hf = pytest.importorskip("langchain_huggingface")
    old = hf.HuggingFaceEmbeddings(
        model_name=str(resolve_model_path(settings)),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embedding_batch_size},
    )
    assert old.embed_documents(TEXTS) == embeddings.embed_documents(TEXTS)
    assert old.embed_query(TEXTS[1]) == embeddings.embed_query(TEXTS[1])


@pytest.mark.slow
@pytest.mark.integration
def test_loading_the_model_does_not_import_langchain_huggingface() -> None:
    """Cold start: the wrapper must not drag that package (and its chat models) back in."""
    code = (
        "import sys\n"
        "from index.embeddings import load_embeddings\n"
        "from newsdesk.settings import Settings\n"
        "emb = load_embeddings(Settings())\n"
        "assert len(emb.embed_query('x')) == 384\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'langchain_huggingface'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
