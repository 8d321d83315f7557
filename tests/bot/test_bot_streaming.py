"""Streaming: the reply is edited as deltas arrive, at most once per edit interval."""

from __future__ import annotations

import pytest

from bot.render import CURSOR
from tests.bot.fakes import FakeService, StepClock
from tests.bot.helpers import assert_no_mentions_anywhere, world

FINAL = "Kataib Hezbollah denied involvement [1]. The PM survived [2]."


@pytest.fixture
def fake_service() -> FakeService:
    return FakeService(stream_deltas=True)


@pytest.fixture
def bot_clock() -> StepClock:
    # Each read of the clock is 0.4 s later: with 9 deltas and a 1 s interval,
    # progress edits happen at t=0.4 (first delta), 1.6 and 2.8 only.
    return StepClock(0.4)


def _original_edits(env) -> list[str]:  # noqa: ANN001
    return [
        e.json["content"]
        for e in env.http_requests
        if e.method == "PATCH" and e.path.endswith("/messages/@original")
    ]


async def test_ask_streams_rate_limited_edits_then_final_answer(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="Who denied involvement?")
    edits = _original_edits(simcord_env)
    progress, final = edits[:-1], edits[-1]
    assert progress == [
        "Kataib" + CURSOR,
        "Kataib Hezbollah denied involvement" + CURSOR,
        "Kataib Hezbollah denied involvement [1]. The PM" + CURSOR,
    ]
    assert final == FINAL
    assert result.response.content == FINAL and result.response.embeds[0].title == "Sources"
    assert_no_mentions_anywhere(simcord_env)


async def test_mention_streams_into_the_thread_placeholder(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"<@{simcord_env.bot.user.id}> who denied involvement?")
    thread = channel.threads[0]
    edits = [
        e.json.get("content")
        for e in simcord_env.http_requests
        if e.method == "PATCH" and f"/channels/{thread.id}/messages/" in e.path
    ]
    assert len(edits) == 4 and all(e.endswith(CURSOR) for e in edits[:3])
    assert edits[-1] == FINAL
    assert thread.last_message.content == FINAL
    assert_no_mentions_anywhere(simcord_env)
