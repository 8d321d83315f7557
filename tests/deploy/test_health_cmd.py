"""`newsdesk health`, the image HEALTHCHECK: each failure is red, named, and says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsdesk.cli import cli
from newsdesk.cli.health_cmd import _model_present
from tests.llm_server import ScriptedLLMServer, unused_port


def _health(*args: str) -> Result:
    return CliRunner().invoke(cli, ["health", *args])


def _checks(result: Result) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in json.loads(result.output)["checks"]}


def test_no_local_index_is_red_with_the_build_command() -> None:
    result = _health("--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    store = _checks(result)["store"]
    assert store["ok"] is False
    assert "newsdesk index build" in str(store["hint"])
    assert _checks(result)["llm"]["ok"] is True  # extractive needs no server


def test_text_output_marks_each_check() -> None:
    result = _health()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("FAIL store")
    assert any(line.strip().startswith("-> ") for line in lines)
    assert any(line.startswith("ok   llm") for line in lines)


def test_invalid_chroma_url_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", "chroma:8000")  # scheme missing
    result = _health("--json", "--timeout", "2")
    assert result.exit_code == 1, result.output
    store = _checks(result)["store"]
    assert "Chroma server unavailable" in str(store["detail"])
    assert "NEWSDESK_CHROMA_URL" in str(store["hint"])


def test_unreachable_chroma_is_red(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", f"http://127.0.0.1:{unused_port()}")
    result = _health("--json", "--timeout", "2")
    assert result.exit_code == 1
    assert "cannot reach" in str(_checks(result)["store"]["detail"])


def test_openai_endpoint_checked_through_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_ANSWERER", "openai")
    with ScriptedLLMServer() as server:
        monkeypatch.setenv("NEWSDESK_OPENAI_BASE_URL", server.openai_url)
        llm = _checks(_health("--json"))["llm"]
    assert llm["ok"] is True, llm
    monkeypatch.setenv("NEWSDESK_OPENAI_BASE_URL", f"http://127.0.0.1:{unused_port()}/v1")
    llm = _checks(_health("--json", "--timeout", "2"))["llm"]
    assert llm["ok"] is False
    assert "NEWSDESK_OPENAI_BASE_URL" in str(llm["hint"])


def test_ollama_without_the_model_names_the_pull(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_ANSWERER", "ollama")
    monkeypatch.setenv("NEWSDESK_LLM_MODEL", "qwen2.5:0.5b")
    with ScriptedLLMServer() as server:  # its /api/tags lists no model
        monkeypatch.setenv("NEWSDESK_OLLAMA_URL", server.ollama_url)
        llm = _checks(_health("--json"))["llm"]
    assert llm["ok"] is False
    assert "qwen2.5:0.5b" in str(llm["detail"])
    assert "ollama pull qwen2.5:0.5b" in str(llm["hint"])


def test_ollama_model_names_match_like_ollama_list() -> None:
    assert _model_present("llama3.2:3b", ["llama3.2:3b", "x:1"])
    assert _model_present("llama3.2", ["llama3.2:latest"])  # untagged = :latest
    assert not _model_present("llama3.2", ["llama3.2:3b"])
    assert not _model_present("llama3.2:3b", ["llama3.2:latest"])


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["health", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "--json" in result.output


def test_data_dir_exists_but_no_index_still_red(isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True, exist_ok=True)
    result = _health("--json")
    assert result.exit_code == 1
    assert _checks(result)["store"]["ok"] is False
