"""Indexing throughput: ``build_index`` end to end vs raw ``SentenceTransformer.encode``, same run.

The raw encode of the very chunks the build embeds is the physical limit on this machine; the
pipeline's chunks/s over it is the number that matters (target >= 90%). The machine is shared,
so raw encodes and forced builds alternate (raw, build, raw, ..., raw), each build is compared
with the raw encodes around it, and the median ratio is the verdict. A no-change rebuild must
cost <= 2% of a full build. Below target, one build is run under cProfile to show where time goes.
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import pstats
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from bench import machine
from bench.chunks import chunks_per_article
from bench.context import RunContext
from bench.corpus import (
    GENERATOR_VERSION,
    SIZES,
    articles_for_chunks,
    generate_articles,
    write_corpus,
)

log = logging.getLogger(__name__)

RATIO_TARGET = 0.90
NOOP_TARGET = 0.02
DEFAULT_ROUNDS = 3  # builds; each between two raw encodes
MIN_ROUNDS = 2
# Functions whose cumulative time explains a build (name fragments matched in pstats keys).
PROFILE_STAGES = {
    "load + clean corpus": "load_corpus",
    "chunking": "chunk_document",
    "embedding (embed_documents)": "embed_documents",
    "Chroma upsert": "upsert",
    "write documents": "_write_docs",
    "copy unchanged chunks": "_copy_chunks",
}


def write_sized_corpus(
    ctx: RunContext,
    out: Path,
    size: str | None,
    articles: int | None = None,
    target_chunks: int | None = None,
) -> tuple[int, list[Path]]:
    """Write the corpus for ``size`` (or ``target_chunks``) chunks, or exactly ``articles``.

    Reused when the folder already holds the same articles from the same seed.
    """
    settings = ctx.settings("sizing")
    if articles is None:
        target = target_chunks if target_chunks is not None else SIZES[size or "1k"]
        sample = list(generate_articles(100, ctx.seed))
        articles = articles_for_chunks(target, chunks_per_article(sample, settings))
    marker = out / "bench-corpus.json"
    want = {"seed": ctx.seed, "articles": articles, "version": GENERATOR_VERSION}
    if marker.exists() and json.loads(marker.read_text()) == want:
        return articles, sorted(out.glob("part-*.jsonl"))
    files = write_corpus(out, articles, ctx.seed)
    marker.write_text(json.dumps(want))
    return articles, files


def _exact_chunks(settings: Any, corpus: Path) -> list[str]:
    """The texts build_index will embed: loaded and chunked by the index's own code."""
    from index.chunking import chunk_document
    from index.loaders import load_corpus

    docs = load_corpus(corpus).documents
    return [c.text for d in docs for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)]


def sentence_transformer(embeddings: Any) -> Any:
    """The SentenceTransformer behind the build's embedder (the very object the build calls)."""
    model = getattr(embeddings, "sentence_transformer", None)
    if model is None or not callable(getattr(model, "encode", None)):
        raise RuntimeError(
            f"{type(embeddings).__name__} exposes no SentenceTransformer as `sentence_transformer`: "
            "the raw-encode baseline needs the model the build uses"
        )
    return model


def _encode_rate(model: Any, texts: list[str], batch: int) -> float:
    """chunks/s of one ``SentenceTransformer.encode`` call over ``texts`` (the physical limit)."""
    t0 = time.perf_counter()
    model.encode(texts, batch_size=batch, normalize_embeddings=True, show_progress_bar=False)
    return len(texts) / (time.perf_counter() - t0)


def round_ratios(raw_rates: list[float], build_rates: list[float]) -> list[float]:
    """Each build's chunks/s over the mean of the raw encodes timed just before and after it.

    The runs alternate raw, build, raw, build, ..., raw (``len(raw_rates) == len(build_rates) + 1``),
    so each build is compared with the machine's speed at that moment, not minutes earlier.
    """
    if len(raw_rates) != len(build_rates) + 1:
        raise ValueError("need one more raw encode than builds (raw, build, raw, ..., raw)")
    return [b / statistics.mean(raw_rates[k : k + 2]) for k, b in enumerate(build_rates)]


@dataclass
class BuildRound:
    """One forced full build into a fresh store, timed by the wall clock around build_index."""

    seconds: float
    chunks: int
    embed_seconds: float
    load_1min: float

    @property
    def rate(self) -> float:
        return self.chunks / self.seconds

    @property
    def embed_share(self) -> float:
        return self.embed_seconds / self.seconds


def _timed_build(settings: Any, embeddings: Any, corpus: Path) -> BuildRound:
    """A forced full build into ``settings.data_dir``, which must be new to this process
    (Chroma caches one client per path, so a deleted and reused folder would break it)."""
    from index.build import build_index
    from index.embeddings import embedder_name

    shutil.rmtree(settings.data_dir, ignore_errors=True)
    timed = TimedEmbeddings(embeddings, name=embedder_name(settings, embeddings))
    t0 = time.perf_counter()
    summary = build_index(settings, timed, corpus_dir=corpus, force=True)
    seconds = time.perf_counter() - t0
    return BuildRound(seconds, summary.chunks_embedded, timed.seconds, _load_1min())


def _load_1min() -> float:
    load = machine.load_avg()
    return load[0] if load else float("nan")


def _profile_build(settings: Any, embeddings: Any, corpus: Path) -> tuple[list[list[Any]], str]:
    from index.build import build_index

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    build_index(settings, embeddings, corpus_dir=corpus, force=True)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    rows: list[list[Any]] = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for label, fragment in PROFILE_STAGES.items():
        cum = 0.0
        for (_file, _line, func), (_cc, _nc, _tt, ct, callers) in raw.items():
            # Count only outermost calls: skip frames whose callers include the same function.
            if func == fragment and not any(c[2] == fragment for c in callers):
                cum += ct
        rows.append([label, cum, 100.0 * cum / wall if wall else 0.0])
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
    return rows, buf.getvalue()


class TimedEmbeddings(Embeddings):
    """Wraps the build's embedder and adds up the time spent in ``embed_documents``.

    The share of a build spent embedding is measured inside one build, so it does not drift with
    the machine's load the way two separately timed runs do. The stamp name (``name``, else the
    inner ``stamp_model``) and the model (``sentence_transformer``, read for the dimension) are passed
    through, so the index records the real embedder and later no-change builds match it.
    """

    def __init__(self, inner: Any, name: str | None = None) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.stamp_model = name or getattr(inner, "stamp_model", None)
        self.sentence_transformer = getattr(inner, "sentence_transformer", None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        t0 = time.perf_counter()
        try:
            return list(self.inner.embed_documents(texts))
        finally:
            self.seconds += time.perf_counter() - t0

    def embed_query(self, text: str) -> list[float]:
        return list(self.inner.embed_query(text))


def run(
    ctx: RunContext,
    sizes: list[str],
    profile: bool = False,
    rounds: int = DEFAULT_ROUNDS,
    embeddings: Any = None,
    target_chunks: int | None = None,
) -> dict[str, Any]:
    """Interleave raw encodes and forced builds (raw, build, raw, ..., raw) per size.

    ``embeddings`` (default: the configured model) and ``target_chunks`` (default: the size's
    chunk count) exist for tests, which run the same steps with a fake model on a few chunks.
    """
    from index.build import build_index
    from index.embeddings import load_embeddings

    if rounds < MIN_ROUNDS:
        raise ValueError(f"at least {MIN_ROUNDS} builds are needed for a median of ratios")
    sec = ctx.section("indexing", "Indexing throughput and no-change rebuild")
    for size in sizes:
        corpus = ctx.work_dir / f"corpus-{size}"
        n_articles, _ = write_sized_corpus(ctx, corpus, size, target_chunks=target_chunks)
        round_settings = [ctx.settings(f"index-{size}-r{k}", corpus) for k in range(rounds)]
        settings = round_settings[0]
        if embeddings is None:
            embeddings = load_embeddings(settings)
        model = sentence_transformer(embeddings)
        batch = settings.embedding_batch_size
        texts = _exact_chunks(settings, corpus)
        model.encode(texts[:batch], batch_size=batch, show_progress_bar=False)  # warm-up

        raws = [_encode_rate(model, texts, batch)]
        raw_loads = [_load_1min()]
        builds: list[BuildRound] = []
        for k in range(rounds):
            builds.append(_timed_build(round_settings[k], embeddings, corpus))
            raws.append(_encode_rate(model, texts, batch))
            raw_loads.append(_load_1min())
            log.info(
                "%s round %d: raw %.1f, build %.1f, raw %.1f chunks/s (load %.2f)",
                size,
                k + 1,
                raws[k],
                builds[k].rate,
                raws[k + 1],
                builds[k].load_1min,
            )
        if any(b.chunks != len(texts) for b in builds):
            raise RuntimeError(
                f"the build embedded {builds[0].chunks} chunks, the raw encode {len(texts)}: "
                "they must be the same chunks"
            )
        ratios = round_ratios(raws, [b.rate for b in builds])
        ratio = statistics.median(ratios)
        shares = [b.embed_share for b in builds]
        build_s = statistics.median(b.seconds for b in builds)
        last = round_settings[-1]
        noops = []
        for _ in range(3):
            t0 = time.perf_counter()
            summary = build_index(last, embeddings, corpus_dir=corpus)
            noops.append(time.perf_counter() - t0)
            if summary.changed or summary.chunks_embedded:
                raise RuntimeError("a rebuild of an unchanged corpus changed the index")
        noop_fraction = statistics.median(noops) / build_s
        log.info("%s: ratios %s, median %.1f%%", size, [f"{r:.1%}" for r in ratios], 100 * ratio)
        sec.data[size] = {
            "articles": n_articles,
            "chunks": len(texts),
            "batch": batch,
            "raw_chunks_per_s": raws,
            "raw_load_1min": raw_loads,
            "builds": [
                {
                    "seconds": b.seconds,
                    "chunks_per_s": b.rate,
                    "embed_share": b.embed_share,
                    "load_1min": b.load_1min,
                }
                for b in builds
            ],
            "ratios": ratios,
            "ratio": ratio,
            "build_s": build_s,
            "noop_s": noops,
            "noop_fraction": noop_fraction,
            "embed_share_of_build": statistics.median(shares),
        }
        sec.metric(
            f"{size}: pipeline / raw encode (median of {rounds} interleaved rounds)",
            f"{ratio:.1%}",
            f">= {RATIO_TARGET:.0%}",
            ratio >= RATIO_TARGET,
        )
        sec.metric(
            f"{size}: share of the build spent inside embed_documents (median, load-robust)",
            f"{statistics.median(shares):.1%}",
            f">= {RATIO_TARGET:.0%}",
            statistics.median(shares) >= RATIO_TARGET,
        )
        sec.metric(
            f"{size}: no-change rebuild / full build",
            f"{noop_fraction:.2%}",
            f"<= {NOOP_TARGET:.0%}",
            noop_fraction <= NOOP_TARGET,
        )
        sec.table(
            f"{size}: interleaved rounds ({n_articles} synthetic articles, {len(texts)} chunks, "
            f"batch {batch}; chunks/s)",
            [
                "round",
                "raw before",
                "build (forced, fresh store)",
                "raw after",
                "build / mean(raw)",
                "in embed_documents",
                "build s",
                "load 1-min",
            ],
            [
                [
                    k + 1,
                    raws[k],
                    b.rate,
                    raws[k + 1],
                    f"{ratios[k]:.1%}",
                    f"{b.embed_share:.1%}",
                    b.seconds,
                    f"{b.load_1min:.2f}",
                ]
                for k, b in enumerate(builds)
            ],
        )
        sec.table(
            f"{size}: no-change rebuild",
            ["measure", "value"],
            [
                ["full build, median of the rounds", f"{build_s:.1f} s"],
                ["no-change rebuild (3 runs)", ", ".join(f"{s:.2f} s" for s in noops)],
            ],
        )
        if profile or ratio < RATIO_TARGET or noop_fraction > NOOP_TARGET:
            profiled = ctx.settings(f"index-{size}-profile", corpus)
            shutil.rmtree(profiled.data_dir, ignore_errors=True)
            rows, top = _profile_build(profiled, embeddings, corpus)
            sec.table(
                f"{size}: where a forced build spends its time (cProfile, inflates Python overhead)",
                ["stage", "cumulative s", "% of build"],
                rows,
            )
            sec.notes.append(
                f"Top functions by own time ({size}, cProfile):\n\n```\n" + _trim_pstats(top) + "\n```"
            )
    sec.notes.append(
        "Raw encode = one `SentenceTransformer.encode` call (the same model object the build "
        "uses) over exactly the chunks the build embeds. Raw encodes and forced full builds "
        "(each into a fresh store) alternate in one process: raw, build, raw, build, ..., raw; "
        "each build's chunks/s is divided by the mean of the raw encodes just before and after "
        "it, and the verdict is the median of those ratios, so a load change on the shared "
        "machine moves both sides of a ratio. The build also measures the share of its own wall "
        "time spent inside `embed_documents` (the rest is loading, chunking, Chroma writes not "
        "hidden behind the model): the pipeline's efficiency independent of load. The corpus is "
        "synthetic (`bench/corpus.py`, seeded), written as .jsonl and read by the index's own "
        "loader."
    )
    ctx.save(sec)
    return sec.data


def _trim_pstats(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
    return "\n".join(ln[:150] for ln in lines[start : start + 13])
