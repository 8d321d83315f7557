"""Interaction responses that tolerate Discord-compatible servers with a terse callback.

discord.py 2.7 asks for ``?with_response=1`` and parses the JSON body of the callback;
some compatible servers answer ``204 No Content``. The callback itself succeeded then (the
response is marked done before parsing), so we log and carry on instead of failing the
command.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

_PARSE_ERRORS = (TypeError, KeyError, ValueError)


async def defer(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    try:
        await interaction.response.defer(**kwargs)
    except _PARSE_ERRORS:
        if not interaction.response.is_done():
            raise
        log.debug("interaction callback had no body; deferred anyway")


async def send_message(interaction: discord.Interaction[Any], *args: Any, **kwargs: Any) -> None:
    try:
        await interaction.response.send_message(*args, **kwargs)
    except _PARSE_ERRORS:
        if not interaction.response.is_done():
            raise
        log.debug("interaction callback had no body; message sent anyway")
