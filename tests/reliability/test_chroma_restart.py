"""The Chroma server goes away mid-session and comes back on the same port.

A real `chroma run` (started and stopped by this test) holds the index. While it is down,
the service raises StoreUnavailable and the bot tells the user it is a temporary failure;
when the server is back, answers resume in the same process, without a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from answering.factory import build_answering
from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.feedback import FeedbackStore
from index.build import build_index
from index.reader import open_reader
from newsdesk.errors import StoreUnavailable
from newsdesk.settings import Settings
from tests.bot.helpers import assert_no_mentions_anywhere, world
from tests.conftest import _free_port, _wait_for_chroma

pytestmark = [pytest.mark.slow, pytest.mark.integration]
QUESTION = "Who denied involvement in the attack?"
RECOVERY: dict[str, float] = {}  # measured, printed for docs/reliability.md


class ChromaProcess:
    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        log = open(self.path.parent / "chroma.log", "ab")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        log.close()
        _wait_for_chroma(self.url, self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaProcess]:
    server = ChromaProcess(tmp_path / "chroma-db", _free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def service(chroma: ChromaProcess, corpus: Path, fake_emb, tmp_path: Path):  # noqa: ANN001, ANN201
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, chroma_url=chroma.url)
    build_index(settings, fake_emb)
    reader = open_reader(settings, fake_emb)
    svc = build_answering(settings, reader, fake_emb, answerer="extractive")
    svc.refresh_interval_s = 0.0  # exercise the pointer re-read on every question
    return svc


def _until_answered(call, limit: float = 60.0) -> float:  # noqa: ANN001
    started = time.monotonic()
    while True:
        try:
            call()
            return time.monotonic() - started
        except StoreUnavailable:
            assert time.monotonic() - started < limit, "no recovery"
            time.sleep(0.2)


def test_service_reports_store_unavailable_and_recovers(chroma: ChromaProcess, service) -> None:  # noqa: ANN001
    before = service.answer(QUESTION)
    assert before.citations
    chroma.stop()
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as err:
            service.answer(QUESTION)
        assert time.monotonic() - started < 30  # a bounded failure, not a hang
        assert chroma.url in err.value.message and "chroma run" in (err.value.hint or "")
    chroma.start()
    RECOVERY["service"] = _until_answered(lambda: service.answer(QUESTION))
    answer = service.answer(QUESTION)
    assert (answer.answer, answer.citations) == (before.answer, before.citations)
    print(f"recovered {RECOVERY['service']:.2f}s after the server was healthy again")


@pytest.fixture
def simcord_bot(service, tmp_path: Path) -> NewsdeskBot:  # noqa: ANN001
    deps = BotDeps(
        service=service,
        feedback=FeedbackStore.in_data_dir(tmp_path / "bot"),
        list_sources=lambda: [],
    )
    return NewsdeskBot(deps, BotConfig(cooldown_rate=100, cooldown_per_s=1.0))


async def test_bot_says_temporarily_unavailable_then_answers_again(
    simcord_env,  # noqa: ANN001
    chroma: ChromaProcess,
) -> None:
    import asyncio

    _, channel, alice = world(simcord_env)
    ok = await alice.slash(channel, "ask", question=QUESTION)
    assert "[1]" in ok.response.content
    expected = ok.response.content

    await asyncio.to_thread(chroma.stop)
    down = await alice.slash(channel, "ask", question=QUESTION)
    assert "temporarily unavailable" in down.response.content
    assert "Traceback" not in down.response.content and chroma.url not in down.response.content

    await asyncio.to_thread(chroma.start)
    started = time.monotonic()
    while True:
        again = await alice.slash(channel, "ask", question=QUESTION)
        if again.response.content == expected:
            break
        assert time.monotonic() - started < 60, again.response.content
        await asyncio.sleep(0.5)
    RECOVERY["bot"] = time.monotonic() - started
    print(f"bot answered again {RECOVERY['bot']:.2f}s after the server was healthy again")
    assert_no_mentions_anywhere(simcord_env)
