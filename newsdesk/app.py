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


def build_service(settings: Settings, *, answerer: str | None = None) -> AnsweringService:
    """Load the embeddings, open the index reader and build the configured answerer.

    Raises IndexMissing (with the hint to run ``newsdesk index build``), EmbedderMismatch,
    IndexCorrupt, StoreUnavailable from the reader, and ConfigError for bad prompts/settings.
    """
    from answering.embedding_cache import QueryCachedEmbeddings
    from answering.factory import build_answering
    from answering.prompts import load_prompts
    from index.embeddings import load_embeddings
    from index.reader import open_reader

    load_prompts(settings.prompts_dir)  # fail on a broken prompt before loading the model
    if settings.serve_torch_threads:
        import torch

        # Answering embeds one short question at a time: extra threads only contend for the
        # CPU (bench: p95 138 ms with 1 thread vs 636 ms with 2 on the 2-core machine).
        torch.set_num_threads(settings.serve_torch_threads)
    embeddings = QueryCachedEmbeddings(load_embeddings(settings))  # one embedding per question
    reader = open_reader(settings, embeddings)
    return build_answering(settings, reader, embeddings, answerer=answerer)
