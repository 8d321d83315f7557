"""Quotes look like the article: markdown in excerpts, titles and answers is shown literally."""

from __future__ import annotations

from answering.models import Answer, Citation
from bot.client import BotDeps
from bot.render import citations_embed, excerpt_embeds, quote, render_answer
from tests.bot.fakes import PLANTED
from tests.bot.helpers import formatting_in, shown_as
from tests.bot.twin import Twin
from tests.bot.wire import start_bot, stop_bot


def test_quote_escapes_every_kind_of_formatting_and_reads_the_same() -> None:
    assert formatting_in(PLANTED)  # the planted text would be formatted as it is
    quoted = quote(PLANTED)
    assert formatting_in(quoted) == []
    assert shown_as(quoted) == PLANTED
    assert quote("https://example.org/a_b_c") == "https://example.org/a_b_c"  # links kept


def test_rendered_answer_keeps_markers_and_escapes_the_rest() -> None:
    citation = Citation(n=1, doc_id="d", title="**Breaking**", excerpt=PLANTED, start=0, end=len(PLANTED))
    answer = Answer(question="q", answer=f"{PLANTED} [1]", refused=False, citations=(citation,))
    rendered = render_answer(answer)
    content = rendered.contents[0]
    assert content.endswith(" [1]")
    assert formatting_in(content) == []
    assert shown_as(content) == f"{PLANTED} [1]"
    embed = citations_embed([citation])
    assert embed is not None
    field = embed.fields[0]
    assert field.name == "[1] \\*\\*Breaking\\*\\*"
    assert formatting_in(field.value or "") == []
    full = excerpt_embeds([citation])[0][0]
    assert formatting_in(full.description or "") == [] and shown_as(full.description or "") == PLANTED


async def test_a_planted_markdown_link_is_shown_literally_over_the_wire(
    wire_twin: Twin, bot_deps: BotDeps
) -> None:
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        alice = wire_twin.user("501", "alice")
        token = await wire_twin.slash(alice, "ask", question="what about the phish article?")
        state = wire_twin.interactions[token]
        answer = await wire_twin.wait_for(lambda m: m["id"] == state["original"] and m["embeds"])
        assert formatting_in(answer["content"]) == []
        assert "[click here](https://example.invalid/phish)" in shown_as(answer["content"])
        field = answer["embeds"][0]["fields"][0]
        quoted, ours = field["value"].split("\n", 1)  # the excerpt; our own doc id and link
        assert formatting_in(field["name"]) == [] and formatting_in(quoted) == []
        assert shown_as(quoted) == "> " + PLANTED
        assert ours.startswith("`doc-a`")
        assert shown_as(field["name"]) == "[1] **Breaking** [news](https://example.invalid/t)"
    finally:
        await stop_bot(bot, task)
