"""`newsdesk ask` and `newsdesk chat` as users run them (real process, real model, real index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from answering.text import normalize
from newsdesk.cli import cli, main

NEWSDESK = [sys.executable, "-m", "newsdesk"]


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", NEWSDESK_LOG_LEVEL="WARNING")
    return env


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_empty_or_too_long_question_exits_2(question: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["ask", question], capsys)
    assert code == 2 and out == ""
    assert "empty" in err or "too long" in err


@pytest.mark.slow
def test_ask_without_an_index_says_how_to_build_one(
    capsys: pytest.CaptureFixture[str], real_model: object
) -> None:
    code, _, err = run_main(["ask", "Who denied involvement?"], capsys)
    assert code == 1
    assert "newsdesk index build" in err


@pytest.mark.slow
@pytest.mark.integration
def test_ask_json_in_a_real_process(shipped_index: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [*NEWSDESK, "ask", "--json", "How many drones were launched?"],
        capture_output=True,
        text=True,
        env=env_for(shipped_index),
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"question", "answer", "refused", "citations", "timings_ms"} <= set(data)
    assert data["refused"] is False and "two armed drones" in normalize(data["answer"])
    for c in data["citations"]:
        assert {"n", "doc_id", "title", "excerpt", "start", "end"} <= set(c)
    assert {"rewrite", "retrieve", "select", "compose", "total"} <= set(data["timings_ms"])


@pytest.mark.slow
@pytest.mark.integration
def test_ask_text_lists_numbered_sources(
    shipped_index: Path, monkeypatch: pytest.MonkeyPatch, real_model: object
) -> None:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(shipped_index))
    result = CliRunner().invoke(cli, ["ask", "How many drones were launched?"])
    assert result.exit_code == 0, result.output
    assert "two armed drones" in result.stdout
    assert "Sources:" in result.stdout and "[1] " in result.stdout
    assert "001_c873e584d55569f3" in result.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_chat_reads_a_pipe_and_resolves_follow_ups(
    shipped_index: Path, monkeypatch: pytest.MonkeyPatch, real_model: object
) -> None:
    """In-process with the session's model: the subject is the conversation, not start-up
    (`test_ask_json_in_a_real_process` covers the real process)."""
    script = "Who is the US State Department spokesman quoted about the attack?\n\nWhat did he say?\n" + (
        "/new\nexit\nnever asked\n"
    )
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(shipped_index))
    result = CliRunner().invoke(cli, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    assert not (shipped_index / "chat_history").exists(), "a pipe keeps no line-editing history"
    out = normalize(result.stdout)
    assert "understood as: What did Ned Price say?" in out
    assert "apparent act of terrorism" in out
    assert "(new conversation)" in out and "never asked" not in out
