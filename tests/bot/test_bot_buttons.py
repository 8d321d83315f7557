"""Sources and feedback buttons: persistent across restarts, votes stored durably."""

from __future__ import annotations

import json
import sqlite3

from bot.client import BotDeps, NewsdeskBot
from bot.feedback import FeedbackStore, export_jsonl
from tests.bot.fakes import DOC_TEXT
from tests.bot.helpers import assert_no_mentions_anywhere, world


async def _ask(env, channel, member, question="Who denied involvement?"):  # noqa: ANN001, ANN202
    """The message carrying the buttons (the last one of a split answer)."""
    result = await member.slash(channel, "ask", question=question)
    return [result.response, *result.followups][-1].message


async def test_sources_button_shows_full_excerpts_privately(simcord_env) -> None:  # noqa: ANN001
    guild, channel, alice = world(simcord_env)
    answer = await _ask(simcord_env, channel, alice)
    bob = guild.add_member(simcord_env.create_user("bob"))
    result = await bob.click(answer, custom_id="newsdesk:sources")
    assert result.ephemeral
    embeds = result.response.embeds
    assert [e.title for e in embeds] == ["[1] Drone attack on PM", "[2] Kadhimi unharmed"]
    excerpt = "Kataib Hezbollah denied involvement in the attack on the residence."
    assert embeds[0].description == excerpt and excerpt in DOC_TEXT
    assert embeds[0].url == "https://news.example/drone" and embeds[1].url is None
    assert embeds[0].footer.text.startswith("doc-a · characters ")
    assert_no_mentions_anywhere(simcord_env)


async def test_votes_are_stored_and_a_repeat_click_changes_only_own_vote(
    simcord_env,
    feedback_store,  # noqa: ANN001
) -> None:
    guild, channel, alice = world(simcord_env)
    bob = guild.add_member(simcord_env.create_user("bob"))
    answer = await _ask(simcord_env, channel, alice)

    first = await alice.click(answer, custom_id="newsdesk:vote:up")
    assert first.ephemeral and "1 👍 / 0 👎" in first.response.content
    await bob.click(answer, custom_id="newsdesk:vote:up")
    changed = await alice.click(answer, custom_id="newsdesk:vote:down")
    assert "1 👍 / 1 👎" in changed.response.content

    with sqlite3.connect(feedback_store.path) as conn:
        votes = dict(conn.execute("SELECT user_id, vote FROM votes").fetchall())
    assert votes == {alice.id: -1, bob.id: 1}

    stored = feedback_store.answer_for(answer.id)
    assert stored is not None
    assert stored.question == "Who denied involvement?"
    assert "[1]" in stored.answer and stored.asked_by == alice.id
    assert [c["doc_id"] for c in stored.citations] == ["doc-a", "doc-b"]
    rows = feedback_store.rows()
    assert {r["user_id"] for r in rows} == {alice.id, bob.id}
    assert all(r["voted_at"] > 0 and r["question"] == "Who denied involvement?" for r in rows)


async def test_export_feedback_as_eval_jsonl(simcord_env, feedback_store, tmp_path) -> None:  # noqa: ANN001
    guild, channel, alice = world(simcord_env)
    good = await _ask(simcord_env, channel, alice)
    bad = await _ask(simcord_env, channel, alice, "tell me the long story")
    await alice.click(good, custom_id="newsdesk:vote:up")
    await alice.click(bad, custom_id="newsdesk:vote:down")
    out = tmp_path / "feedback.jsonl"
    assert export_jsonl(feedback_store, out) == 2
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    by_label = {line["label"]: line for line in lines}
    assert by_label["good"]["question"] == "Who denied involvement?"
    assert by_label["good"]["citations"][0]["excerpt"].startswith("Kataib Hezbollah")
    assert by_label["bad"]["down"] == 1 and by_label["bad"]["up"] == 0


async def test_buttons_work_after_a_restart(
    simcord_env, bot_deps, bot_config, feedback_store
) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    answer = await _ask(simcord_env, channel, alice)
    # A new process: new bot object, new store object on the same SQLite file.
    deps = BotDeps(
        service=bot_deps.service,
        feedback=FeedbackStore(feedback_store.path),
        list_sources=bot_deps.list_sources,
    )
    await simcord_env.restart_bot(NewsdeskBot(deps, bot_config))
    result = await alice.click(answer, custom_id="newsdesk:vote:up")
    assert "1 👍 / 0 👎" in result.response.content
    sources = await alice.click(answer, custom_id="newsdesk:sources")
    assert sources.response.embeds[0].title == "[1] Drone attack on PM"


async def test_click_on_unknown_answer_is_a_polite_ephemeral_error(
    simcord_env, feedback_store
) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    answer = await _ask(simcord_env, channel, alice)
    with sqlite3.connect(feedback_store.path) as conn:
        conn.execute("DELETE FROM answers")
    result = await alice.click(answer, custom_id="newsdesk:vote:up")
    assert result.ephemeral and "can't find this answer" in result.response.content
    simcord_errors = simcord_env.errors  # acknowledge the captured UserFacingError
    assert any("can't find" in str(e) for e in simcord_errors)
