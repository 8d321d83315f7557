"""Start the real NewsdeskBot in-process against the Discord twin (tests/bot/twin.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.guild_config import GuildConfigStore
from bot.runner import configure_endpoints, serve
from tests.bot.twin import BOT_TOKEN, Twin


async def start_bot(
    twin: Twin,
    deps: BotDeps,
    config: BotConfig | None = None,
    *,
    guild_config: GuildConfigStore | None = None,
    wait_for_commands: bool = True,
    **config_values: Any,
) -> tuple[NewsdeskBot, asyncio.Task[None]]:
    configure_endpoints(twin.api_base, twin.gateway_url)
    config = replace(config or BotConfig(), **config_values)
    bot = NewsdeskBot(deps, config, guild_config=guild_config, guild_ready_timeout=0.1)
    task = asyncio.create_task(serve(bot, BOT_TOKEN))
    await asyncio.wait_for(twin.identified.wait(), 20)
    await asyncio.wait_for(bot.wait_until_ready(), 20)
    if wait_for_commands:
        await twin.wait_until(lambda: twin.commands)  # synced after READY, in the background
    return bot, task


async def stop_bot(bot: NewsdeskBot, task: asyncio.Task[None]) -> None:
    if not bot.is_closed():
        await bot.close()
    await asyncio.wait_for(task, 10)
