"""LLM-judged faithfulness: is each answer sentence supported by the answer's cited excerpts?

Asked of the configured chat model (the same LangChain chat model types the core uses),
one sentence at a time with a YES/NO reply, which small local models answer reliably.
The score is labelled with the judge model wherever it is shown.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from evaluation.metrics import QuestionResult
from newsdesk.errors import ConfigError, ModelUnavailable

log = logging.getLogger(__name__)

PROMPT_PATH = Path(__file__).resolve().parent / "prompts" / "faithfulness.txt"
_PLACEHOLDERS = ("{excerpts}", "{sentence}")
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"“‘(]?[A-Z])")
# A split after these is not a sentence end ("U.S. State Department", "Gen. Saad Maan").
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|St|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|"
    r"Nov|Dec)\.)$"
)
_VERDICT = re.compile(r"\b(yes|no)\b", re.I)


def load_prompt(path: Path = PROMPT_PATH) -> str:
    """Read the judge prompt and check its placeholders, so a bad edit fails at start-up."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read the judge prompt {path}: {exc.strerror}") from exc
    missing = [p for p in _PLACEHOLDERS if p not in text]
    if missing:
        raise ConfigError(
            f"The judge prompt {path} lacks {', '.join(missing)}",
            hint="restore the placeholders; they are filled with the excerpts and the sentence",
        )
    return text


def answer_sentences(answer: str) -> list[str]:
    """Sentences of an answer without their [n] citation markers."""
    text = _MARKER.sub("", answer).strip()
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return [s.strip() for s in sentences if len(s.strip()) > 1]


def parse_verdict(reply: str) -> bool | None:
    """True for YES, False for NO, None when the reply says neither."""
    match = _VERDICT.search(reply)
    if match is None:
        return None
    return match.group(1).lower() == "yes"


class FaithfulnessJudge:
    """Implements ``evaluation.run.Judge`` with any LangChain chat model."""

    def __init__(self, chat_model: BaseChatModel, model: str, prompt: str | None = None) -> None:
        self.chat_model = chat_model
        self.model = model
        self.prompt = prompt if prompt is not None else load_prompt()

    def supported(self, sentence: str, excerpts: list[str]) -> bool | None:
        listed = "\n".join(f"[{i}] {e}" for i, e in enumerate(excerpts, start=1))
        message = self.prompt.replace("{excerpts}", listed).replace("{sentence}", sentence)
        try:
            reply = self.chat_model.invoke([HumanMessage(content=message)])
        except Exception as exc:  # every client raises its own types; all mean the same here
            raise ModelUnavailable(
                f"The judge model {self.model} failed: {type(exc).__name__}: {exc}",
                hint="check the LLM server, or run without --judge",
            ) from exc
        content = reply.content if isinstance(reply.content, str) else str(reply.content)
        verdict = parse_verdict(content)
        if verdict is None:
            log.warning("judge reply was neither YES nor NO: %.80r", content)
        return verdict

    def judge(self, result: QuestionResult) -> tuple[float | None, list[str]]:
        sentences = answer_sentences(result.answer)
        excerpts = [str(c["excerpt"]) for c in result.citations]
        if not sentences or not excerpts:
            return None, []
        unsupported = [s for s in sentences if self.supported(s, excerpts) is not True]
        return 1.0 - len(unsupported) / len(sentences), unsupported
