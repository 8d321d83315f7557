"""Messages: mentions, thread follow-ups and auto-answer channels.

Mention the bot in a channel and it answers in a thread it starts on your message, or in
a reply where the server chose replies or the bot may not start threads (decided from
its permissions up front, so no request fails first). Every message in a thread it
started, or in an auto-answer channel or forum post, is answered without a mention.
This handler is the one error handler for this surface.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.delivery import ChannelReply
from bot.errors import user_message
from bot.flow import AnswerFlow
from bot.guild_config import GuildSettings
from bot.render import NO_MENTIONS
from bot.split import truncate

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100
EMPTY_HINT = "Ask me something about the articles, e.g. `@newsdesk who denied involvement?`"
NEEDS_MENTION = (
    "Mention me in follow-ups, e.g. `@newsdesk and when was that?`: this bot runs without "
    "Discord's Message Content intent, so it only sees messages that mention it."
)
_ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def _parent_id(channel: Any) -> int | None:
    return channel.parent_id if isinstance(channel, discord.Thread) else None


class MessageHandler:
    def __init__(self, flow: AnswerFlow) -> None:
        self.flow = flow
        self._warned_content = False

    @property
    def _me(self) -> discord.ClientUser | None:
        return self.flow.client.user

    def _mentions_me(self, message: discord.Message) -> bool:
        me = self._me
        if me is None:
            return False
        if any(user.id == me.id for user in message.mentions):
            return True
        return re.search(rf"<@!?{me.id}>", message.content) is not None

    def _question_text(self, message: discord.Message) -> str:
        me = self._me
        text = re.sub(rf"<@!?{me.id}>", " ", message.content) if me else message.content
        return " ".join(text.split())

    async def on_message(self, message: discord.Message) -> None:
        me = self._me
        if me is None or message.author.bot or message.author.id == me.id:
            return
        if message.type not in _ANSWERED_TYPES:
            return
        channel = message.channel
        settings = await self.flow.guild_settings(message.guild.id if message.guild else None)
        if settings is not None and not settings.allows(channel.id, _parent_id(channel)):
            return
        mentioned = self._mentions_me(message)
        auto = (
            settings is not None
            and settings.auto_answers(channel.id, _parent_id(channel))
            and message.author.id not in settings.opted_out
        )
        followup = self.flow.is_own_thread(channel) or isinstance(channel, discord.DMChannel)
        if not (mentioned or auto or followup):
            return
        try:
            question = self._question_text(message)
            if not question:
                await self._empty(message, mentioned)
                return
            await self._answer(message, question, settings, auto=auto and not mentioned)
        except Exception as exc:  # noqa: BLE001 - the one error handler for messages
            try:
                await message.reply(user_message(exc), mention_author=False, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.warning("could not tell a user about an error", exc_info=True)

    async def _empty(self, message: discord.Message, mentioned: bool) -> None:
        """No text: a bare mention, or a message Discord withheld (no Message Content intent)."""
        if mentioned and not message.attachments:
            await message.reply(EMPTY_HINT, mention_author=False, allowed_mentions=NO_MENTIONS)
        elif not self.flow.config.message_content:
            if self.flow.is_own_thread(message.channel):
                await message.reply(NEEDS_MENTION, mention_author=False, allowed_mentions=NO_MENTIONS)
            elif not self._warned_content:
                self._warned_content = True
                log.warning(
                    "an auto-answer channel got a message without text: auto-answer needs "
                    "NEWSDESK_DISCORD_MESSAGE_CONTENT=true and the Message Content intent"
                )

    async def _answer(
        self,
        message: discord.Message,
        question: str,
        settings: GuildSettings | None,
        *,
        auto: bool,
    ) -> None:
        question = self.flow.check_question(message.author.id, question, settings)
        place = await self._place(message, question, settings)
        if place is None:
            return
        target, reference = place
        view = (self.flow.auto_answer_view if auto else None) or self.flow.view
        reply = ChannelReply(target, view, reference=reference)
        try:
            await reply.start()
        except discord.HTTPException:
            log.warning("could not post in #%s", target, exc_info=True)
            return
        conversation = self.flow.conversation(target, message.author.id)
        if conversation is None:
            conversation = self.flow.reply_conversation(int(target.id), message.author.id)
        await self.flow.answer_to(
            reply,
            question,
            conversation=conversation,
            channel_id=int(target.id),
            guild_id=message.guild.id if message.guild else None,
            user_id=message.author.id,
        )

    async def _place(
        self, message: discord.Message, question: str, settings: GuildSettings | None
    ) -> tuple[Any, discord.Message | None] | None:
        """Where to answer, from the bot's permissions: a thread, a reply, or nowhere."""
        channel = message.channel
        if isinstance(channel, discord.DMChannel):
            return channel, None
        guild = message.guild
        me = guild.me if guild is not None else None
        if me is None or not hasattr(channel, "permissions_for"):
            return channel, message
        perms = channel.permissions_for(me)
        if isinstance(channel, discord.Thread):
            if perms.send_messages_in_threads:
                return channel, None
            log.info("no permission to send messages in thread %s; not answering", channel.id)
            return None
        mode = settings.mention_mode if settings is not None else "thread"
        can_thread = (
            isinstance(channel, discord.TextChannel)
            and perms.create_public_threads
            and perms.send_messages_in_threads
        )
        if mode == "thread" and can_thread:
            name = truncate(question, THREAD_NAME_LIMIT) or "newsdesk"
            try:
                thread = await message.create_thread(name=name, auto_archive_duration=1440)
            except discord.HTTPException as exc:
                log.info("could not start a thread in #%s (%s); replying instead", channel, exc)
            else:
                return thread, None
        if perms.send_messages:
            reference = message if perms.read_message_history else None
            return channel, reference
        log.info("no permission to send messages in #%s; not answering", channel)
        return None
