"""The Discord client: start-up and registration only.

It builds the answer flow (``bot.flow``), the commands, the message handler and the
persistent views from what it is given (``BotDeps``, ``BotConfig``), registers them, and
keeps the gateway bookkeeping: syncing commands when they changed, a heartbeat file for
`newsdesk health`, and a graceful shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.commands import NewsdeskCommands
from bot.deps import BotConfig, BotDeps, SummaryLike
from bot.errors import user_message
from bot.flow import AnswerFlow
from bot.guild_config import GuildConfigStore
from bot.heartbeat import write_heartbeat
from bot.mentions import MessageHandler
from bot.render import NO_MENTIONS
from bot.timeline import timeline_command
from bot.views import AnswerView, AutoAnswerView, send_ephemeral
from bot.worker import DbRunner

log = logging.getLogger(__name__)

__all__ = ["BotConfig", "BotDeps", "NewsdeskBot", "SummaryLike", "bot_intents"]

COMMANDS_HASH_FILE = "discord_commands.json"


class NewsdeskTree(app_commands.CommandTree[Any]):
    """The one error handler for slash commands."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        message = user_message(error)
        try:
            if interaction.response.is_done():
                await interaction.edit_original_response(
                    content=message, embeds=[], view=None, allowed_mentions=NO_MENTIONS
                )
            else:
                await send_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not tell a user about a command error", exc_info=True)


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _scope(guild: discord.Object | None) -> str:
    return f"guild {guild.id}" if guild is not None else "global"


def bot_intents(message_content: bool = False) -> discord.Intents:
    """Only what the bot uses: servers/channels, messages in them and in DMs.

    Discord delivers the text of messages that mention the bot and of DMs without the
    privileged Message Content intent; it is needed only for follow-ups without a
    mention and for auto-answer channels.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content
    return intents


class NewsdeskBot(discord.Client):
    def __init__(
        self,
        deps: BotDeps,
        config: BotConfig | None = None,
        *,
        guild_config: GuildConfigStore | None = None,
        **options: Any,
    ) -> None:
        self.config = config or BotConfig()
        options.setdefault("intents", bot_intents(self.config.message_content))
        super().__init__(allowed_mentions=NO_MENTIONS, **options)
        self.deps = deps
        self.db = DbRunner()
        if guild_config is None and self.config.data_dir is not None:
            guild_config = GuildConfigStore.in_data_dir(self.config.data_dir)
        self.guild_config = guild_config
        self.flow = AnswerFlow(self, deps, self.config, db=self.db, guild_config=guild_config)
        self.messages = MessageHandler(self.flow)
        self.tree = NewsdeskTree(self)
        self.commands = NewsdeskCommands(self.flow)
        self._synced = False
        self._heartbeat_task: asyncio.Task[None] | None = None
        self.sync_task: asyncio.Task[bool] | None = None

    # --- start-up ---------------------------------------------------------------------
    async def login(self, token: str) -> None:
        """Log in, tolerating servers without `GET /oauth2/applications/@me`.

        discord.py fetches the application after the token check; a Discord-compatible
        server may not serve it. The bot user id stands in for the application id until
        READY provides the real one.
        """
        try:
            await super().login(token)
        except (discord.HTTPException, KeyError, TypeError, ValueError) as exc:
            user = self._connection.user
            if user is None:
                raise
            log.warning("could not fetch the application (%s); using the bot user id", exc)
            if self._connection.application_id is None:
                self._connection.application_id = user.id
            await self.setup_hook()

    async def setup_hook(self) -> None:
        """Register only: syncing talks to Discord and waits until the gateway is ready."""
        self.commands.register(self.tree)
        if self.deps.timeline is not None:
            self.tree.add_command(timeline_command(self.flow, self.deps.timeline))
        answer_view = AnswerView(self.deps.feedback, self.db)
        auto_view = None
        if self.guild_config is not None:
            auto_view = AutoAnswerView(self.deps.feedback, self.db, self.guild_config.set_opt_out)
        self.flow.set_views(answer_view, auto_view)
        self.add_view(answer_view)  # persistent: clicks on answers from before a restart work
        if auto_view is not None:
            self.add_view(auto_view)

    async def on_ready(self) -> None:
        if not self._synced:
            self._synced = True
            self.sync_task = asyncio.create_task(self.sync_if_changed())
        if self._heartbeat_task is None and self.config.data_dir is not None:
            self._heartbeat_task = asyncio.create_task(self._heartbeat_loop())
        await self.write_heartbeat("ready")
        index = "unknown index"
        if self.deps.describe_index is not None:
            try:
                index = await self.flow.core.run_blocking(self.deps.describe_index)
            except Exception:  # only for the log line
                log.warning("could not describe the index", exc_info=True)
        log.info(
            "newsdesk bot ready as %s (id %s) in %d guild(s), serving %s",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            index,
        )

    async def on_resumed(self) -> None:
        await self.write_heartbeat("resumed")

    async def on_message(self, message: discord.Message) -> None:
        await self.messages.on_message(message)

    # --- command sync -------------------------------------------------------------------
    def _commands_payload(self, guild: discord.Object | None) -> list[dict[str, Any]]:
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    def _hash_path(self) -> Path | None:
        if self.config.data_dir is None:
            return None
        return self.config.data_dir / COMMANDS_HASH_FILE

    async def sync_if_changed(self) -> bool:
        """Sync commands when asked (``--sync``) or when their payload changed since the last sync.

        Returns True if a sync was sent. Runs after READY, never before the gateway.
        """
        guild = discord.Object(id=self.config.guild_id) if self.config.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        key = f"{self.application_id}:{_scope(guild)}"
        digest = hashlib.sha256(
            json.dumps(self._commands_payload(guild), sort_keys=True, default=str).encode()
        ).hexdigest()
        path = self._hash_path()
        stored = await self.db.run(_read_json, path) if path is not None else {}
        if not self.config.sync and stored.get(key) == digest:
            log.info("slash commands unchanged since the last sync (%s); not syncing", _scope(guild))
            return False
        if not await self.sync_commands(guild):
            return False
        if guild is not None and self.config.clear_global and self.application_id is not None:
            try:
                await self.http.bulk_upsert_global_commands(self.application_id, [])
                log.info("cleared this application's global slash commands")
            except discord.HTTPException as exc:
                log.error("could not clear the global slash commands (%s)", _short(exc))
        if path is not None:
            stored[key] = digest
            await self.db.run(_write_json, path, stored)
        return True

    async def sync_commands(self, guild: discord.Object | None) -> bool:
        """Send the commands in Discord's documented shape; discord.py's own sync as a fallback.

        discord.py sends ``default_member_permissions`` as an integer, which Discord accepts
        but stricter compatible servers answer with a 5xx, which discord.py retries for ~25 s.
        """
        try:
            await self._sync_spec_payload(guild)
            return True
        except (discord.HTTPException, discord.ClientException) as exc:
            log.warning("slash command sync failed (%s); retrying with discord.py's sync", _short(exc))
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (%s); mentions still work", _short(exc))
            return False
        log.info("synced %d slash commands (%s)", len(synced), _scope(guild))
        return True

    async def _sync_spec_payload(self, guild: discord.Object | None) -> None:
        """Sync with ``default_member_permissions`` as a string, as Discord documents it."""
        if self.application_id is None:
            raise discord.ClientException("no application id to sync commands for")
        payload = []
        for data in self._commands_payload(guild):
            permissions = data.get("default_member_permissions")
            if permissions is not None:
                data["default_member_permissions"] = str(permissions)
            payload.append(data)
        if guild is not None:
            await self.http.bulk_upsert_guild_commands(self.application_id, guild.id, payload)
        else:
            await self.http.bulk_upsert_global_commands(self.application_id, payload)
        log.info("synced %d slash commands (%s)", len(payload), _scope(guild))

    # --- health -------------------------------------------------------------------------
    async def write_heartbeat(self, event: str) -> None:
        """``<data_dir>/discord_heartbeat.json`` (``bot.heartbeat``): the gateway was alive now."""
        if self.config.data_dir is None:
            return
        latency = self.latency
        beat = {
            "at": time.time(),
            "event": event,
            "latency_s": latency if latency == latency and latency != float("inf") else None,
            "guilds": len(self.guilds),
        }
        try:
            await self.db.run(write_heartbeat, self.config.data_dir, beat)
        except OSError:
            log.warning("could not write the heartbeat file", exc_info=True)

    def gateway_alive(self) -> bool:
        """Connected now: the gateway socket is open and a heartbeat was acknowledged."""
        ws = self.ws
        return (
            self.is_ready()
            and not self.is_closed()
            and ws is not None
            and ws.open
            and self.latency != float("inf")
        )

    async def _heartbeat_loop(self) -> None:
        while not self.is_closed():
            await asyncio.sleep(self.config.heartbeat_s)
            if self.gateway_alive():
                await self.write_heartbeat("heartbeat")

    # --- shutdown -----------------------------------------------------------------------
    async def shutdown(self, grace_s: float | None = None) -> None:
        """Finish (or close) answers in flight, then log out. What SIGTERM runs."""
        grace = self.config.shutdown_grace_s if grace_s is None else grace_s
        await self.flow.drain(grace)
        await self.close()

    async def close(self) -> None:
        for task in (self._heartbeat_task, self.sync_task):
            if task is not None and not task.done():
                task.cancel()
        await super().close()
        self.flow.core.close()
        self.db.close()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
