"""Start the bot: token checks, Discord endpoints from settings, clean shutdown.

The two endpoint settings point discord.py at any Discord-API-compatible server (a
self-hosted one, or the test twin). They are applied here, in the entry point, right
before the client starts: importing the bot changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import discord
import yarl

from bot.client import BotConfig, BotDeps, NewsdeskBot
from newsdesk.errors import ConfigError

log = logging.getLogger(__name__)

TOKEN_HINT = (
    "create a bot at https://discord.com/developers/applications (Bot -> Reset Token) and set "
    "NEWSDESK_DISCORD_TOKEN (or NEWSDESK_DISCORD_TOKEN_FILE) in the environment or .env"
)


def require_token(settings: Any) -> str:
    secret = getattr(settings, "discord_token", None)
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ConfigError("No Discord bot token is set.", hint=TOKEN_HINT)
    if any(ch.isspace() for ch in token):
        raise ConfigError("The Discord bot token contains spaces.", hint=TOKEN_HINT)
    return token


def configure_endpoints(api_base: str | None, gateway_url: str | None) -> None:
    """Point discord.py's REST and gateway at a Discord-compatible server (None = discord.com)."""
    if api_base:
        url = yarl.URL(api_base.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(
                f"NEWSDESK_DISCORD_API_BASE is not an http(s) URL: {api_base!r}",
                hint="use e.g. http://127.0.0.1:PORT/api/v10",
            )
        discord.http.Route.BASE = str(url)
        log.info("Discord REST API: %s", url)
    if gateway_url:
        url = yarl.URL(gateway_url)
        if url.scheme not in ("ws", "wss") or not url.host:
            raise ConfigError(
                f"NEWSDESK_DISCORD_GATEWAY_URL is not a ws(s) URL: {gateway_url!r}",
                hint="use e.g. ws://127.0.0.1:PORT/gateway",
            )
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = url
        log.info("Discord gateway: %s", url)


def build_bot(settings: Any, deps: BotDeps, **options: Any) -> NewsdeskBot:
    # The bot never joins voice: skip discord.py's "PyNaCl/davey is not installed" warnings.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    return NewsdeskBot(deps, BotConfig.from_settings(settings), **options)


async def serve(bot: NewsdeskBot, token: str) -> None:
    """Run until stopped; translate start-up failures into clear ConfigErrors."""
    _close_on_sigterm(bot)
    try:
        async with bot:
            await bot.start(token, reconnect=True)
    except discord.LoginFailure as exc:
        raise ConfigError(
            "Discord rejected the bot token (401 Unauthorized).",
            hint="copy a fresh token from the Developer Portal (Bot -> Reset Token) into "
            "NEWSDESK_DISCORD_TOKEN",
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ConfigError(
            "Discord refused the Message Content intent.",
            hint="enable 'Message Content Intent' under Bot -> Privileged Gateway Intents in "
            "the Developer Portal (needed to read questions in mentions)",
        ) from exc


def _close_on_sigterm(bot: NewsdeskBot) -> None:
    """`docker stop` sends SIGTERM: log out cleanly instead of dying mid-request."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / Windows
        log.debug("SIGTERM handler not installed")


def run(settings: Any, deps: BotDeps) -> None:
    """Blocking entry point used by `newsdesk bot`."""
    token = require_token(settings)
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    bot = build_bot(settings, deps)
    try:
        asyncio.run(serve(bot, token))
    except KeyboardInterrupt:
        log.info("stopped")
