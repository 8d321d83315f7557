"""Slash commands are synced after READY, and only when asked or when they changed."""

from __future__ import annotations

from pathlib import Path

from bot.client import BotConfig, BotDeps
from tests.bot.twin import Twin
from tests.bot.wire import start_bot, stop_bot


def _puts(twin: Twin) -> list[str]:
    return [path for method, path, _ in twin.requests if method == "PUT" and "/commands" in path]


async def _run_once(twin: Twin, deps: BotDeps, config: BotConfig, *, expect_sync: bool) -> None:
    before = len(_puts(twin))
    twin.identified.clear()
    bot, task = await start_bot(twin, deps, config, wait_for_commands=False)
    try:
        assert bot.sync_task is not None
        synced = await bot.sync_task
        assert synced is expect_sync
        assert (len(_puts(twin)) > before) is expect_sync
    finally:
        await stop_bot(bot, task)


async def test_sync_only_when_the_payload_changed_or_on_request(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path
) -> None:
    config = BotConfig(data_dir=tmp_path / "data")
    await _run_once(wire_twin, bot_deps, config, expect_sync=True)  # first start: nothing stored
    # the sync went out after the gateway was up, not before it
    paths = [path for _, path, _ in wire_twin.requests]
    assert paths.index("/gateway") < next(i for i, p in enumerate(paths) if p.endswith("/commands"))
    await _run_once(wire_twin, bot_deps, config, expect_sync=False)  # restart: unchanged
    await _run_once(
        wire_twin, bot_deps, BotConfig(data_dir=tmp_path / "data", sync=True), expect_sync=True
    )  # `newsdesk bot --sync`
    changed = BotConfig(data_dir=tmp_path / "data", max_question_chars=500)
    await _run_once(wire_twin, bot_deps, changed, expect_sync=True)  # /ask's max_length changed


async def test_guild_sync_can_clear_stale_global_commands(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path
) -> None:
    config = BotConfig(data_dir=tmp_path / "data", guild_id=100, clear_global=True)
    await _run_once(wire_twin, bot_deps, config, expect_sync=True)
    puts = [(path, body) for method, path, body in wire_twin.requests if method == "PUT"]
    assert puts[0][0] == "/api/v10/applications/900/guilds/100/commands"
    assert {c["name"] for c in puts[0][1]} == {"ask", "sources", "reindex", "newsdesk"}
    assert puts[1] == ("/api/v10/applications/900/commands", [])


async def test_a_failing_command_store_does_not_hold_up_answers(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path
) -> None:
    """discord.py retries a 5xx sync for ~25 s; that happens beside answering, not before it."""
    wire_twin.command_sync_status = 500
    bot, task = await start_bot(
        wire_twin, bot_deps, BotConfig(data_dir=tmp_path / "data"), wait_for_commands=False
    )
    try:
        alice = wire_twin.user("501", "alice")
        token = await wire_twin.slash(alice, "ask", question="who denied involvement?")
        state = wire_twin.interactions[token]
        await wire_twin.wait_for(lambda m: m["id"] == state["original"] and m["embeds"], timeout=5)
        assert bot.sync_task is not None and not bot.sync_task.done()  # still retrying
    finally:
        await stop_bot(bot, task)
    assert not (tmp_path / "data" / "discord_commands.json").exists()  # nothing claimed synced
