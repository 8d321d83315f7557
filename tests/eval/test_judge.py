"""LLM-judged faithfulness against the scripted LLM server (tests/llm_server.py) on 127.0.0.1,
through the same LangChain chat models the core builds (OpenAI-compatible and Ollama)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.judge import FaithfulnessJudge, answer_sentences, load_prompt, parse_verdict
from evaluation.metrics import QuestionResult, score_question
from evaluation.questions import Question
from newsdesk.cli import eval_cmd, main
from newsdesk.errors import ConfigError, ModelUnavailable
from newsdesk.settings import Settings
from tests.eval.fakes import FakeService, cite, lookup
from tests.llm_server import Reply, Request, ScriptedLLMServer


def _says_yes_for_seven(request: Request) -> Reply:
    sentence = request.prompt.split("Sentence:")[1]
    return Reply("YES." if "Seven" in sentence else "No, it is not supported.")


def _result(answer: str) -> QuestionResult:
    q = Question("g", "How many?", ("seven",), ("alpha",), True)
    citations = [cite(1, "alpha", "Seven guards were injured.").to_dict()]
    return score_question(
        q, answer=answer, refused=False, citations=citations, latency_ms=1, lookup=lookup, k=5
    )


def _settings(server: ScriptedLLMServer, answerer: str) -> Settings:
    return Settings(
        answerer=answerer,
        llm_model="judge-model",
        openai_base_url=server.openai_url,
        ollama_url=server.ollama_url,
        llm_timeout_s=10,
    )  # type: ignore[call-arg]


def test_sentences_and_verdicts() -> None:
    assert answer_sentences("Seven were hurt [1]. Gen. Saad Maan said so [1][2]. The U.S. agreed.") == [
        "Seven were hurt.",
        "Gen. Saad Maan said so.",
        "The U.S. agreed.",
    ]
    assert answer_sentences("") == []
    assert parse_verdict("YES") is True and parse_verdict("no.") is False
    assert parse_verdict("Answer: Yes, it is") is True and parse_verdict("unsure") is None


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_judge_scores_each_sentence_against_the_excerpts(backend: str) -> None:
    with ScriptedLLMServer() as server:
        server.respond_with(_says_yes_for_seven)
        model = eval_cmd.build_chat_model(_settings(server, backend))
        judge = FaithfulnessJudge(model, "judge-model")
        score, unsupported = judge.judge(_result("Seven guards were injured [1]. Iran did it [1]."))
        requests = server.requests
    assert score == 0.5 and unsupported == ["Iran did it."]
    assert len(requests) == 2 and {r.api for r in requests} == {backend}
    assert requests[0].body["model"] == "judge-model"
    assert "[1] Seven guards were injured." in requests[0].prompt
    assert "{excerpts}" not in requests[0].prompt


def test_unclear_verdicts_count_as_unsupported() -> None:
    with ScriptedLLMServer(default=Reply("Maybe.")) as server:
        judge = FaithfulnessJudge(eval_cmd.build_chat_model(_settings(server, "openai")), "m")
        assert judge.judge(_result("Seven guards were injured [1].")) == (
            0.0,
            ["Seven guards were injured."],
        )


def test_judge_failure_is_model_unavailable() -> None:
    with ScriptedLLMServer(default=Reply(status=500)) as server:
        judge = FaithfulnessJudge(eval_cmd.build_chat_model(_settings(server, "openai")), "m")
        with pytest.raises(ModelUnavailable, match="judge model m failed"):
            judge.judge(_result("Seven."))


def test_judge_needs_an_llm_backend() -> None:
    with pytest.raises(ConfigError, match="--judge needs an LLM answerer"):
        eval_cmd.build_chat_model(Settings(answerer="extractive"))  # type: ignore[call-arg]


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
    with ScriptedLLMServer() as server:
        server.respond_with(_says_yes_for_seven)

        def build_target(settings: Settings, k: int) -> eval_cmd.EvalTarget:
            return eval_cmd.EvalTarget(
                service=fake_service,
                lookup=lookup,
                ranker=None,
                answerer=settings.answerer,
                model=settings.llm_model,
                embedding_model=None,
                chat_model=lambda: eval_cmd.build_chat_model(settings),
            )

        monkeypatch.setattr(eval_cmd, "build_target", build_target)
        monkeypatch.setenv("NEWSDESK_OPENAI_BASE_URL", server.openai_url)
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
        requests = server.requests
    text = capsys.readouterr().out
    assert "LLM-judged faithfulness (judge: judge-model)" in text
    summary = json.loads(out.read_text("utf-8"))["summary"]
    assert summary["judge_model"] == "judge-model" and summary["model"] == "judge-model"
    # guards and arrests cite "Seven ..." (supported); denied, price, camp do not
    assert summary["metrics"]["faithfulness"] == pytest.approx(2 / 5)
    assert requests and all(r.body["model"] == "judge-model" for r in requests)
