"""Small helpers for simcord-driven bot tests."""

from __future__ import annotations

import re
from typing import Any

# Routes through which the bot puts text in front of users.
_SENDING = ("/messages", "/callback", "/webhooks/")


def world(env: Any) -> tuple[Any, Any, Any]:
    guild = env.create_guild()
    channel = guild.create_text_channel("news")
    alice = guild.add_member(env.create_user("alice"))
    return guild, channel, alice


def sent_payloads(env: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, payload) of every request that creates or edits a message."""
    out = []
    for entry in env.http_requests:
        if entry.method not in ("POST", "PATCH"):
            continue
        if not any(part in entry.path for part in _SENDING) or entry.path.endswith("/threads"):
            continue
        body = entry.json
        if entry.path.endswith("/callback"):
            if (body or {}).get("type") in (5, 6):
                continue  # a defer carries no content
            body = (body or {}).get("data") or {}
        out.append((entry.method, entry.path, body or {}))
    return out


def assert_no_mentions_anywhere(env: Any) -> int:
    """Every message the bot created or edited had allowed_mentions parse=[] and nothing else."""
    payloads = sent_payloads(env)
    assert payloads, "the bot sent nothing"
    for method, path, body in payloads:
        allowed = body.get("allowed_mentions")
        assert allowed is not None, f"{method} {path} sent without allowed_mentions: {body}"
        assert allowed.get("parse") == [], f"{method} {path}: {allowed}"
        assert not allowed.get("users") and not allowed.get("roles"), f"{method} {path}: {allowed}"
        assert not allowed.get("replied_user"), f"{method} {path}: {allowed}"
    return len(payloads)


def button_ids(message: Any) -> list[str]:
    components = message.components
    ids = []
    for row in components:
        row_children = row["components"] if isinstance(row, dict) else row.children
        for child in row_children:
            ids.append(child["custom_id"] if isinstance(child, dict) else child.custom_id)
    return ids


# What Discord would render as formatting: a masked link, spoilers, underline, bold/italic,
# each only when its first character is not escaped with a backslash.
_UNESCAPED = r"(?<!\\)"
MARKDOWN = [
    re.compile(_UNESCAPED + r"\[[^\]\n]+" + _UNESCAPED + r"\]\(\S+\)"),
    re.compile(_UNESCAPED + r"\|\|.+?" + _UNESCAPED + r"\|\|"),
    re.compile(_UNESCAPED + r"__.+?" + _UNESCAPED + r"__"),
    re.compile(_UNESCAPED + r"\*[^*\s].*?" + _UNESCAPED + r"\*"),
]


def formatting_in(text: str) -> list[str]:
    return [m.group(0) for pattern in MARKDOWN for m in pattern.finditer(text)]


def shown_as(text: str) -> str:
    """What a reader sees: Discord drops the escaping backslash, and <url> brackets."""
    return re.sub(r"<(https?://[^>]+)>", r"\1", re.sub(r"\\(.)", r"\1", text))
