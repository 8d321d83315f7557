"""Assemble an AnsweringService from a reader, embeddings and settings (no I/O of its own).

``newsdesk.app.build_service`` opens the real index and calls this; tests call it with an
in-memory reader. Chat models are built here so the ollama/openai choice lives in one place.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from answering.answerers.base import Answerer
from answering.answerers.extractive import ExtractiveAnswerer, Limits
from answering.answerers.llm import LLMAnswerer, LLMCondenser
from answering.answerhood import WordStats
from answering.language import Analyzer
from answering.prompts import load_prompts
from answering.retrieval import HybridRetriever, Reader
from answering.rewrite import EntityRewriter
from answering.sentences import SentenceCache
from answering.service import AnsweringService, Condenser
from newsdesk.errors import ConfigError

if TYPE_CHECKING:
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)


def chat_model(settings: Settings, name: str) -> tuple[BaseChatModel, str]:
    """(LangChain chat model, URL it talks to) for ``ollama`` or ``openai``. No network here.

    LangChain's ``init_chat_model`` picks the provider's class (ChatOllama / ChatOpenAI).
    """
    from langchain.chat_models import init_chat_model

    if name == "ollama":
        url = settings.ollama_url.rstrip("/")
        model = init_chat_model(
            settings.llm_model,
            model_provider="ollama",
            base_url=url,
            temperature=0.0,
            client_kwargs={"timeout": settings.llm_timeout_s},
        )
        return model, url
    if name == "openai":
        url = settings.openai_base_url.rstrip("/")
        model = init_chat_model(
            settings.llm_model,
            model_provider="openai",
            base_url=url,
            api_key=settings.openai_api_key,
            temperature=0.0,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
        return model, url
    raise ConfigError(f"Unknown answerer {name!r}", hint="use NEWSDESK_ANSWERER=extractive, ollama or openai")


def build_answering(
    settings: Settings,
    reader: Reader,
    embeddings: Embeddings,
    *,
    answerer: str | None = None,
    model: BaseChatModel | None = None,
    analyzer: Analyzer | None = None,
) -> AnsweringService:
    """The service for ``answerer`` (default: ``settings.answerer``).

    ``model`` overrides the chat model (tests pass a langchain_core fake chat model).
    """
    name = answerer or settings.answerer
    prompts = load_prompts(settings.prompts_dir)  # checked even in extractive mode
    retriever = HybridRetriever(reader)

    analyzer = analyzer or Analyzer()
    cache = SentenceCache(embeddings)
    extractive = ExtractiveAnswerer(
        reader.document,
        cache,
        WordStats(reader.idf, reader.max_idf),
        analyzer,
        limits=Limits(embed_budget=settings.sentence_budget, parse_budget=settings.parse_budget),
    )
    chosen: Answerer = extractive
    rewriter = EntityRewriter(analyzer)
    condenser: Condenser = rewriter
    if name != "extractive":
        if model is None:
            model, url = chat_model(settings, name)
        else:
            url = settings.ollama_url if name == "ollama" else settings.openai_base_url
        chosen = LLMAnswerer(
            name,
            model,
            url,
            prompts.answer,
            reader.document,
            extractive,
            uncited=settings.llm_uncited,
        )
        condenser = LLMCondenser(name, model, url, prompts.condense, fallback=rewriter)
    log.debug("answerer: %s", name)
    return AnsweringService(
        reader,
        retriever,
        chosen,
        top_k=settings.top_k,
        max_question_chars=settings.max_question_chars,
        condenser=condenser,
        history_turns=settings.discord_history_turns,
        similar=cache.similarity,
    )
