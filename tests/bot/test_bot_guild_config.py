"""Per-server settings: a versioned SQLite store and the admin-only /newsdesk config group."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.client import BotDeps
from bot.guild_config import MIGRATIONS, ConfigStoreError, GuildConfigStore, migrate
from tests.bot.fakes import FakeService
from tests.bot.twin import MANAGE_GUILD, Twin
from tests.bot.wire import start_bot, stop_bot


def test_migrations_run_once_in_order_and_settings_persist(tmp_path: Path) -> None:
    path = tmp_path / "config.sqlite3"
    store = GuildConfigStore(path)
    store.set_channel(1, 10, "allow", True)
    store.set_channel(1, 20, "auto", True)
    store.set_opt_out(1, 7, True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert migrate(conn) == len(MIGRATIONS)  # idempotent
    reopened = GuildConfigStore(path).get(1)  # a new process reads what was stored
    assert reopened.allowed_channels == {10} and reopened.auto_answer_channels == {20}
    assert reopened.opted_out == {7} and reopened.mention_mode == "thread"
    assert reopened.allows(10) and reopened.allows(999, parent_id=10) and not reopened.allows(11)
    assert GuildConfigStore(path).get(2).allows(12345)  # another server: every channel


def test_an_older_schema_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.sqlite3"
    with sqlite3.connect(path) as conn:  # a database written by the first release (version 1)
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO guilds VALUES (5, 'reply', NULL, NULL)")
    settings = GuildConfigStore(path).set_opt_out(5, 9, True)
    assert settings.mention_mode == "reply" and settings.opted_out == {9}
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ConfigStoreError, match="schema version"):
        GuildConfigStore(path).get(5)


async def _command(twin: Twin, user: dict, name: str, permissions: int = 0, **options) -> str:  # noqa: ANN003
    token = await twin.slash(user, name, permissions=permissions, **options)
    state = twin.interactions[token]
    message = await twin.wait_for(lambda m: m["id"] == state["original"] and m["content"])
    return message["content"]


async def test_config_is_admin_only_checked_by_the_bot(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path
) -> None:
    store = GuildConfigStore(tmp_path / "config.sqlite3")
    bot, task = await start_bot(wire_twin, bot_deps, guild_config=store)
    try:
        newsdesk = next(c for c in wire_twin.commands if c["name"] == "newsdesk")
        assert newsdesk["default_member_permissions"] in (32, "32")  # hidden from members
        # a member whom the server let see the command is still refused by the bot
        member = wire_twin.user("501", "alice")
        refused = await _command(wire_twin, member, "newsdesk config allow", channel=("channel", "200"))
        assert "Manage Server" in refused
        assert store.get(100).allowed_channels == frozenset()
        admin = wire_twin.user("1", "owner")
        shown = await _command(
            wire_twin, admin, "newsdesk config allow", MANAGE_GUILD, channel=("channel", "200")
        )
        assert "Answers in: <#200>" in shown
        shown = await _command(
            wire_twin, admin, "newsdesk config cooldown", MANAGE_GUILD, rate=1, per_seconds=60
        )
        assert "Cooldown: 1 question(s) per 60 s per user (server override)" in shown
        assert "Answers in: <#200>" in await _command(wire_twin, admin, "newsdesk config show", MANAGE_GUILD)
    finally:
        await stop_bot(bot, task)


async def test_allowlist_and_cooldown_override_are_applied(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path, fake_service: FakeService
) -> None:
    wire_twin.add_channel("500", "off-topic")
    store = GuildConfigStore(tmp_path / "config.sqlite3")
    store.set_channel(100, 200, "allow", True)
    store.update(100, lambda s: s.__class__(**{**s.__dict__, "cooldown_rate": 1, "cooldown_per_s": 60.0}))
    bot, task = await start_bot(wire_twin, bot_deps, guild_config=store)
    try:
        alice = wire_twin.user("501", "alice")
        refused = await _command(wire_twin, alice, "ask", channel_id="500", question="who?")
        assert refused == "I only answer in <#200> on this server."
        await _command(wire_twin, alice, "ask", question="who denied involvement?")
        throttled = await _command(wire_twin, alice, "ask", question="and then?")
        assert "Please wait 60 s" in throttled
        assert len(fake_service.calls) == 1
    finally:
        await stop_bot(bot, task)
