"""Start the bot: token checks, Discord endpoints from settings, graceful shutdown.

The two endpoint settings point discord.py at any Discord-API-compatible server (a
self-hosted one, or the test twin); ``bot.endpoints`` applies them right before the client
starts: importing the bot changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

import aiohttp
import discord

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.endpoints import configure_endpoints, current_api_base, skip_voice_warnings
from newsdesk.errors import ConfigError, NewsdeskError

log = logging.getLogger(__name__)

__all__ = ["DiscordUnreachable", "build_bot", "configure_endpoints", "require_token", "run", "serve"]

TOKEN_HINT = (
    "create a bot at https://discord.com/developers/applications (Bot -> Reset Token) and set "
    "NEWSDESK_DISCORD_TOKEN (or NEWSDESK_DISCORD_TOKEN_FILE) in the environment or .env"
)


class DiscordUnreachable(NewsdeskError):
    """Discord (or the configured Discord-compatible server) could not be reached at start."""


def require_token(settings: Any) -> str:
    secret = getattr(settings, "discord_token", None)
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ConfigError("No Discord bot token is set.", hint=TOKEN_HINT)
    if any(ch.isspace() for ch in token):
        raise ConfigError("The Discord bot token contains spaces.", hint=TOKEN_HINT)
    return token


def build_bot(settings: Any, deps: BotDeps, **options: Any) -> NewsdeskBot:
    skip_voice_warnings()
    config_overrides = options.pop("config_overrides", {})
    return NewsdeskBot(deps, BotConfig.from_settings(settings, **config_overrides), **options)


async def serve(bot: NewsdeskBot, token: str) -> None:
    """Run until stopped; translate start-up failures into errors that say what to do."""
    _shutdown_on_sigterm(bot)
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
            "the Developer Portal, or set NEWSDESK_DISCORD_MESSAGE_CONTENT=false (mentions and "
            "DMs work without it)",
        ) from exc
    except (TimeoutError, aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        if bot.is_ready():
            raise
        raise _unreachable(exc) from exc
    except discord.DiscordServerError as exc:
        if bot.is_ready():
            raise
        raise _unreachable(exc) from exc


def _unreachable(exc: BaseException) -> DiscordUnreachable:
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return DiscordUnreachable(
        f"Cannot reach Discord at {current_api_base()}: {reason}",
        hint="check the network and DNS (and a proxy, if any); if you set "
        "NEWSDESK_DISCORD_API_BASE / NEWSDESK_DISCORD_GATEWAY_URL, check that the server "
        "there is running. Then start `newsdesk bot` again.",
    )


def _shutdown_on_sigterm(bot: NewsdeskBot) -> None:
    """`docker stop` sends SIGTERM: finish or close answers in flight, then log out."""
    loop = asyncio.get_running_loop()
    started: list[asyncio.Task[None]] = []

    def on_sigterm() -> None:
        if started:
            return  # a second SIGTERM: the first shutdown is already running
        log.info("SIGTERM: taking no new questions, finishing answers in flight")
        started.append(loop.create_task(bot.shutdown()))

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / Windows
        log.debug("SIGTERM handler not installed")


def run(settings: Any, deps: BotDeps, **config_overrides: Any) -> None:
    """Blocking entry point used by `newsdesk bot`."""
    token = require_token(settings)
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    bot = build_bot(settings, deps, config_overrides=config_overrides)
    try:
        asyncio.run(serve(bot, token))
    except KeyboardInterrupt:
        log.info("stopped")
    stuck = bot.flow.core.busy
    if stuck and bot.flow.closing:
        # Worker threads cannot be abandoned and the interpreter joins them at exit: a core
        # call stuck on a slow LLM would hold the exit past compose's stop grace period. Its
        # answer was already closed for the user, so exit now.
        log.warning("exiting with %d abandoned answering call(s) still running", stuck)
        logging.shutdown()
        os._exit(0)
