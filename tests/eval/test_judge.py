"""LLM-judged faithfulness against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from evaluation.judge import FaithfulnessJudge, answer_sentences, load_prompt, parse_verdict
from evaluation.metrics import score_question
from evaluation.questions import Question
from newsdesk.cli import eval_cmd, main
from newsdesk.errors import ConfigError, ModelUnavailable
from newsdesk.settings import Settings
from tests.eval.fakes import FakeService, cite, lookup
from tests.eval.llm_server import scripted_llm


def _chat(url: str) -> ChatOpenAI:
    return ChatOpenAI(
        model="judge-model",
        base_url=url,
        api_key=SecretStr("x"),
        temperature=0,
        timeout=10,
        max_retries=0,
    )


def _says_yes_for_seven(messages: list[dict[str, Any]]) -> str:
    sentence = str(messages[-1]["content"]).split("Sentence:")[1]
    return "YES." if "Seven" in sentence else "No, it is not supported."


def test_sentences_and_verdicts() -> None:
    assert answer_sentences(
        "Seven were hurt [1]. Gen. Saad Maan said so [1][2]. The U.S. agreed."
    ) == ["Seven were hurt.", "Gen. Saad Maan said so.", "The U.S. agreed."]
    assert answer_sentences("") == []
    assert parse_verdict("YES") is True and parse_verdict("no.") is False
    assert parse_verdict("Answer: Yes, it is") is True and parse_verdict("unsure") is None


def test_judge_scores_each_sentence_against_the_excerpts() -> None:
    q = Question("g", "How many?", ("seven",), ("alpha",), True)
    result = score_question(
        q,
        answer="Seven guards were injured [1]. Iran sent the drone [1].",
        refused=False,
        citations=[cite(1, "alpha", "Seven guards were injured.").to_dict()],
        latency_ms=1,
        lookup=lookup,
        k=5,
    )
    with scripted_llm(_says_yes_for_seven) as llm:
        score, unsupported = FaithfulnessJudge(_chat(llm.url), "judge-model").judge(result)
    assert score == 0.5 and unsupported == ["Iran sent the drone."]
    assert len(llm.requests) == 2 and llm.requests[0]["model"] == "judge-model"
    prompt = llm.prompts()[0]
    assert "[1] Seven guards were injured." in prompt and "{excerpts}" not in prompt


def test_judge_failure_is_model_unavailable() -> None:
    q = Question("g", "How many?", ("seven",), ("alpha",), True)
    result = score_question(
        q,
        answer="Seven.",
        refused=False,
        citations=[cite(1, "alpha", "Seven guards were injured.").to_dict()],
        latency_ms=1,
        lookup=lookup,
        k=5,
    )
    with scripted_llm(lambda messages: 500) as llm, pytest.raises(ModelUnavailable, match="judge"):
        FaithfulnessJudge(_chat(llm.url), "judge-model").judge(result)


def test_prompt_without_placeholders_is_a_config_error(tmp_path: Path) -> None:
    assert "{sentence}" in load_prompt()
    broken = tmp_path / "p.txt"
    broken.write_text("Is it supported? {sentence}", "utf-8")
    with pytest.raises(ConfigError, match="lacks {excerpts}"):
        load_prompt(broken)


def test_cli_judge_labels_the_score_with_the_judge_model(
    monkeypatch: pytest.MonkeyPatch,
    small_set_path: Path,
    fake_service: FakeService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with scripted_llm(_says_yes_for_seven) as llm:

        def build_target(settings: Settings, k: int) -> eval_cmd.EvalTarget:
            return eval_cmd.EvalTarget(
                service=fake_service,
                lookup=lookup,
                ranker=None,
                answerer="openai",
                model="judge-model",
                embedding_model=None,
                chat_model=lambda: eval_cmd.build_chat_model(settings),
            )

        monkeypatch.setattr(eval_cmd, "build_target", build_target)
        monkeypatch.setenv("NEWSDESK_OPENAI_BASE_URL", llm.url)
        monkeypatch.setenv("NEWSDESK_LLM_MODEL", "judge-model")
        out = tmp_path / "r.json"
        try:
            main(
                [
                    "eval",
                    "--questions",
                    str(small_set_path),
                    "--answerer",
                    "openai",
                    "--judge",
                    "--json",
                    str(out),
                    "--min-faithfulness",
                    "0.1",
                ]
            )
        except SystemExit as exc:
            assert exc.code in (0, None), capsys.readouterr().err
    text = capsys.readouterr().out
    assert "LLM-judged faithfulness (judge: judge-model)" in text
    summary = json.loads(out.read_text("utf-8"))["summary"]
    assert summary["judge_model"] == "judge-model"
    # the fake's answers with citations all mention "Seven" or not; both kinds occur
    assert 0.0 < summary["metrics"]["faithfulness"] < 1.0
    assert all(r["model"] == "judge-model" for r in llm.requests)
