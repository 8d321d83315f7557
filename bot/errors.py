"""Translate any error into a short message that is safe to show a Discord user.

One function, used by every surface's handler (slash commands, buttons, mentions), so
users never see a traceback and the log always gets one for the unexpected.
"""

from __future__ import annotations

import logging
import math

from discord import app_commands

from newsdesk.errors import (
    EmbedderMismatch,
    IndexCorrupt,
    IndexMissing,
    ModelUnavailable,
    NewsdeskError,
    NoAnswer,
    QuestionInvalid,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

GENERIC = "Something went wrong on my side. It has been logged; please try again later."


class Throttled(Exception):
    """The user asked too often; ``retry_after`` seconds until the next question."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class UserFacingError(Exception):
    """A plain refusal the bot itself decided on (e.g. a message it cannot find)."""


def unwrap(error: BaseException) -> BaseException:
    """The original exception inside discord.py's wrappers."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None or inner is error:
            break
        error = inner
    return error


def user_message(error: BaseException) -> str:
    """The text a user sees for ``error``; logs the traceback for unexpected errors."""
    error = unwrap(error)
    if isinstance(error, Throttled):
        wait = max(1, math.ceil(error.retry_after))
        return f"You're asking quickly! Please wait {wait} s before your next question."
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        return "Only members with the **Manage Server** permission can do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {max(1, math.ceil(error.retry_after))} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, QuestionInvalid):
        return f"{error.message}"
    if isinstance(error, StoreUnavailable):
        return "The article index is temporarily unavailable, try again in a minute."
    if isinstance(error, IndexMissing):
        return "No articles are indexed yet. An admin can build the index with `/reindex`."
    if isinstance(error, IndexCorrupt):
        return "The article index needs a rebuild. An admin can run `/reindex`."
    if isinstance(error, ModelUnavailable):
        return "The answering model is temporarily unavailable, try again in a minute."
    if isinstance(error, NoAnswer):
        return "I could not find an answer to that in the articles."
    if isinstance(error, EmbedderMismatch):
        return "The index was built with another embedding model. An admin can run `/reindex`."
    if isinstance(error, NewsdeskError):
        # Messages may name paths or hosts: the operator reads them in the log, not users.
        log.warning("newsdesk error in the Discord bot: %s", error)
        return "newsdesk cannot answer right now; the operator has been told. Try again later."
    log.error("unexpected error in the Discord bot", exc_info=error)
    return GENERIC
