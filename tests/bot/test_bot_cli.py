"""`newsdesk bot` start-up checks and the endpoint settings (no network, no model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import discord
import pytest
import yarl

from answering.models import Answer
from bot.feedback import FeedbackStore
from bot.runner import configure_endpoints, require_token
from newsdesk.errors import ConfigError
from newsdesk.settings import Settings


def _newsdesk(
    *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_help_has_examples() -> None:
    result = _newsdesk("bot", "--help")
    assert result.returncode == 0, result.stderr
    assert "NEWSDESK_DISCORD_TOKEN=... newsdesk bot" in result.stdout
    assert "NEWSDESK_DISCORD_API_BASE" in result.stdout and "--export-feedback" in result.stdout
    assert "newsdesk bot --sync" in result.stdout and "--clear-global" in result.stdout


def test_missing_token_is_a_clear_error_before_loading_anything(tmp_path: Path) -> None:
    result = _newsdesk("bot", env_extra={"NEWSDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "No Discord bot token is set" in result.stderr
    assert "NEWSDESK_DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_feedback_from_the_cli(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record_answer(42, Answer(question="Who?", answer="Them [1].", refused=False))
    store.vote(42, 7, 1)
    out = tmp_path / "out.jsonl"
    result = _newsdesk(
        "bot", "--export-feedback", str(out), env_extra={"NEWSDESK_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert "Wrote 1 rated answer" in result.stdout
    line = json.loads(out.read_text())
    assert line["question"] == "Who?" and line["label"] == "good" and line["up"] == 1


def test_require_token_rejects_blank_and_spaces() -> None:
    with pytest.raises(ConfigError, match="No Discord bot token"):
        require_token(Settings(discord_token=None))
    with pytest.raises(ConfigError, match="contains spaces"):
        require_token(Settings(discord_token="abc def"))
    assert require_token(Settings(discord_token=" tok ")) == "tok"


def test_configure_endpoints_sets_and_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    configure_endpoints("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/gateway")
    assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gateway")
    with pytest.raises(ConfigError, match="API_BASE"):
        configure_endpoints("127.0.0.1:9", None)
    with pytest.raises(ConfigError, match="GATEWAY_URL"):
        configure_endpoints(None, "http://127.0.0.1:9/gateway")


def test_importing_the_bot_changes_no_endpoint() -> None:
    code = (
        "import discord, bot.client, bot.runner, newsdesk.cli.bot_cmd;"
        "print(discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "https://discord.com/api/v10 wss://gateway.discord.gg/"
