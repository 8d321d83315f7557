"""Bounded conversation memory: the last N turns per conversation, LRU over conversations.

A conversation is a thread, a DM, or one user's replies in one channel (where the bot
cannot start threads): never one channel shared by everybody, so one user's earlier turn
is never another user's history. Lives on the event loop only (no locks needed). After a
restart the first question in a conversation rebuilds its history from the answers the
feedback store already keeps (``AnswerFlow._history``), so nothing else is persisted.
"""

from __future__ import annotations

from collections import deque

from cachetools import LRUCache

from answering.models import Turn

ConversationKey = str


def thread_key(thread_id: int) -> ConversationKey:
    return f"thread:{thread_id}"


def dm_key(channel_id: int) -> ConversationKey:
    return f"dm:{channel_id}"


def reply_key(channel_id: int, user_id: int) -> ConversationKey:
    return f"reply:{channel_id}:{user_id}"


def is_reply_key(key: ConversationKey) -> bool:
    return key.startswith("reply:")


class ConversationMemory:
    def __init__(self, max_turns: int, max_conversations: int) -> None:
        if max_turns < 0 or max_conversations < 1:
            raise ValueError("max_turns must be >= 0 and max_conversations >= 1")
        self.max_turns = max_turns
        self._turns: LRUCache[ConversationKey, deque[Turn]] = LRUCache(maxsize=max_conversations)

    def history(self, key: ConversationKey) -> tuple[Turn, ...]:
        turns = self._turns.get(key)  # a read counts as use
        return tuple(turns) if turns is not None else ()

    def add(self, key: ConversationKey, turn: Turn) -> None:
        if self.max_turns == 0:
            return
        turns = self._turns.get(key)
        if turns is None:
            turns = deque(maxlen=self.max_turns)
            self._turns[key] = turns
        turns.append(turn)

    def replace(self, key: ConversationKey, turns: list[Turn]) -> None:
        """Set a conversation's history (rebuilt from a thread after a restart)."""
        if self.max_turns == 0:
            return
        self._turns[key] = deque(turns[-self.max_turns :], maxlen=self.max_turns)

    def forget(self, key: ConversationKey) -> None:
        self._turns.pop(key, None)

    def __len__(self) -> int:
        return len(self._turns)

    def __contains__(self, key: object) -> bool:
        return key in self._turns
