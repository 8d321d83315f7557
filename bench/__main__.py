"""`python -m bench`: run newsdesk's benchmarks and write bench/results.md.

Every benchmark writes its own section of bench/results.json and re-renders bench/results.md, so a
single benchmark can be re-run without losing the others.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.context import REPO, RunContext, command_line, offline_env
from bench.corpus import DEFAULT_SEED, SIZES

log = logging.getLogger("bench")

EPILOG = """\
examples:
  .venv/bin/python -m bench                        # default suite, ~10 min (what `make bench` runs)
  .venv/bin/python -m bench corpus --size 10k --out /tmp/corpus-10k
  .venv/bin/python -m bench indexing --size 1k --size 10k
  .venv/bin/python -m bench indexing --size 1k --rounds 2  # raw, build, raw, build, raw
  .venv/bin/python -m bench latency --repeats 2
  .venv/bin/python -m bench memory
  .venv/bin/python -m bench coldstart --runs 5 --baseline /tmp/newsdesk-old   # A/B vs another tree
  .venv/bin/python -m bench scale --chunks 100000 --pool 1500   # 100k-chunk store, ~15-25 min
  .venv/bin/python -m bench scale --chunks 100000 --pool 1500 --latency-only  # 100k p50/p95 only
  .venv/bin/python -m bench serving --chunks 100000 --pool 1500  # RSS 100k vs shipped, server + embedded
  .venv/bin/python -m bench report                 # re-render results.md from results.json

Sizes: 1k, 10k, 100k chunks (with the default 500/100 chunking). Work files (generated corpora,
indexes) go to --work-dir, default bench/.work (git-ignored)."""

SUITE = ("indexing", "latency", "memory", "coldstart")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    p.add_argument("--work-dir", type=Path, default=REPO / "bench" / ".work")
    p.add_argument(
        "--results",
        type=Path,
        default=REPO / "bench" / "results.md",
        help="markdown to write (raw JSON goes next to it)",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus generator seed")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="cmd")

    s = sub.add_parser("all", help="the default suite: " + ", ".join(SUITE))
    s.add_argument("--skip", action="append", default=[], choices=SUITE)

    s = sub.add_parser("corpus", help="write a synthetic corpus folder (.jsonl)")
    s.add_argument("--size", choices=sorted(SIZES), default="1k")
    s.add_argument("--articles", type=int, help="exact article count (overrides --size)")
    s.add_argument("--out", type=Path, required=True)

    s = sub.add_parser("indexing", help="build_index throughput vs raw encode; no-change rebuild")
    s.add_argument("--size", action="append", choices=sorted(SIZES), help="repeatable; default 1k")
    s.add_argument(
        "--profile",
        action="store_true",
        help="always cProfile one build (done anyway when below target)",
    )
    s.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="forced builds, each between two raw encodes; the verdict is the median ratio "
        "(default 3, at least 2)",
    )

    s = sub.add_parser("latency", help="per-stage answer latency on the shipped corpus (warm)")
    s.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="passes over the question set; the first is measured, later ones are cache hits",
    )

    sub.add_parser("memory", help="peak RSS of a process serving the shipped corpus")

    s = sub.add_parser("coldstart", help="process start to first answer; import-time breakdown")
    s.add_argument("--runs", type=int, default=3, help="rounds; medians are reported")
    s.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="source tree of another commit (git archive REV | tar -x -C DIR) run A/B with this one",
    )

    s = sub.add_parser("scale", help="100k-chunk store: latency, HNSW recall, memory")
    s.add_argument("--chunks", type=int, default=SIZES["100k"])
    s.add_argument("--pool", type=int, default=3000, help="distinct chunks really embedded")
    s.add_argument("--repeats", type=int, default=2)
    s.add_argument("--rebuild", action="store_true", help="rebuild the store even if present")
    s.add_argument(
        "--latency-only",
        action="store_true",
        help="only the served default's latency (total and select p50/p95): no 2-thread "
        "comparison, no HNSW recall",
    )

    s = sub.add_parser(
        "serving",
        help="issue 16: serving process RSS at --chunks vs the shipped corpus, with a real "
        "`chroma run` server and with the embedded store; the Chroma server's RSS",
    )
    s.add_argument("--chunks", type=int, default=SIZES["100k"])
    s.add_argument("--pool", type=int, default=1500, help="distinct chunks really embedded")
    s.add_argument("--mode", action="append", choices=["server", "embedded"], help="repeatable; default both")
    s.add_argument("--rounds", type=int, default=1, help="shipped/big pairs per mode; ratios are medians")

    s = sub.add_parser("updates", help="issue 16: add/remove one article at scale; serving RSS and start")
    s.add_argument("--chunks", type=int, default=SIZES["100k"])
    s.add_argument("--pool", type=int, default=1500, help="distinct chunks really embedded")

    sub.add_parser("report", help="re-render results.md from results.json")
    return p


def _run_suite(ctx: RunContext, skip: list[str]) -> None:
    from bench import coldstart, indexing, latency

    steps: dict[str, Callable[[], object]] = {
        "indexing": lambda: indexing.run(ctx, ["1k"]),
        "latency": lambda: latency.run_shipped(ctx, repeats=2),
        "memory": lambda: latency.run_memory(ctx),
        "coldstart": lambda: coldstart.run(ctx, runs=2),
    }
    failed = []
    for name, step in steps.items():
        if name in skip:
            continue
        t0 = time.perf_counter()
        log.info("== %s", name)
        try:
            step()
        except Exception:  # one broken benchmark must not lose the others' results
            log.exception("benchmark %s failed", name)
            failed.append(name)
        log.info("== %s done in %.0f s", name, time.perf_counter() - t0)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)} (see the log above)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    offline_env()
    ctx = RunContext(
        work_dir=args.work_dir.resolve(),
        results_json=args.results.with_suffix(".json"),
        results_md=args.results,
        seed=args.seed,
        command=command_line(argv),
    )
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    cmd = args.cmd or "all"

    if cmd == "all":
        _run_suite(ctx, getattr(args, "skip", []))
    elif cmd == "corpus":
        from bench.indexing import write_sized_corpus

        n, files = write_sized_corpus(ctx, args.out, args.size, args.articles)
        print(f"wrote {n} articles to {len(files)} file(s) in {args.out}")
    elif cmd == "indexing":
        from bench import indexing

        if args.rounds < indexing.MIN_ROUNDS:
            raise SystemExit(f"--rounds must be at least {indexing.MIN_ROUNDS}")
        indexing.run(ctx, args.size or ["1k"], profile=args.profile, rounds=args.rounds)
    elif cmd == "latency":
        from bench import latency

        latency.run_shipped(ctx, repeats=args.repeats)
    elif cmd == "memory":
        from bench import latency

        latency.run_memory(ctx)
    elif cmd == "coldstart":
        from bench import coldstart

        coldstart.run(ctx, runs=args.runs, baseline=args.baseline)
    elif cmd == "updates":
        from bench import updates

        updates.run(ctx, n_chunks=args.chunks, pool=args.pool)
    elif cmd == "scale":
        from bench import scale

        scale.run(
            ctx,
            n_chunks=args.chunks,
            pool=args.pool,
            repeats=args.repeats,
            rebuild=args.rebuild,
            latency_only=args.latency_only,
        )
    elif cmd == "serving":
        from bench import serving

        modes = tuple(dict.fromkeys(args.mode)) if args.mode else serving.MODES
        serving.run(ctx, n_chunks=args.chunks, pool=args.pool, modes=modes, rounds=args.rounds)
    elif cmd == "report":
        from bench.results import load_results, read_findings, render_markdown

        data = load_results(ctx.results_json)
        ctx.results_md.write_text(render_markdown(data, read_findings(ctx.results_md)), encoding="utf-8")
    print(f"results: {ctx.results_md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
