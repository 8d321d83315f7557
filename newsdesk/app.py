"""Composition root: settings in, a ready AnswerService out.

The CLI, the Discord bot and the eval script call ``build_service``; nothing heavy happens at
import (the embedding model and Chroma are loaded inside the function).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from answering.service import AnsweringService
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)


LLM_CHECK_TIMEOUT_S = 5.0


def check_ready(settings: Settings, answerer: str, *, llm: bool = True) -> None:
    """Fail in well under a second, before the embedding model is loaded (seconds): the index
    exists, is complete and matches the settings; the configured LLM server answers.

    Raises IndexMissing, IndexCorrupt, StoreUnavailable, EmbedderMismatch, ModelUnavailable.
    """
    from index.status import index_status  # chromadb client only: no torch
    from newsdesk.cli.health_cmd import check_llm
    from newsdesk.errors import EmbedderMismatch, ModelUnavailable

    status = index_status(settings)
    if status.stale:
        raise EmbedderMismatch(
            "The index was built with a different embedder or chunking: " + "; ".join(status.stale),
            hint="run `newsdesk index build --force`",
        )
    if not llm:
        return
    server = check_llm(settings.model_copy(update={"answerer": answerer}), LLM_CHECK_TIMEOUT_S)
    if not server.ok:
        raise ModelUnavailable(server.detail, hint=server.hint)


def build_service(
    settings: Settings, *, answerer: str | None = None, check_llm: bool = False
) -> AnsweringService:
    """Load the embeddings, open the index reader and build the configured answerer.

    ``check_llm``: also refuse at once when the configured LLM server does not answer (the
    CLI's ask/chat; a long-running bot starts anyway and reports the server per question).
    Raises IndexMissing (with the hint to run ``newsdesk index build``), EmbedderMismatch,
    IndexCorrupt, StoreUnavailable from the reader, and ConfigError for bad prompts/settings.
    """
    from answering.embedding_cache import QueryCachedEmbeddings
    from answering.factory import build_answering
    from answering.prompts import load_prompts
    from index.embeddings import load_embeddings
    from index.reader import open_reader

    load_prompts(settings.prompts_dir)  # fail on a broken prompt before loading the model
    # ... and on a missing or stale index (and, for one-shot commands, a down LLM server)
    check_ready(settings, answerer or settings.answerer, llm=check_llm)
    if settings.serve_torch_threads:
        import torch

        # Answering embeds one short question at a time: extra threads only contend for the
        # CPU (bench: p95 138 ms with 1 thread vs 636 ms with 2 on the 2-core machine).
        torch.set_num_threads(settings.serve_torch_threads)
    embeddings = QueryCachedEmbeddings(load_embeddings(settings))  # one embedding per question
    reader = open_reader(settings, embeddings)
    return build_answering(settings, reader, embeddings, answerer=answerer)
