"""A small Discord-API-compatible server (REST + gateway) on 127.0.0.1, for end-to-end tests.

It speaks just enough of Discord's v10 API for a discord.py bot over real HTTP and a real
WebSocket: HELLO / IDENTIFY -> READY + GUILD_CREATE, heartbeats, command sync, messages,
edits, threads, interaction callbacks and webhook follow-ups. Like Discord, it works out
``mention_everyone`` / ``mentions`` from the content and the sender's ``allowed_mentions``,
so a test can see whether the bot would have pinged anyone.

``GET /oauth2/applications/@me`` answers 404 unless ``serve_application`` is set: the bot
must not depend on optional endpoints.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_TOKEN = "twin-bot-token"
ALL_PERMISSIONS = str((1 << 50) - 1)
# Everything but Administrator (which would override every channel's permission overwrites).
EVERYONE_PERMISSIONS = str(((1 << 50) - 1) & ~(1 << 3))
BODY = web.RequestKey("body", object)
# Permission bits (Discord's documented values).
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
MESSAGE_CONTENT_INTENT = 1 << 15
_NOW = "2026-01-01T00:00:00.000000+00:00"


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py only parses a body whose Content-Type is exactly application/json.
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


@dataclass
class Twin:
    serve_application: bool = False
    terse_callbacks: bool = False  # answer interaction callbacks 204 with no body
    command_sync_status: int = 200  # e.g. 500: a server whose command store is failing
    guild_id: str = "100"
    channel_id: str = "200"
    bot_user: dict[str, Any] = field(
        default_factory=lambda: {
            "id": "900",
            "username": "newsdesk",
            "discriminator": "0",
            "avatar": None,
            "global_name": None,
            "bot": True,
        }
    )
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    interactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> state
    heartbeat_interval_s: float = 41.25  # what HELLO asks for (the load test uses 0.5 s)
    beats: list[float] = field(default_factory=list)  # monotonic arrival time of each heartbeat

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self._seq = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self.identified = asyncio.Event()
        self.channels[self.channel_id] = {
            "id": self.channel_id,
            "type": 0,
            "name": "news",
            "guild_id": self.guild_id,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.intents: int | None = None  # what the bot asked for in IDENTIFY
        self.statuses: list[tuple[str, str, int]] = []  # (method, path, status) of every request

    def add_channel(self, channel_id: str, name: str, *, deny_bot: int = 0, kind: int = 0) -> dict[str, Any]:
        """A text (0) or forum (15) channel; ``deny_bot`` permission bits denied to the bot."""
        overwrites = []
        if deny_bot:
            overwrites.append({"id": self.bot_user["id"], "type": 1, "allow": "0", "deny": str(deny_bot)})
        channel = {
            "id": channel_id,
            "type": kind,
            "name": name,
            "guild_id": self.guild_id,
            "position": len(self.channels),
            "permission_overwrites": overwrites,
            "nsfw": False,
            "parent_id": None,
        }
        if kind == 15:
            channel["available_tags"] = []
        self.channels[channel_id] = channel
        return channel

    def bot_denied(self, channel_id: str) -> int:
        """Permission bits denied to the bot in a channel (threads inherit their parent's)."""
        channel = self.channels.get(channel_id) or {}
        if channel.get("type") in (11, 12):
            channel = self.channels.get(channel.get("parent_id") or "") or {}
        denied = 0
        for overwrite in channel.get("permission_overwrites", []):
            if overwrite["id"] == self.bot_user["id"]:
                denied |= int(overwrite["deny"])
        return denied

    def forbidden(self, channel_id: str, *bits: int) -> web.Response | None:
        denied = self.bot_denied(channel_id)
        if any(denied & bit for bit in bits):
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        return None

    # --- server lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._log_request])
        api = "/api/v10"
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get(f"{api}/users/@me", lambda r: _json(self.bot_user))
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._put_commands)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{g}}/commands", self._put_commands)
        app.router.add_post(f"{api}/channels/{{cid}}/messages", self._post_message)
        app.router.add_patch(f"{api}/channels/{{cid}}/messages/{{mid}}", self._patch_message)
        app.router.add_post(f"{api}/channels/{{cid}}/messages/{{mid}}/threads", self._thread)
        app.router.add_post(f"{api}/channels/{{cid}}/typing", lambda r: web.Response(status=204))
        app.router.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback)
        app.router.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/@original", self._edit_original)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @web.middleware
    async def _log_request(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        request[BODY] = body
        self.requests.append((request.method, request.path, body))
        if request.path.startswith("/api/") and request.headers.get("Authorization") != f"Bot {BOT_TOKEN}":
            if not request.path.startswith(("/api/v10/interactions/", "/api/v10/webhooks/")):
                return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        response = await handler(request)
        self.statuses.append((request.method, request.path, response.status))
        return response

    # --- gateway ----------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        hello = {"heartbeat_interval": int(self.heartbeat_interval_s * 1000)}
        await ws.send_json({"op": 10, "d": hello, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                self.beats.append(time.monotonic())
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] == 2:
                self.intents = int(data["d"].get("intents", 0))
                if data["d"]["token"] != BOT_TOKEN:
                    await ws.close(code=4004, message=b"Authentication failed")
                    break
                await self._dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": self.bot_user,
                        "session_id": "s1",
                        "resume_gateway_url": self.gateway_url,
                        "guilds": [{"id": self.guild_id, "unavailable": True}],
                        "application": {"id": self.bot_user["id"], "flags": 0},
                    },
                )
                await self._dispatch("GUILD_CREATE", self._guild())
                self.identified.set()
        return ws

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        payload = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_json(payload)

    def _guild(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": "Twin Guild",
            "owner_id": "1",
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "joined_at": _NOW,
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [c for c in self.channels.values() if c["type"] in (11, 12)],  # active
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "roles": [
                {
                    "id": self.guild_id,
                    "name": "@everyone",
                    "permissions": EVERYONE_PERMISSIONS,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [c for c in self.channels.values() if c["type"] in (0, 15)],
            "members": [
                {
                    "user": self.bot_user,
                    "roles": [],
                    "joined_at": _NOW,
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
        }

    # --- users acting ---------------------------------------------------------------------
    def user(self, user_id: str, name: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": name,
            "discriminator": "0",
            "avatar": None,
            "global_name": name,
        }

    async def user_message(
        self, author: dict[str, Any], content: str, channel_id: str | None = None
    ) -> dict[str, Any]:
        message = self._message(channel_id or self.channel_id, author, content, None)
        message["member"] = {"roles": [], "joined_at": _NOW, "deaf": False, "mute": False}
        await self._dispatch("MESSAGE_CREATE", self._as_seen(message))
        return message

    def _as_seen(self, message: dict[str, Any]) -> dict[str, Any]:
        """What the bot receives: like Discord, no text without the Message Content intent
        unless the message mentions the bot."""
        intents = self.intents or 0
        mentioned = any(u["id"] == self.bot_user["id"] for u in message["mentions"])
        if intents & MESSAGE_CONTENT_INTENT or mentioned:
            return message
        return {**message, "content": "", "embeds": [], "attachments": [], "components": []}

    async def forum_post(
        self, author: dict[str, Any], forum_id: str, title: str, content: str
    ) -> dict[str, Any]:
        """A user opens a forum post: a thread (owned by the user) and its starter message."""
        thread_id = str(next(self._ids))
        thread = self._thread_payload(thread_id, forum_id, title, owner_id=author["id"])
        self.channels[thread_id] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        message = self._message(thread_id, author, content, None, message_id=thread_id)
        message["member"] = {"roles": [], "joined_at": _NOW, "deaf": False, "mute": False}
        await self._dispatch("MESSAGE_CREATE", self._as_seen(message))
        return message

    async def slash(
        self,
        author: dict[str, Any],
        name: str,
        *,
        channel_id: str | None = None,
        permissions: int = 0,
        **options: Any,
    ) -> str:
        """Dispatch an INTERACTION_CREATE for a chat-input command; returns its token.

        ``name`` may be a path ("newsdesk config allow"); an option given as
        ``("channel", id)`` is a channel option, with the channel in ``resolved``.
        """
        iid = str(next(self._ids))
        token = f"itoken{iid}"
        channel_id = channel_id or self.channel_id
        path = name.split()
        command = next((c for c in self.commands if c["name"] == path[0]), {"id": "1", "name": path[0]})
        resolved: dict[str, Any] = {}
        leaf: list[dict[str, Any]] = []
        for key, value in options.items():
            if isinstance(value, tuple) and value[0] == "channel":
                channel = self.channels[value[1]]
                resolved.setdefault("channels", {})[value[1]] = {
                    **channel,
                    "permissions": ALL_PERMISSIONS,
                }
                leaf.append({"name": key, "type": 7, "value": value[1]})
            elif isinstance(value, bool):
                leaf.append({"name": key, "type": 5, "value": value})
            elif isinstance(value, int):
                leaf.append({"name": key, "type": 4, "value": value})
            else:
                leaf.append({"name": key, "type": 3, "value": value})
        nested = leaf
        for depth, part in enumerate(reversed(path[1:])):
            kind = 1 if depth == 0 else 2
            nested = [{"name": part, "type": kind, "options": nested}]
        self.interactions[token] = {
            "id": iid,
            "original": None,
            "followups": [],
            "callback": None,
            "channel_id": channel_id,
        }
        await self._dispatch(
            "INTERACTION_CREATE",
            {
                "id": iid,
                "application_id": self.bot_user["id"],
                "type": 2,
                "token": token,
                "version": 1,
                "guild_id": self.guild_id,
                "channel_id": channel_id,
                "channel": self.channels[channel_id],
                "locale": "en-US",
                "guild_locale": "en-US",
                "app_permissions": ALL_PERMISSIONS,
                "entitlements": [],
                "context": 0,
                "authorizing_integration_owners": {"0": self.guild_id},
                "attachment_size_limit": 8 * 1024 * 1024,
                "member": {
                    "user": author,
                    "roles": [],
                    "joined_at": _NOW,
                    "deaf": False,
                    "mute": False,
                    "permissions": str(permissions),
                    "flags": 0,
                },
                "data": {
                    "id": command["id"],
                    "name": path[0],
                    "type": 1,
                    "options": nested,
                    **({"resolved": resolved} if resolved else {}),
                },
            },
        )
        return token

    async def click(self, author: dict[str, Any], message: dict[str, Any], custom_id: str) -> str:
        """A user clicks a button on ``message``; returns the interaction token."""
        iid = str(next(self._ids))
        token = f"itoken{iid}"
        self.interactions[token] = {
            "id": iid,
            "original": None,
            "followups": [],
            "callback": None,
            "channel_id": message["channel_id"],
        }
        await self._dispatch(
            "INTERACTION_CREATE",
            {
                "id": iid,
                "application_id": self.bot_user["id"],
                "type": 3,
                "token": token,
                "version": 1,
                "guild_id": self.guild_id,
                "channel_id": message["channel_id"],
                "channel": self.channels[message["channel_id"]],
                "message": message,
                "locale": "en-US",
                "guild_locale": "en-US",
                "app_permissions": ALL_PERMISSIONS,
                "entitlements": [],
                "context": 0,
                "authorizing_integration_owners": {"0": self.guild_id},
                "attachment_size_limit": 8 * 1024 * 1024,
                "member": {
                    "user": author,
                    "roles": [],
                    "joined_at": _NOW,
                    "deaf": False,
                    "mute": False,
                    "permissions": "0",
                    "flags": 0,
                },
                "data": {"custom_id": custom_id, "component_type": 2},
            },
        )
        return token

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The first stored message matching ``predicate`` (polls; bounded in time)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for message in list(self.messages.values()):
                if predicate(message):
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(f"no matching message within {timeout}s; requests: {self.requests[-15:]}")

    async def wait_until(self, predicate: Any, timeout: float = 20.0) -> Any:
        """Poll ``predicate()`` until it returns something truthy (bounded in time)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"condition not met within {timeout}s; requests: {self.requests[-15:]}")

    # --- REST -------------------------------------------------------------------------------
    async def _application(self, request: web.Request) -> web.Response:
        if not self.serve_application:
            return _json({"message": "404: Not Found", "code": 0}, status=404)
        return _json(
            {
                "id": self.bot_user["id"],
                "name": "newsdesk",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "k",
                "flags": 0,
                "owner": self.user("1", "owner"),
            }
        )

    async def _put_commands(self, request: web.Request) -> web.Response:
        if self.command_sync_status != 200:
            return _json({"message": "Internal Server Error", "code": 0}, self.command_sync_status)
        self.commands = [
            {
                **c,
                "id": str(next(self._ids)),
                "application_id": self.bot_user["id"],
                "version": "1",
                "default_member_permissions": c.get("default_member_permissions"),
            }
            for c in request[BODY]
        ]
        return _json(self.commands)

    def _message(
        self,
        channel_id: str,
        author: dict[str, Any],
        content: str,
        body: dict[str, Any] | None,
        *,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        body = body or {}
        parse = (body.get("allowed_mentions") or {"parse": ["users", "roles", "everyone"]}).get("parse", [])
        user_ids = re.findall(r"<@!?(\d+)>", content)
        message = {
            "id": message_id or str(next(self._ids)),
            "channel_id": channel_id,
            "guild_id": self.guild_id,
            "author": author,
            "content": content,
            "timestamp": _NOW,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "everyone" in parse and "@everyone" in content,
            "mentions": [
                self.bot_user if u == self.bot_user["id"] else self.user(u, f"user{u}") for u in user_ids
            ]
            if "users" in parse
            else [],
            "mention_roles": re.findall(r"<@&(\d+)>", content) if "roles" in parse else [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "components": body.get("components") or [],
            "flags": body.get("flags") or 0,
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if "message_reference" in body:
            message["message_reference"] = body["message_reference"]
        self.messages[message["id"]] = message
        return message

    def _bot_message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = self._message(channel_id, self.bot_user, body.get("content") or "", body)
        message["edits"] = []
        return message

    def _apply_edit(self, message: dict[str, Any], body: dict[str, Any]) -> None:
        message["edits"].append(body)
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                message[key] = body[key]
        parse = (body.get("allowed_mentions") or {"parse": ["everyone"]}).get("parse", [])
        message["mention_everyone"] = "everyone" in parse and "@everyone" in message["content"]
        message["edited_timestamp"] = _NOW

    async def _post_message(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        in_thread = self.channels.get(cid, {}).get("type") in (11, 12)
        denied = self.forbidden(cid, SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES)
        if denied is not None:
            return denied
        message = self._bot_message(cid, request[BODY])
        return _json(message)

    async def _patch_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["mid"])
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        self._apply_edit(message, request[BODY])
        return _json(message)

    async def _thread(self, request: web.Request) -> web.Response:
        parent = request.match_info["cid"]
        denied = self.forbidden(parent, CREATE_PUBLIC_THREADS)
        if denied is not None:
            return denied
        thread = self._thread_payload(
            request.match_info["mid"], parent, request[BODY]["name"], self.bot_user["id"]
        )
        self.channels[thread["id"]] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json(thread, status=201)

    def _thread_payload(self, thread_id: str, parent: str, name: str, owner_id: str) -> dict[str, Any]:
        return {
            "id": thread_id,
            "type": 11,
            "guild_id": self.guild_id,
            "parent_id": parent,
            "owner_id": owner_id,
            "name": name,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _NOW,
                "locked": False,
            },
        }

    async def _callback(self, request: web.Request) -> web.Response:
        state = self.interactions[request.match_info["token"]]
        body = request[BODY]
        state["callback"] = body
        message = None
        if body["type"] == 4:
            message = self._bot_message(state["channel_id"], body.get("data") or {})
            state["original"] = message["id"]
        elif body["type"] == 5:
            data = body.get("data") or {}
            message = self._bot_message(
                state["channel_id"], {"content": "", "flags": data.get("flags", 0) | 128}
            )
            state["original"] = message["id"]
        if request.query.get("with_response") in ("1", "true") and not self.terse_callbacks:
            return _json(
                {
                    "interaction": {
                        "id": state["id"],
                        "type": 2,
                        "response_message_id": state["original"],
                        "response_message_loading": body["type"] == 5,
                        "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
                    },
                    "resource": {"type": body["type"], "message": message} if message else None,
                }
            )
        return web.Response(status=204)

    async def _edit_original(self, request: web.Request) -> web.Response:
        state = self.interactions.get(request.match_info["token"])
        if state is None or state["original"] is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        message = self.messages[state["original"]]
        self._apply_edit(message, request[BODY])
        return _json(message)

    async def _followup(self, request: web.Request) -> web.Response:
        state = self.interactions.get(request.match_info["token"])
        if state is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
        message = self._bot_message(state["channel_id"], request[BODY])
        state["followups"].append(message["id"])
        return _json(message)
