"""Pure rendering: typed answers, documents and summaries -> Discord message parts.

No I/O and no client here, so every limit (2,000 characters a message, the embed limits)
is unit-tested directly. Handlers only send what these functions return.

Article text is untrusted and is quoted, not formatted: excerpts, titles and answer text
are markdown-escaped (a planted ``[click here](https://...)`` shows as those characters,
not as a masked link; ``||``, ``__``, ``*`` do not reformat a quote). Answers keep their
``[n]`` citation markers as plain brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord

from answering.models import Answer, Citation
from bot.feedback import UsageStats
from bot.split import MESSAGE_LIMIT, split_text, truncate

# Every message the bot sends pings nobody (also set on the client as the default).
NO_MENTIONS = discord.AllowedMentions.none()

# Discord's documented limits.
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
MAX_FIELDS = 25
FOOTER_TEXT = 2048
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10

# Leave head-room under the total so small formatting never tips an embed over.
_EMBED_BUDGET = EMBED_TOTAL - 200
_URL = re.compile(r"(?<![<(])\bhttps?://[^\s<>]+")
_TRAILING_PUNCT = ".,;:!?)]}'\""
_MARKER = re.compile(r"\[\d+\]")
# Markdown that works anywhere (discord.utils.escape_markdown escapes a masked link with
# one backslash before the whole span, leaving the text inside it formatted), and the
# block markers that work at a line start (quote, heading, list).
_MD_CHAR = re.compile(r"([\\*_~|`\[\]])")
_LINE_START = re.compile(r"^([ \t]*)([>#-])", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d+)\.", re.MULTILINE)
_URL_SPLIT = re.compile(r"(https?://[^\s<>()\[\]]+)")
CURSOR = " ▌"


class DocumentLike(Protocol):
    """What `/sources` needs of an indexed document (index.models.Document fits)."""

    @property
    def doc_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def published(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    """Message contents in order; the embed goes on the last one (with the buttons)."""

    contents: tuple[str, ...]
    embed: discord.Embed | None


def hide_link_previews(text: str) -> str:
    """Wrap bare links in <...> so Discord shows no preview for them."""

    def wrap(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING_PUNCT:
            tail = url[-1] + tail
            url = url[:-1]
        return f"<{url}>{tail}" if url else match.group(0)

    return _URL.sub(wrap, text)


def quote(text: str) -> str:
    """Untrusted text (an excerpt, a title) shown exactly as written, not as markdown."""
    pieces = _URL_SPLIT.split(text)
    for i in range(0, len(pieces), 2):  # even pieces are text, odd ones URLs (kept as they are)
        escaped = _MD_CHAR.sub(r"\\\1", pieces[i])
        escaped = _LINE_START.sub(r"\1\\\2", escaped)
        pieces[i] = _NUMBERED.sub(r"\1\\.", escaped)
    return "".join(pieces)


def quote_answer(text: str) -> str:
    """An answer's text quoted like an excerpt, its ``[n]`` markers left as they are.

    A marker directly followed by ``(`` would form a masked link with it: that ``(`` is
    escaped too.
    """
    pieces = _MARKER.split(text)
    markers = _MARKER.findall(text)
    out = [quote(pieces[0])]
    for marker, piece in zip(markers, pieces[1:], strict=True):
        quoted = quote(piece)
        if quoted.startswith("("):
            quoted = "\\" + quoted
        out.append(marker + quoted)
    return "".join(out)


def _is_http_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("http://", "https://"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def answer_text(answer: Answer) -> str:
    """The answer as users read it: text with [n] markers, links not previewed."""
    text = answer.answer.strip()
    if not text:
        return "I could not find an answer in the articles."
    return hide_link_previews(quote_answer(text))


def _citation_suffix(citation: Citation) -> str:
    meta = citation.byline(lead=" · ")
    suffix = f"\n`{citation.doc_id}`{meta}"
    if _is_http_url(citation.url):
        suffix += f" · [article]({citation.url})"
    return suffix


def citations_embed(citations: Sequence[Citation]) -> discord.Embed | None:
    """One embed listing every citation: title, excerpt (shortened to fit), doc id, link.

    The 6,000-character total is shared out evenly, so 25 long citations still fit.
    """
    if not citations:
        return None
    shown = list(citations[:MAX_FIELDS])
    embed = discord.Embed(title="Sources", colour=discord.Colour.blurple())
    hidden = len(citations) - len(shown)
    if hidden:
        embed.description = f"{hidden} more not shown: press **Sources** for all excerpts."
    per_field = (_EMBED_BUDGET - len(embed.title or "") - len(embed.description or "")) // len(shown)
    per_field = min(per_field, FIELD_NAME + FIELD_VALUE)
    for c in shown:
        name = truncate(f"[{c.n}] {quote(_one_line(c.title or c.doc_id))}", min(FIELD_NAME, per_field // 3))
        suffix = _citation_suffix(c)
        if len(suffix) > per_field // 3:
            suffix = truncate(f"\n`{c.doc_id}`{c.byline(lead=' · ')}", per_field // 3)
        room = min(FIELD_VALUE, per_field - len(name)) - len(suffix) - 2
        excerpt = truncate(quote(_one_line(c.excerpt)), max(room, 20))
        embed.add_field(name=name, value=f"> {excerpt}{suffix}"[:FIELD_VALUE], inline=False)
    while len(embed) > EMBED_TOTAL and len(embed.fields) > 1:  # safety net, not expected
        embed.remove_field(-1)
    return embed


def render_answer(answer: Answer, limit: int = MESSAGE_LIMIT) -> RenderedAnswer:
    """Split the answer text over messages; citations as an embed (none for a refusal)."""
    contents = tuple(split_text(answer_text(answer), limit)) or ("…",)
    embed = None if answer.refused else citations_embed(answer.citations)
    return RenderedAnswer(contents=contents, embed=embed)


def partial_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A streamed answer so far, with a cursor, cut to fit one message."""
    shown = hide_link_previews(quote_answer(text.strip()))
    return truncate(shown, limit - len(CURSOR)) + CURSOR


def excerpt_embeds(citations: Sequence[Citation]) -> list[list[discord.Embed]]:
    """Full excerpts (the Sources button): one embed each, grouped into messages.

    Each group has at most 10 embeds and 6,000 characters in total, as Discord requires.
    """
    groups: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for c in citations:
        embed = discord.Embed(
            title=truncate(f"[{c.n}] {quote(_one_line(c.title or c.doc_id))}", EMBED_TITLE),
            description=truncate(quote(c.excerpt.strip()) or "(empty excerpt)", EMBED_DESCRIPTION),
            url=c.url if _is_http_url(c.url) else None,
            colour=discord.Colour.blurple(),
        )
        footer = f"{c.doc_id}{c.byline(lead=' · ')} · characters {c.start}–{c.end}"
        embed.set_footer(text=truncate(footer, FOOTER_TEXT))
        length = len(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL):
            groups.append(current)
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        groups.append(current)
    return groups


def _document_line(doc: DocumentLike) -> str:
    details = [d for d in (doc.source, doc.published) if d]
    line = f"• **{quote(_one_line(doc.title or doc.doc_id))}**"
    if details:
        line += f" ({', '.join(details)})"
    line += f" `{doc.doc_id}`"
    if _is_http_url(doc.url):
        line += f" <{doc.url}>"
    return truncate(line, 400)


def sources_pages(documents: Iterable[DocumentLike], limit: int = MESSAGE_LIMIT) -> list[str]:
    """The indexed articles as messages of at most ``limit`` characters, one line each."""
    docs = sorted(documents, key=lambda d: ((d.title or "").lower(), d.doc_id))
    if not docs:
        return ["The index holds no articles yet. An admin can run `/reindex`."]
    noun = "article" if len(docs) == 1 else "articles"
    text = f"**{len(docs)} indexed {noun}**\n" + "\n".join(_document_line(d) for d in docs)
    return split_text(text, limit)


def stats_report(stats: UsageStats) -> str:
    """`/newsdesk stats` in one message."""
    if not stats.questions:
        return f"No questions answered in this server in the last {stats.days} day(s)."
    votes = stats.up + stats.down
    ratio = f"{stats.up / votes:.0%} 👍" if votes else "no votes yet"
    lines = [
        f"**Last {stats.days} day(s): {stats.questions} question(s)**",
        f"Refused (no answer in the articles): {stats.refused} ({stats.refusal_rate:.0%})",
        f"Votes: {stats.up} 👍 / {stats.down} 👎 ({ratio})",
        "Questions per day: " + ", ".join(f"{day} {n}" for day, n in stats.per_day),
    ]
    if stats.top_unanswered:
        lines.append("Most asked without an answer:")
        lines += [f"• {quote(truncate(_one_line(q), 150))} ({n}×)" for q, n in stats.top_unanswered]
    return truncate("\n".join(lines), MESSAGE_LIMIT)


def reindex_report(summary: Mapping[str, Any], limit: int = MESSAGE_LIMIT) -> str:
    """A rebuild summary (BuildSummary.to_dict()) in one short message."""

    def number(key: str) -> Any:
        return summary.get(key, 0)

    seconds = summary.get("seconds")
    took = f" in {float(seconds):.1f} s" if isinstance(seconds, int | float) else ""
    text = (
        f"Index rebuilt{took}: {number('added')} added, {number('updated')} updated, "
        f"{number('removed')} removed, {number('unchanged')} unchanged; "
        f"{number('chunks_embedded')} chunks embedded."
    )
    warnings = [str(w) for w in summary.get("warnings") or []]
    if warnings:
        text += f"\n{len(warnings)} warning(s):\n" + "\n".join(
            f"• {truncate(_one_line(w), 200)}" for w in warnings[:10]
        )
    return truncate(text, limit)
