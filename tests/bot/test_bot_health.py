"""`newsdesk health` includes the bot's gateway connection (heartbeat written on READY)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.client import BotDeps
from bot.heartbeat import heartbeat_path, read_heartbeat, write_heartbeat
from newsdesk.cli import cli
from tests.bot.twin import Twin
from tests.bot.wire import start_bot, stop_bot


def _discord_check(monkeypatch: pytest.MonkeyPatch, data_dir: Path, token: str | None) -> dict:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(data_dir))
    if token:
        monkeypatch.setenv("NEWSDESK_DISCORD_TOKEN", token)
    result = CliRunner().invoke(cli, ["health", "--json"])
    checks = {c["name"]: c for c in json.loads(result.output)["checks"]}
    return checks["discord"]


def test_no_bot_configured_is_not_a_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    check = _discord_check(monkeypatch, tmp_path, None)
    assert check["ok"] is True and "no Discord bot configured" in check["detail"]


def test_a_configured_bot_without_a_fresh_heartbeat_is_red(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    check = _discord_check(monkeypatch, tmp_path, "t0ken")
    assert check["ok"] is False and "no gateway heartbeat" in check["detail"]
    assert "newsdesk bot" in check["hint"]
    write_heartbeat(tmp_path, {"at": time.time() - 600, "event": "heartbeat"})
    stale = _discord_check(monkeypatch, tmp_path, "t0ken")
    assert stale["ok"] is False and "600 s ago" in stale["detail"]


async def test_the_bot_writes_the_heartbeat_on_ready(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    bot, task = await start_bot(wire_twin, bot_deps, data_dir=data_dir)
    try:
        await wire_twin.wait_until(lambda: heartbeat_path(data_dir).exists())
        beat = read_heartbeat(data_dir)
        assert beat is not None and beat["event"] == "ready" and beat["guilds"] == 1
    finally:
        await stop_bot(bot, task)
    check = _discord_check(monkeypatch, data_dir, "t0ken")
    assert check["ok"] is True and "gateway heartbeat" in check["detail"]


async def test_the_heartbeat_stops_when_the_gateway_is_gone(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    wire_twin.heartbeat_interval_s = 0.1  # the gateway's own heartbeat, so latency is known
    bot, task = await start_bot(wire_twin, bot_deps, data_dir=data_dir, heartbeat_s=0.1)
    try:
        await wire_twin.wait_until(
            lambda: (read_heartbeat(data_dir) or {}).get("event") == "heartbeat"
        )
        await wire_twin.stop()  # Discord unreachable: the socket closes, reconnects fail
        await wire_twin.wait_until(lambda: not bot.gateway_alive(), timeout=10)
        last = read_heartbeat(data_dir)
        await asyncio.sleep(0.5)
        assert read_heartbeat(data_dir) == last  # no beats while disconnected
    finally:
        await bot.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
