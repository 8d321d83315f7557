"""Per-user question cooldown shared by `/ask` and mentions.

A sliding window: at most ``rate`` questions per ``per`` seconds per user. Uses
``time.monotonic`` looked up at call time, so simulators that virtualise the clock work.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class UserCooldown:
    def __init__(
        self,
        rate: int,
        per: float,
        *,
        max_users: int = 10_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate = rate
        self.per = per
        self.max_users = max_users
        self._clock = clock
        self._hits: OrderedDict[int, deque[float]] = OrderedDict()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    def hit(self, user_id: int) -> float:
        """Count one question; 0.0 if allowed, else seconds until the user may ask again."""
        now = self._now()
        hits = self._hits.get(user_id)
        if hits is None:
            hits = self._hits[user_id] = deque()
        self._hits.move_to_end(user_id)
        while hits and now - hits[0] >= self.per:
            hits.popleft()
        if len(hits) >= self.rate:
            return max(self.per - (now - hits[0]), 0.01)
        hits.append(now)
        while len(self._hits) > self.max_users:
            self._hits.popitem(last=False)
        return 0.0
