"""Per-server settings, stored in SQLite under the data directory.

Which channels the bot answers in (an allowlist; empty = every channel), auto-answer
channels and forums, how a mention is answered (a thread or a reply), a cooldown
override, and the users who opted out of auto-answers. Set by admins with
`/newsdesk config`; read on every message, so reads are served from memory and every
write goes to the database first.

The schema is versioned with SQLite's ``user_version``: each migration runs once, in
order, inside a transaction. Calls are blocking; the bot runs them on its database thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from newsdesk.errors import NewsdeskError

CONFIG_FILENAME = "discord_config.sqlite3"
MentionMode = Literal["thread", "reply"]
MENTION_MODES: tuple[MentionMode, ...] = ("thread", "reply")

# Migration n brings the schema from version n to n + 1. Append only; never edit one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE guilds (
        guild_id        INTEGER PRIMARY KEY,
        mention_mode    TEXT NOT NULL DEFAULT 'thread' CHECK (mention_mode IN ('thread', 'reply')),
        cooldown_rate   INTEGER,
        cooldown_per_s  REAL
    );
    CREATE TABLE channels (
        guild_id    INTEGER NOT NULL,
        channel_id  INTEGER NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('allow', 'auto')),
        PRIMARY KEY (guild_id, channel_id, role)
    );
    """,
    """
    CREATE TABLE auto_answer_opt_out (
        guild_id  INTEGER NOT NULL,
        user_id   INTEGER NOT NULL,
        PRIMARY KEY (guild_id, user_id)
    );
    """,
)


class ConfigStoreError(NewsdeskError):
    """The per-server settings database cannot be opened or written."""


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    allowed_channels: frozenset[int] = frozenset()  # empty: every channel
    auto_answer_channels: frozenset[int] = frozenset()
    mention_mode: MentionMode = "thread"
    cooldown_rate: int | None = None
    cooldown_per_s: float | None = None
    opted_out: frozenset[int] = field(default=frozenset(), repr=False)

    def allows(self, channel_id: int, parent_id: int | None = None) -> bool:
        """A thread counts as its parent channel."""
        if not self.allowed_channels:
            return True
        return channel_id in self.allowed_channels or parent_id in self.allowed_channels

    def auto_answers(self, channel_id: int, parent_id: int | None = None) -> bool:
        return channel_id in self.auto_answer_channels or (
            parent_id is not None and parent_id in self.auto_answer_channels
        )


class GuildConfigStore:
    """SQLite file under ``settings.data_dir``; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ready = False
        self._cache: dict[int, GuildSettings] = {}

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> GuildConfigStore:
        return cls(Path(data_dir) / CONFIG_FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigStoreError(
                f"Cannot open the server settings database {self.path}: {exc}",
                hint="check that the data directory (NEWSDESK_DATA_DIR) is writable",
            ) from exc
        try:
            if not self._ready:
                migrate(conn)
                self._ready = True
            with conn:
                yield conn
        except sqlite3.Error as exc:
            raise ConfigStoreError(
                f"The server settings database {self.path} failed: {exc}",
                hint="check disk space and permissions of the data directory",
            ) from exc
        finally:
            conn.close()

    def get(self, guild_id: int) -> GuildSettings:
        with self._lock:
            cached = self._cache.get(guild_id)
            if cached is not None:
                return cached
            with self._connect() as conn:
                settings = _load(conn, guild_id)
            self._cache[guild_id] = settings
            return settings

    def cached(self, guild_id: int) -> GuildSettings | None:
        """What is in memory, without touching the disk (None: not loaded yet)."""
        return self._cache.get(guild_id)

    def update(self, guild_id: int, change: Callable[[GuildSettings], GuildSettings]) -> GuildSettings:
        """Apply ``change`` and store the result; returns the new settings."""
        with self._lock:
            with self._connect() as conn:
                new = change(_load(conn, guild_id))
                _save(conn, new)
            self._cache[guild_id] = new
            return new

    def set_channel(self, guild_id: int, channel_id: int, role: str, on: bool) -> GuildSettings:
        def change(s: GuildSettings) -> GuildSettings:
            def toggle(ids: frozenset[int]) -> frozenset[int]:
                return ids | {channel_id} if on else ids - {channel_id}

            if role == "allow":
                return replace(s, allowed_channels=toggle(s.allowed_channels))
            return replace(s, auto_answer_channels=toggle(s.auto_answer_channels))

        return self.update(guild_id, change)

    def set_opt_out(self, guild_id: int, user_id: int, opted_out: bool) -> GuildSettings:
        def change(s: GuildSettings) -> GuildSettings:
            users = s.opted_out | {user_id} if opted_out else s.opted_out - {user_id}
            return replace(s, opted_out=users)

        return self.update(guild_id, change)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the newest version; returns it. Refuses a newer database."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise ConfigStoreError(
            f"The server settings database is schema version {version}; this newsdesk knows "
            f"up to {len(MIGRATIONS)}.",
            hint="upgrade newsdesk, or point NEWSDESK_DATA_DIR at another folder",
        )
    for number in range(version, len(MIGRATIONS)):
        with conn:
            conn.execute("BEGIN")
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
    return len(MIGRATIONS)


def _load(conn: sqlite3.Connection, guild_id: int) -> GuildSettings:
    row = conn.execute(
        "SELECT mention_mode, cooldown_rate, cooldown_per_s FROM guilds WHERE guild_id = ?",
        (guild_id,),
    ).fetchone()
    channels = conn.execute("SELECT channel_id, role FROM channels WHERE guild_id = ?", (guild_id,)).fetchall()
    users = conn.execute("SELECT user_id FROM auto_answer_opt_out WHERE guild_id = ?", (guild_id,)).fetchall()
    mode, rate, per = row if row is not None else ("thread", None, None)
    mention_mode: MentionMode = "reply" if mode == "reply" else "thread"
    return GuildSettings(
        guild_id=guild_id,
        allowed_channels=frozenset(c for c, role in channels if role == "allow"),
        auto_answer_channels=frozenset(c for c, role in channels if role == "auto"),
        mention_mode=mention_mode,
        cooldown_rate=rate,
        cooldown_per_s=per,
        opted_out=frozenset(u for (u,) in users),
    )


def _save(conn: sqlite3.Connection, s: GuildSettings) -> None:
    conn.execute(
        "INSERT INTO guilds VALUES (?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
        "mention_mode = excluded.mention_mode, cooldown_rate = excluded.cooldown_rate, "
        "cooldown_per_s = excluded.cooldown_per_s",
        (s.guild_id, s.mention_mode, s.cooldown_rate, s.cooldown_per_s),
    )
    conn.execute("DELETE FROM channels WHERE guild_id = ?", (s.guild_id,))
    conn.executemany(
        "INSERT INTO channels VALUES (?, ?, ?)",
        [(s.guild_id, c, "allow") for c in sorted(s.allowed_channels)]
        + [(s.guild_id, c, "auto") for c in sorted(s.auto_answer_channels)],
    )
    conn.execute("DELETE FROM auto_answer_opt_out WHERE guild_id = ?", (s.guild_id,))
    conn.executemany(
        "INSERT INTO auto_answer_opt_out VALUES (?, ?)",
        [(s.guild_id, u) for u in sorted(s.opted_out)],
    )
