"""Bounded conversation memory: the last N turns per thread/channel, LRU over channels.

Lives on the event loop only (no locks needed); lost on restart, which is fine for
follow-ups ("and who denied it?") that refer to the last few exchanges.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from answering.models import Turn


class ConversationMemory:
    def __init__(self, max_turns: int, max_channels: int) -> None:
        if max_turns < 0 or max_channels < 1:
            raise ValueError("max_turns must be >= 0 and max_channels >= 1")
        self.max_turns = max_turns
        self.max_channels = max_channels
        self._turns: OrderedDict[int, deque[Turn]] = OrderedDict()

    def history(self, key: int) -> tuple[Turn, ...]:
        turns = self._turns.get(key)
        if turns is None:
            return ()
        self._turns.move_to_end(key)
        return tuple(turns)

    def add(self, key: int, turn: Turn) -> None:
        if self.max_turns == 0:
            return
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = deque(maxlen=self.max_turns)
        self._turns.move_to_end(key)
        turns.append(turn)
        while len(self._turns) > self.max_channels:
            self._turns.popitem(last=False)

    def forget(self, key: int) -> None:
        self._turns.pop(key, None)

    def __len__(self) -> int:
        return len(self._turns)

    def __contains__(self, key: object) -> bool:
        return key in self._turns
