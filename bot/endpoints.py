"""The one adapter that points discord.py at a Discord-compatible server, and quiets voice.

discord.py has no public setting for its REST base or first gateway URL, nor for its
"PyNaCl is not installed" voice warnings: the class attributes below are the only way,
so they are set here, once, by the entry point, and nowhere else.
"""

from __future__ import annotations

import logging

import discord
import yarl

from newsdesk.errors import ConfigError

log = logging.getLogger(__name__)


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


def current_api_base() -> str:
    return str(discord.http.Route.BASE)


def skip_voice_warnings() -> None:
    """The bot never joins voice: no "PyNaCl/davey is not installed" warnings at start."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
