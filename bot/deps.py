"""What the bot is given by its entry point: typed dependencies and configuration.

Nothing here imports the index or builds the core, so tests hand the bot fakes that
implement the same interfaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from answering.models import AnswerService
from bot.feedback import FeedbackStore
from bot.render import DocumentLike


class SummaryLike(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class BotConfig:
    max_question_chars: int = 1000
    cooldown_rate: int = 3
    cooldown_per_s: float = 30.0
    max_concurrency: int = 4
    history_turns: int = 6
    memory_channels: int = 1000
    stream_edit_s: float = 1.0
    guild_id: int | None = None
    message_content: bool = False  # the privileged intent: follow-ups without a mention
    shutdown_grace_s: float = 20.0  # under compose's stop_grace_period (30 s)
    sync: bool = False  # sync commands even if their payload did not change
    clear_global: bool = False  # with guild_id: remove this app's global commands
    data_dir: Path | None = None  # where the synced-commands hash is kept (None: always sync)
    interaction_token_s: float = 14 * 60.0  # after this, post to the channel, not the token
    heartbeat_s: float = 30.0  # how often the gateway heartbeat file is refreshed while connected

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> BotConfig:
        values = dict(
            max_question_chars=settings.max_question_chars,
            cooldown_rate=settings.discord_cooldown_rate,
            cooldown_per_s=settings.discord_cooldown_per_s,
            max_concurrency=settings.discord_max_concurrency,
            history_turns=settings.discord_history_turns,
            memory_channels=settings.discord_memory_channels,
            stream_edit_s=settings.discord_stream_edit_s,
            guild_id=settings.discord_guild_id,
            message_content=settings.discord_message_content,
            shutdown_grace_s=settings.discord_shutdown_grace_s,
            data_dir=Path(settings.data_dir),
        )
        values.update(overrides)
        return cls(**values)


@dataclass
class BotDeps:
    service: AnswerService
    feedback: FeedbackStore
    list_sources: Callable[[], Sequence[DocumentLike]]
    reindex: Callable[[], SummaryLike] | None = None
    describe_index: Callable[[], str] | None = None  # "collection X, generation Y" for logs
    clock: Callable[[], float] | None = None  # streaming edit pacing; tests inject one
    timeline: Callable[[str | None], Any] | None = None  # topic -> answering.timeline.Timeline
