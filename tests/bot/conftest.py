"""Bot fixtures: the real NewsdeskBot with fakes of its injected parts, driven by simcord."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord
import pytest

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.feedback import FeedbackStore
from tests.bot.fakes import FakeDocument, FakeReindex, FakeService
from tests.bot.twin import Twin


@pytest.fixture
def fake_service() -> FakeService:
    return FakeService()


@pytest.fixture
def feedback_store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_data_dir(tmp_path / "data")


@pytest.fixture
def fake_reindex() -> FakeReindex:
    return FakeReindex()


@pytest.fixture
def documents() -> list[FakeDocument]:
    return [
        FakeDocument("doc-a", "Drone attack on PM", "https://news.example/drone", "2021-11-07", "Wire"),
        FakeDocument("doc-b", "Kadhimi unharmed", None, None, "Daily"),
    ]


@pytest.fixture
def bot_config() -> BotConfig:
    return BotConfig(
        cooldown_rate=50,
        cooldown_per_s=60.0,
        history_turns=4,
        memory_channels=10,
        message_content=True,
    )


@pytest.fixture
def bot_clock():  # noqa: ANN201 - None or a callable clock
    return None


@pytest.fixture
def bot_deps(fake_service, feedback_store, fake_reindex, documents, bot_clock) -> BotDeps:  # noqa: ANN001
    return BotDeps(
        service=fake_service,
        feedback=feedback_store,
        list_sources=lambda: documents,
        reindex=fake_reindex,
        describe_index=lambda: "collection newsdesk (generation test)",
        clock=bot_clock,
    )


@pytest.fixture
def simcord_bot(bot_deps: BotDeps, bot_config: BotConfig) -> NewsdeskBot:
    return NewsdeskBot(bot_deps, bot_config)


@pytest.fixture
def restore_endpoints() -> Iterator[None]:
    """configure_endpoints sets discord.py class attributes: put them back after a wire test."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def wire_twin(restore_endpoints: None) -> AsyncIterator[Twin]:
    server = Twin()
    await server.start()
    yield server
    await server.stop()
