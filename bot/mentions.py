"""Mentions and thread follow-ups: chat-style questions outside slash commands.

Mention the bot in a channel and it answers in a thread it starts on your message (or,
where it cannot start one, in a reply). Every message in a thread it started is a
follow-up, answered against that thread's remembered history. This wrapper is the one
error handler for this surface.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery import ChannelReply
from bot.errors import user_message
from bot.split import truncate

if TYPE_CHECKING:
    from bot.client import NewsdeskBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
THREAD_NAME_LIMIT = 100
EMPTY_HINT = (
    "Ask me something about the articles, e.g. `@newsdesk who denied involvement?` "
    "(If you did write a question, the bot may lack the Message Content intent.)"
)


def _question_text(bot: NewsdeskBot, message: discord.Message) -> str:
    assert bot.user is not None
    text = re.sub(rf"<@!?{bot.user.id}>", " ", message.content)
    return " ".join(text.split())


def _addressed(bot: NewsdeskBot, message: discord.Message) -> bool:
    if bot.user is None:
        return False
    if bot.is_own_thread(message.channel) or isinstance(message.channel, discord.DMChannel):
        return True
    if any(user.id == bot.user.id for user in message.mentions):
        return True
    return re.search(rf"<@!?{bot.user.id}>", message.content) is not None


async def handle_message(bot: NewsdeskBot, message: discord.Message) -> None:
    if message.author.bot or bot.user is None or message.author.id == bot.user.id:
        return
    if message.type not in (discord.MessageType.default, discord.MessageType.reply):
        return
    if not _addressed(bot, message):
        return
    reply: ChannelReply | None = None
    try:
        question = _question_text(bot, message)
        if not question:
            await message.reply(EMPTY_HINT, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        question = bot.check_question(message.author.id, question)
        target, reference = await _conversation_place(bot, message, question)
        reply = ChannelReply(target, bot.answer_view, reference=reference)
        await reply.start()
        memory_key = bot.memory_key(target) or int(target.id)
        await bot.answer_to(
            reply,
            question,
            memory_key=memory_key,
            channel_id=int(target.id),
            guild_id=message.guild.id if message.guild else None,
            user_id=message.author.id,
        )
    except Exception as exc:  # noqa: BLE001 - the one error handler for mentions
        text = user_message(exc)
        try:
            if reply is not None and reply.placeholder is not None:
                await reply.fail(text)
            else:
                await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not tell a user about an error", exc_info=True)


async def _conversation_place(
    bot: NewsdeskBot, message: discord.Message, question: str
) -> tuple[Any, discord.Message | None]:
    """Where to answer: the current thread, a new thread, or a reply in the channel."""
    channel = message.channel
    if bot.is_own_thread(channel) or not isinstance(channel, discord.TextChannel):
        return channel, None
    name = truncate(question, THREAD_NAME_LIMIT) or "newsdesk"
    try:
        thread = await message.create_thread(name=name, auto_archive_duration=1440)
    except discord.HTTPException as exc:
        log.info("could not start a thread in #%s (%s); replying in the channel", channel, exc)
        return channel, message
    return thread, None
