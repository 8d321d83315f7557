"""The gateway heartbeat file: written by the bot, read by `newsdesk health`.

No discord import here, so the health check stays cheap. The bot writes
``<data_dir>/discord_heartbeat.json`` on READY, on RESUMED and every 30 s while the
gateway is connected; a file older than ``MAX_AGE_S`` means the bot lost Discord.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

HEARTBEAT_FILE = "discord_heartbeat.json"
MAX_AGE_S = 90.0  # three missed beats of the bot's default 30 s (BotConfig.heartbeat_s)


def heartbeat_path(data_dir: Path) -> Path:
    return Path(data_dir) / HEARTBEAT_FILE


def write_heartbeat(data_dir: Path, beat: dict[str, Any]) -> None:
    path = heartbeat_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(beat, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def read_heartbeat(data_dir: Path) -> dict[str, Any] | None:
    """The last beat, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(heartbeat_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("at"), int | float) else None


def age_s(beat: dict[str, Any], now: float | None = None) -> float:
    return (time.time() if now is None else now) - float(beat["at"])
