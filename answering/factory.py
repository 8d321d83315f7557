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
from answering.answerers.extractive import ExtractiveAnswerer, Weights
from answering.answerers.llm import LLMAnswerer, LLMCondenser
from answering.prompts import load_prompts
from answering.retrieval import HybridRetriever, Reader
from answering.rewrite import rewrite_follow_up
from answering.sentences import SentenceCache
from answering.service import AnsweringService, Condenser
from newsdesk.errors import ConfigError

if TYPE_CHECKING:
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

# answering.text.stem strips these; the keyword index analyses whole words (Snowball).
_ENDINGS = ("e", "s", "es", "y", "ed", "ing")


def chat_model(settings: Settings, name: str) -> tuple[BaseChatModel, str]:
    """(LangChain chat model, URL it talks to) for ``ollama`` or ``openai``. No network here."""
    if name == "ollama":
        from langchain_ollama import ChatOllama

        url = settings.ollama_url.rstrip("/")
        return (
            ChatOllama(
                model=settings.llm_model,
                base_url=url,
                temperature=0.0,
                client_kwargs={"timeout": settings.llm_timeout_s},
            ),
            url,
        )
    if name == "openai":
        from langchain_openai import ChatOpenAI

        url = settings.openai_base_url.rstrip("/")
        return (
            ChatOpenAI(
                model=settings.llm_model,
                base_url=url,
                api_key=settings.openai_api_key,
                temperature=0.0,
                timeout=settings.llm_timeout_s,
                max_retries=0,
            ),
            url,
        )
    raise ConfigError(f"Unknown answerer {name!r}", hint="use NEWSDESK_ANSWERER=extractive, ollama or openai")


def build_answering(
    settings: Settings,
    reader: Reader,
    embeddings: Embeddings,
    *,
    answerer: str | None = None,
    model: BaseChatModel | None = None,
) -> AnsweringService:
    """The service for ``answerer`` (default: ``settings.answerer``).

    ``model`` overrides the chat model (tests pass a langchain_core fake chat model).
    """
    name = answerer or settings.answerer
    prompts = load_prompts(settings.prompts_dir)  # checked even in extractive mode
    retriever = HybridRetriever(reader)

    def idf(term: str) -> float:  # from the persisted keyword index of the served generation
        value = reader.idf(term)
        if value == 0.0:  # this answerer passes its own stems ("stat" for "states"): try words
            value = next((v for e in _ENDINGS if (v := reader.idf(term + e))), 0.0)
        return value or 0.0

    extractive = ExtractiveAnswerer(
        reader.document,
        SentenceCache(embeddings),
        idf,
        reader.max_idf,
        Weights(embed_budget=settings.sentence_budget),
    )
    chosen: Answerer = extractive
    condenser: Condenser = rewrite_follow_up
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
        condenser = LLMCondenser(name, model, url, prompts.condense)
    log.debug("answerer: %s", name)
    return AnsweringService(
        reader,
        retriever,
        chosen,
        top_k=settings.top_k,
        max_question_chars=settings.max_question_chars,
        condenser=condenser,
    )
