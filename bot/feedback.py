"""Durable feedback: every answer the bot posts and every 👍/👎 on it, in SQLite.

Answers are keyed by the Discord message id that carries the buttons, so a click (even
after a restart) finds the question, answer and citations it refers to. A user's repeat
click replaces only their own vote. ``export_jsonl`` turns votes into eval-set lines.

Calls are blocking (sqlite3); the bot runs them in a worker thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from answering.models import Answer, Turn
from newsdesk.errors import NewsdeskError

FEEDBACK_FILENAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    message_id     INTEGER PRIMARY KEY,
    channel_id     INTEGER,
    guild_id       INTEGER,
    asked_by       INTEGER,
    question       TEXT NOT NULL,
    answer         TEXT NOT NULL,
    refused        INTEGER NOT NULL,
    citations_json TEXT NOT NULL,
    created_at     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    message_id INTEGER NOT NULL REFERENCES answers(message_id),
    user_id    INTEGER NOT NULL,
    vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    voted_at   REAL NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
"""


class FeedbackError(NewsdeskError):
    """The feedback database cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    message_id: int
    channel_id: int | None
    guild_id: int | None
    asked_by: int | None
    question: str
    answer: str
    refused: bool
    citations: list[dict[str, Any]]
    created_at: float


@dataclass(frozen=True, slots=True)
class VoteCounts:
    up: int
    down: int


class FeedbackStore:
    """SQLite file under ``settings.data_dir``; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        return cls(Path(data_dir) / FEEDBACK_FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10)
            except (OSError, sqlite3.Error) as exc:
                raise FeedbackError(
                    f"Cannot open the feedback database {self.path}: {exc}",
                    hint="check that the data directory (NEWSDESK_DATA_DIR) is writable",
                ) from exc
            try:
                if not self._ready:
                    conn.executescript(_SCHEMA)
                    self._ready = True
                with conn:  # one transaction per call
                    yield conn
            except sqlite3.Error as exc:
                raise FeedbackError(
                    f"The feedback database {self.path} failed: {exc}",
                    hint="check disk space and permissions of the data directory",
                ) from exc
            finally:
                conn.close()

    def record_answer(
        self,
        message_id: int,
        answer: Answer,
        *,
        channel_id: int | None = None,
        guild_id: int | None = None,
        asked_by: int | None = None,
    ) -> None:
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    channel_id,
                    guild_id,
                    asked_by,
                    answer.question,
                    answer.answer,
                    int(answer.refused),
                    citations,
                    time.time(),
                ),
            )

    def answer_for(self, message_id: int) -> StoredAnswer | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM answers WHERE message_id = ?", (message_id,)).fetchone()
        if row is None:
            return None
        return StoredAnswer(
            message_id=row[0],
            channel_id=row[1],
            guild_id=row[2],
            asked_by=row[3],
            question=row[4],
            answer=row[5],
            refused=bool(row[6]),
            citations=json.loads(row[7]),
            created_at=row[8],
        )

    def vote(self, message_id: int, user_id: int, vote: int) -> VoteCounts:
        """Set (or replace) this user's vote on an answer; returns the new totals.

        Raises KeyError when the message is not a recorded answer.
        """
        if vote not in (-1, 1):
            raise ValueError("vote must be +1 or -1")
        with self._connect() as conn:
            if conn.execute("SELECT 1 FROM answers WHERE message_id = ?", (message_id,)).fetchone() is None:
                raise KeyError(message_id)
            conn.execute(
                "INSERT INTO votes VALUES (?, ?, ?, ?) ON CONFLICT(message_id, user_id) "
                "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (message_id, user_id, vote, time.time()),
            )
            return self._counts(conn, message_id)

    def recent_turns(
        self, channel_id: int, limit: int, *, asked_by: int | None = None
    ) -> list[Turn]:
        """The last ``limit`` answered turns in a channel or thread, oldest first.

        How a conversation's memory survives a restart: every answer is stored here anyway.
        ``asked_by`` keeps one user's turns (replies in a channel are per-user conversations).
        """
        if limit <= 0:
            return []
        query = "SELECT question, answer FROM answers WHERE channel_id = ?"
        args: tuple[Any, ...] = (channel_id,)
        if asked_by is not None:
            query += " AND asked_by = ?"
            args += (asked_by,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY created_at DESC LIMIT ?", (*args, limit)).fetchall()
        return [Turn(question=q, answer=a) for q, a in reversed(rows)]

    def stats(self, guild_id: int | None, days: int = 7, *, now: float | None = None) -> UsageStats:
        """Usage in one server over the last ``days`` days."""
        with self._connect() as conn:
            return _stats(conn, guild_id, days, time.time() if now is None else now)

    def counts(self, message_id: int) -> VoteCounts:
        with self._connect() as conn:
            return self._counts(conn, message_id)

    @staticmethod
    def _counts(conn: sqlite3.Connection, message_id: int) -> VoteCounts:
        up, down = conn.execute(
            "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM votes WHERE message_id = ?",
            (message_id,),
        ).fetchone()
        return VoteCounts(up=int(up), down=int(down))

    def rows(self) -> list[dict[str, Any]]:
        """Every vote joined with its answer: the durable feedback record."""
        with self._connect() as conn:
            cursor = conn.execute(
                "SELECT a.message_id, a.channel_id, a.guild_id, a.question, a.answer, a.refused, "
                "a.citations_json, v.user_id, v.vote, v.voted_at FROM votes v "
                "JOIN answers a USING (message_id) ORDER BY v.voted_at, a.message_id, v.user_id"
            )
            out = []
            for row in cursor:
                out.append(
                    {
                        "message_id": row[0],
                        "channel_id": row[1],
                        "guild_id": row[2],
                        "question": row[3],
                        "answer": row[4],
                        "refused": bool(row[5]),
                        "citations": json.loads(row[6]),
                        "user_id": row[7],
                        "vote": row[8],
                        "voted_at": row[9],
                    }
                )
            return out


@dataclass(frozen=True, slots=True)
class UsageStats:
    """What `/newsdesk stats` shows, computed from the stored answers and votes."""

    days: int
    per_day: list[tuple[str, int]]  # (YYYY-MM-DD, questions), oldest first
    questions: int
    refused: int
    up: int
    down: int
    top_unanswered: list[tuple[str, int]]  # (question, times asked), most asked first

    @property
    def refusal_rate(self) -> float:
        return self.refused / self.questions if self.questions else 0.0


def _stats(conn: sqlite3.Connection, guild_id: int | None, days: int, now: float) -> UsageStats:
    since = now - days * 86400
    scope = "created_at >= ? AND guild_id IS ?"
    args = (since, guild_id)
    per_day = conn.execute(
        f"SELECT date(created_at, 'unixepoch'), COUNT(*) FROM answers WHERE {scope} GROUP BY 1 ORDER BY 1",
        args,
    ).fetchall()
    questions, refused = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM(refused), 0) FROM answers WHERE {scope}", args
    ).fetchone()
    up, down = conn.execute(
        "SELECT COALESCE(SUM(v.vote > 0), 0), COALESCE(SUM(v.vote < 0), 0) FROM votes v "
        f"JOIN answers a ON a.message_id = v.message_id WHERE a.{scope.replace(' AND ', ' AND a.')}",
        args,
    ).fetchone()
    unanswered = conn.execute(
        f"SELECT MIN(question), COUNT(*) FROM answers WHERE {scope} AND refused = 1 "
        "GROUP BY lower(trim(question)) ORDER BY 2 DESC, 1 LIMIT 5",
        args,
    ).fetchall()
    return UsageStats(
        days=days,
        per_day=[(d, n) for d, n in per_day],
        questions=questions,
        refused=refused,
        up=up,
        down=down,
        top_unanswered=[(q, n) for q, n in unanswered],
    )


def export_jsonl(store: FeedbackStore, out: Path) -> int:
    """Write one eval candidate per answered message with votes; returns the line count.

    Each line: question, the bot's answer and citations, net score and vote counts, and
    ``label`` ("good" when 👍 outnumber 👎, "bad" when fewer, "mixed" on a tie) so an eval
    engineer can promote good answers to gold and bad ones to regression cases.
    """
    grouped: dict[int, dict[str, Any]] = {}
    for row in store.rows():
        item = grouped.setdefault(
            row["message_id"],
            {
                "message_id": row["message_id"],
                "question": row["question"],
                "answer": row["answer"],
                "refused": row["refused"],
                "citations": row["citations"],
                "up": 0,
                "down": 0,
            },
        )
        item["up" if row["vote"] > 0 else "down"] += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for item in grouped.values():
            score = item["up"] - item["down"]
            item["label"] = "good" if score > 0 else "bad" if score < 0 else "mixed"
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(grouped)
