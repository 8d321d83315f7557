"""LLM answerers (Ollama, any OpenAI-compatible server) over LangChain chat models.

The model sees numbered excerpts framed as untrusted data (``prompts/answer.txt``) and must cite
them as [n]. Its reply is then treated as untrusted too: markers pointing at nothing are
dropped, sentences without a valid marker or not supported by the cited excerpts are removed,
and each remaining marker becomes a citation of the excerpt sentence that best supports it.
An answer left with no valid citation becomes the extractive answer or a refusal
(``settings.llm_uncited``). An unreachable or failing server is ``ModelUnavailable`` naming the URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from answering.answerers.base import Draft, refusal_text
from answering.answerers.extractive import ExtractiveAnswerer
from answering.citations import (
    MARKER,
    attach_trailing_markers,
    expand_marker_lists,
    make_citation,
    markers,
)
from answering.guard import guard_field, supported
from answering.models import AnswerDelta, Citation, Turn
from answering.prompts import PromptTemplate
from answering.retrieval import Retrieved
from answering.rewrite import rewrite_follow_up
from answering.text import split_sentences, tokenize
from index.models import Document
from newsdesk.errors import ModelUnavailable

log = logging.getLogger(__name__)

NOT_FOUND = "NOT IN ARTICLES"


def model_unavailable(kind: str, url: str, exc: BaseException) -> ModelUnavailable:
    """One clear message for every way a model server can fail."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else name
    if "timeout" in name.lower() or "timed out" in text.lower():
        what = "did not answer in time"
    elif "connect" in name.lower() or "connect" in text.lower():
        what = "cannot be reached"
    else:
        what = f"failed ({name}: {text})"
    return ModelUnavailable(
        f"The {kind} server at {url} {what}.",
        hint=f"start it or point NEWSDESK_{'OLLAMA_URL' if kind == 'ollama' else 'OPENAI_BASE_URL'}"
        " at a running server, or use NEWSDESK_ANSWERER=extractive (offline)",
    )


def _content(chunk: Any) -> str:
    content = getattr(chunk, "content", "")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return ""


class LLMAnswerer:
    """Answers with a chat model; see the module docstring for what is checked."""

    def __init__(
        self,
        name: str,
        model: BaseChatModel,
        url: str,
        prompt: PromptTemplate,
        document: Callable[[str], Document],
        extractive: ExtractiveAnswerer,
        *,
        uncited: str = "extractive",
    ) -> None:
        self.name = name
        self.model = model
        self.url = url
        self.prompt = prompt
        self.document = document
        self.extractive = extractive
        self.uncited = uncited

    def excerpts(self, retrieved: Sequence[Retrieved]) -> str:
        blocks = []
        for n, r in enumerate(retrieved, start=1):
            doc = self.document(r.chunk.doc_id)
            # the outlet and date each excerpt is from: "which outlets reported X?", "on Tuesday"
            meta = [f"article: {guard_field(doc.title)}"]
            meta += [f"outlet: {guard_field(doc.source)}"] if doc.source else []
            meta += [f"published: {guard_field(doc.published)}"] if doc.published else []
            text = guard_field(r.chunk.text)
            blocks.append(f"[{n}] ({'; '.join(meta)})\n{' '.join(text.split())}")
        return "\n\n".join(blocks)

    def _shown(self, r: Retrieved) -> str:
        """What the model was shown of an excerpt that supports a sentence: its text and the
        outlet and date of its header ("Reported by The Herald [1]" is supported)."""
        doc = self.document(r.chunk.doc_id)
        return " ".join(x for x in (doc.source, doc.published, r.chunk.text) if x)

    def stream(
        self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()
    ) -> Iterator[AnswerDelta | Draft]:
        t0 = time.perf_counter()
        if not retrieved:
            yield self._refuse(question, retrieved, {})
            return
        system, user = self.prompt.format(question=question, excerpts=self.excerpts(retrieved))
        messages = [SystemMessage(system), HumanMessage(user)] if system else [HumanMessage(user)]
        t1 = time.perf_counter()
        parts: list[str] = []
        try:
            for chunk in self.model.stream(messages):
                piece = _content(chunk)
                if piece:
                    parts.append(piece)
                    yield AnswerDelta(piece)
        except Exception as exc:  # noqa: BLE001 - every client failure means the same to users
            log.debug("%s answerer failed at %s: %r", self.name, self.url, exc)
            raise model_unavailable(self.name, self.url, exc) from exc
        t2 = time.perf_counter()
        draft = self.parse("".join(parts), question, retrieved)
        timings = {"select": (t1 - t0) * 1000, "compose": (time.perf_counter() - t1) * 1000}
        log.debug("%s reply in %.0f ms", self.name, (t2 - t1) * 1000)
        yield Draft(draft.answer, draft.refused, draft.citations, timings, draft.answerer)

    def answer(self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()) -> Draft:
        final: Draft | None = None
        for event in self.stream(question, retrieved, said=said):
            if isinstance(event, Draft):
                final = event
        assert final is not None
        return final

    # --- parsing the reply ---------------------------------------------------------------
    def parse(self, reply: str, question: str, retrieved: Sequence[Retrieved]) -> Draft:
        reply = attach_trailing_markers(expand_marker_lists(reply.strip()))
        if not reply or NOT_FOUND in reply.upper():
            return self._refuse(question, retrieved, {})
        kept: list[str] = []
        cited: dict[int, list[str]] = {}
        for span in split_sentences(reply):
            sentence = " ".join(span.text.split())
            valid = [n for n in markers(sentence) if 1 <= n <= len(retrieved)]
            if not valid:
                log.info("dropping uncited LLM sentence: %r", sentence[:120])
                continue
            sources = [self._shown(retrieved[n - 1]) for n in valid]
            claim = MARKER.sub("", sentence)
            if not tokenize(claim):  # bare markers ("HACKED. [1]" -> "[1]") claim nothing
                log.info("dropping LLM sentence without a claim: %r", sentence[:120])
                continue
            if not supported(claim, sources):
                log.warning("dropping LLM sentence not supported by its excerpts: %r", sentence[:120])
                continue
            kept.append(_keep_markers(sentence, set(valid)))
            for n in valid:
                cited.setdefault(n, []).append(claim)
        if not kept:
            return self._uncited(question, retrieved)
        citations = [self._cite(n, retrieved[n - 1], claims) for n, claims in sorted(cited.items())]
        return Draft(" ".join(kept), False, tuple(citations), {}, self.name)

    def _cite(self, n: int, r: Retrieved, claims: list[str]) -> Citation:
        """The sentence of the cited chunk that shares most terms with the claims citing it."""
        doc = self.document(r.chunk.doc_id)
        want = set(tokenize(" ".join(claims)))
        best, best_hits = None, -1
        for span in split_sentences(r.chunk.text, r.chunk.start):
            hits = len(want & set(tokenize(span.text)))
            if hits > best_hits:
                best, best_hits = span, hits
        if best is None:
            return make_citation(n, doc, r.chunk.start, r.chunk.end)
        return make_citation(n, doc, best.start, best.end)

    def _uncited(self, question: str, retrieved: Sequence[Retrieved]) -> Draft:
        if self.uncited == "extractive":
            log.warning("%s answer had no valid citation; using the extractive answer", self.name)
            draft = self.extractive.answer(question, retrieved)
            return Draft(draft.answer, draft.refused, draft.citations, {}, f"{self.name}+extractive")
        return self._refuse(question, retrieved, {})

    def _refuse(self, question: str, retrieved: Sequence[Retrieved], timings: dict[str, float]) -> Draft:
        closest = self.extractive.closest(self.extractive.score(question, retrieved))
        text = refusal_text(question)
        if closest:
            text += " The closest excerpts, for reference: " + " ".join(f"[{c.n}]" for c in closest)
        return Draft(text, True, tuple(closest), timings, self.name)


def _keep_markers(sentence: str, valid: set[int]) -> str:
    return MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", sentence)


def format_history(history: Sequence[Turn], max_chars: int = 600) -> str:
    lines = []
    for turn in history:
        answer = " ".join(MARKER.sub("", turn.answer).split())[:max_chars]
        lines.append(f"User: {turn.question}\nAssistant: {answer}")
    return "\n".join(lines)


class LLMCondenser:
    """Rewrites follow-ups with the model (``prompts/condense.txt``); falls back to the
    deterministic rewriter when the model's output is unusable."""

    def __init__(
        self,
        name: str,
        model: BaseChatModel,
        url: str,
        prompt: PromptTemplate,
        fallback: Callable[[str, Sequence[Turn]], str] = rewrite_follow_up,
    ) -> None:
        self.name = name
        self.model = model
        self.url = url
        self.prompt = prompt
        self.fallback = fallback

    def __call__(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        system, user = self.prompt.format(history=format_history(history), question=question)
        messages = [SystemMessage(system), HumanMessage(user)] if system else [HumanMessage(user)]
        try:
            reply = _content(self.model.invoke(messages))
        except Exception as exc:  # noqa: BLE001
            raise model_unavailable(self.name, self.url, exc) from exc
        line = next((x.strip() for x in reply.strip().splitlines() if x.strip()), "")
        line = line.removeprefix("Standalone question:").strip().strip('"')
        if not line or len(line) > 4 * max(len(question), 100) or NOT_FOUND in line.upper():
            log.info("condense reply unusable (%r); using the deterministic rewriter", reply[:80])
            return self.fallback(question, history)
        return line
