"""Composition root: settings in, everything the CLI, the bot and the eval use out.

``build_runtime(settings)`` is the one place that loads the embedding model, opens the index
and builds the answering service; the commands and the bot only parse, call and print.
Nothing heavy happens at import (the model, torch and Chroma are loaded inside functions), so
``newsdesk --help`` and ``newsdesk health`` stay fast.

One embedding model per process: the runtime's ``embeddings`` load on first use, and the
bot's ``/reindex`` (``Runtime.reindex``) embeds with that same copy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from answering.embedding_cache import QueryCachedEmbeddings
    from answering.models import Answer, AnswerService
    from answering.retrieval import HybridRetriever
    from answering.service import AnsweringService
    from bot.client import BotDeps
    from bot.feedback import FeedbackStore
    from evaluation.questions import Question
    from evaluation.run import Ranker
    from index.build import BuildSummary, Progress
    from index.lazy import LazyEmbeddings
    from index.models import Document
    from index.reader import IndexReader
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


@dataclass
class Runtime:
    """Everything a serving process holds, built once by ``build_runtime``."""

    settings: Settings
    embeddings: LazyEmbeddings  # the one model copy of this process, loaded on first embed
    query_embeddings: QueryCachedEmbeddings  # over ``embeddings``: each question embedded once
    reader: IndexReader
    retriever: HybridRetriever
    service: AnsweringService
    _reindex_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @cached_property
    def feedback(self) -> FeedbackStore:
        """The 👍/👎 store in the data directory (opened on first use: only the bot needs it)."""
        from bot.feedback import FeedbackStore

        return FeedbackStore.in_data_dir(self.settings.data_dir)

    @property
    def answerer(self) -> str:
        return self.service.answerer_name

    def documents(self) -> list[Document]:
        return self.reader.documents()

    def describe(self) -> str:
        """One line for logs: where the index is, which generation, how many articles."""
        return (
            f"index {self.reader.location} generation {self.reader.generation} "
            f"({len(self.reader.documents())} articles, {self.answerer} answerer)"
        )

    def warm(self) -> None:
        """Build the keyword index now rather than inside the first question."""
        self.service.warm()

    def warm_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.warm, name="newsdesk-warm", daemon=True)
        thread.start()
        return thread

    def reindex(
        self,
        *,
        corpus_dir: Path | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> BuildSummary:
        """Incremental rebuild with this process's model, then serve the new generation.

        One rebuild at a time per runtime (the build itself also holds the index's lock).
        """
        from index.build import build_index

        with self._reindex_lock:
            summary = build_index(
                self.settings, self.embeddings, corpus_dir=corpus_dir, force=force, progress=progress
            )
            if self.reader.refresh():
                log.info("now serving index generation %s", self.reader.generation)
                self.service.warm()
        return summary

    def document_text(self, doc_id: str) -> str | None:
        """The stored text of ``doc_id`` (None if it is not in the index)."""
        from newsdesk.errors import NewsdeskError

        try:
            return self.reader.document(doc_id).text
        except (LookupError, NewsdeskError):
            return None

    def rank_documents(self, query: str, k: int) -> list[str]:
        """Document ids in the order the core's retriever ranks them for ``query`` (top ``k`` chunks)."""
        ranked: list[str] = []
        for item in self.retriever.retrieve(query, k):
            if item.chunk.doc_id not in ranked:
                ranked.append(item.chunk.doc_id)
        return ranked


def _serve_threads(settings: Settings) -> None:
    if settings.serve_torch_threads:
        import torch

        # Answering embeds one short question at a time: extra threads only contend for the
        # CPU (bench: p95 138 ms with 1 thread vs 636 ms with 2 on the 2-core machine).
        torch.set_num_threads(settings.serve_torch_threads)


def build_runtime(settings: Settings, *, answerer: str | None = None, check_llm: bool = False) -> Runtime:
    """Load the embedding model, open the index reader and build the configured answerer.

    ``check_llm``: also refuse at once when the configured LLM server does not answer (the
    CLI's ask/chat; a long-running bot starts anyway and reports the server per question).
    Raises IndexMissing (with the hint to run ``newsdesk index build``), EmbedderMismatch,
    IndexCorrupt, StoreUnavailable from the reader, and ConfigError for bad prompts/settings.
    """
    from answering.embedding_cache import QueryCachedEmbeddings
    from answering.factory import build_answering
    from answering.prompts import load_prompts
    from index.lazy import LazyEmbeddings
    from index.reader import open_reader

    load_prompts(settings.prompts_dir)  # fail on a broken prompt before loading the model
    # ... and on a missing or stale index (and, for one-shot commands, a down LLM server)
    check_ready(settings, answerer or settings.answerer, llm=check_llm)
    embeddings = LazyEmbeddings(settings)
    query_embeddings = QueryCachedEmbeddings(embeddings)
    # The store is opened before the model loads: no index is reported in a second, not after
    # importing torch (the embedder check that follows loads the model).
    reader = open_reader(settings, query_embeddings)
    _serve_threads(settings)
    embeddings.model()  # serving: loaded now, so the first question does not pay for it
    service = build_answering(settings, reader, query_embeddings, answerer=answerer)
    return Runtime(
        settings=settings,
        embeddings=embeddings,
        query_embeddings=query_embeddings,
        reader=reader,
        retriever=service.retriever,
        service=service,
    )


def build_service(
    settings: Settings, *, answerer: str | None = None, check_llm: bool = False
) -> AnsweringService:
    """Just the answering service (the benchmarks' worker uses this)."""
    return build_runtime(settings, answerer=answerer, check_llm=check_llm).service


def build_index_now(
    settings: Settings,
    *,
    corpus_dir: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> BuildSummary:
    """`newsdesk index build`: the model is loaded only if something needs embedding."""
    from index.build import build_index
    from index.lazy import LazyEmbeddings

    if corpus_dir is not None:
        corpus_dir = corpus_dir.expanduser().absolute()  # messages name the folder absolutely
    return build_index(
        settings, LazyEmbeddings(settings), corpus_dir=corpus_dir, force=force, progress=progress
    )


# --- the eval ---------------------------------------------------------------------------------


@dataclass
class EvalTarget:
    """What the eval scores, built from settings by ``build_eval_target`` (faked in tests)."""

    service: AnswerService
    lookup: Callable[[str], str | None]  # doc id -> stored text, straight from the index
    ranker: Ranker | None  # None: retrieval metrics from the citation order
    answerer: str
    model: str | None
    embedding_model: str | None
    chat_model: Callable[[], BaseChatModel] | None = None  # for --judge


def judge_model(settings: Settings) -> BaseChatModel:
    """The configured LLM as the core builds it (same LangChain chat model types)."""
    from newsdesk.errors import ConfigError

    if settings.answerer == "extractive":
        raise ConfigError(
            "--judge needs an LLM answerer: the extractive answerer has no model to judge with",
            hint="use --answerer ollama or --answerer openai (or NEWSDESK_ANSWERER)",
        )
    from answering.factory import chat_model

    return chat_model(settings, settings.answerer)[0]


def build_eval_target(settings: Settings, k: int) -> EvalTarget:
    """The real answering core, as the CLI and the bot build it, plus what the eval checks with.

    Citations are checked against the reader's stored text, and hit@k/recall@k/MRR re-run the
    core's retriever on the rewritten question (deterministic: the ranking the answerer saw).
    """
    runtime = build_runtime(settings)

    def ranker(question: Question, answer: Answer) -> list[str]:
        return runtime.rank_documents(answer.standalone_question or question.question, k)

    llm = settings.answerer != "extractive"
    return EvalTarget(
        service=runtime.service,
        lookup=runtime.document_text,
        ranker=ranker,
        answerer=runtime.answerer,
        model=settings.llm_model if llm else None,
        embedding_model=settings.embedding_model,
        chat_model=(lambda: judge_model(settings)) if llm else None,
    )


# --- the bot ----------------------------------------------------------------------------------


def build_bot_deps(settings: Settings, *, allow_reindex: bool = True) -> BotDeps:
    """The bot's dependencies from the real core and index (heavy: loads the model).

    The keyword index takes seconds at 100k chunks: it is built now, beside the gateway login,
    rather than inside the first user's question. ``/reindex`` reuses this process's model.
    """
    from answering.timeline import timeline
    from bot.client import BotDeps

    runtime = build_runtime(settings)
    runtime.warm_in_background()
    return BotDeps(
        service=runtime.service,
        feedback=runtime.feedback,
        list_sources=runtime.documents,
        reindex=runtime.reindex if allow_reindex else None,
        describe_index=runtime.describe,
        timeline=lambda topic: timeline(runtime.reader, runtime.retriever, topic),
    )
