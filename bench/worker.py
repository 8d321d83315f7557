"""A fresh process that serves like the bot does: ``build_service`` + answers, then reports JSON.

Run by the latency, memory and scale benchmarks as a subprocess, so peak RSS and warm latency are
those of a serving process only (not of the benchmark driver, which may have built indexes).

    python -m bench.worker --data-dir D --corpus-dir C --questions Q.json [--repeats 1]
    python -m bench.worker --data-dir D --corpus-dir C --build-only
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

_T0 = time.perf_counter()


def proc_status() -> dict[str, float]:
    """VmRSS / VmHWM (peak) of this process in MiB, from /proc (ru_maxrss where /proc is absent)."""
    out: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _settings(args: argparse.Namespace) -> Any:
    from newsdesk.settings import Settings

    # --torch-threads 0 measures torch's own default; build_service applies the setting.
    values: dict[str, Any] = {
        "data_dir": args.data_dir,
        "corpus_dir": args.corpus_dir,
        "serve_torch_threads": args.torch_threads,
    }
    return Settings(**values)


def serve(args: argparse.Namespace) -> dict[str, Any]:
    from answering.models import Turn
    from newsdesk.app import build_service

    plan = json.loads(Path(args.questions).read_text(encoding="utf-8"))
    questions: list[str] = list(dict.fromkeys(plan["questions"]))
    followups: list[list[str]] = plan.get("followups", [])
    # Warm-up questions are asked first and never measured: the first answer loads documents and
    # builds the keyword index. Measured questions are distinct, so the first pass pays for every
    # query embedding and sentence like a new user's question does; later passes (--repeats) ask
    # the same questions again and are recorded as cache hits (pass >= 1), reported separately.
    warmup: list[str] = plan.get("warmup") or questions[:3]
    warm = set(warmup)
    questions = [q for q in questions if q not in warm]
    settings = _settings(args)
    t0 = time.perf_counter()
    service = build_service(settings)
    build_s = time.perf_counter() - t0
    mem_built = proc_status()
    first = service.answer(warmup[0])
    first_ms = first.timings_ms.get("total", 0.0)
    for q in warmup[1:]:
        service.answer(q)
    records: list[dict[str, Any]] = []
    for n in range(args.repeats):
        for q in questions:
            w0 = time.perf_counter()
            ans = service.answer(q)
            records.append(
                {
                    "kind": "question",
                    "pass": n,
                    "wall_ms": (time.perf_counter() - w0) * 1000,
                    "refused": ans.refused,
                    **ans.timings_ms,
                }
            )
        for q, follow in followups:
            prev = service.answer(q)
            w0 = time.perf_counter()
            ans = service.answer(follow, history=[Turn(question=q, answer=prev.answer)])
            records.append(
                {
                    "kind": "followup",
                    "pass": n,
                    "wall_ms": (time.perf_counter() - w0) * 1000,
                    "refused": ans.refused,
                    **ans.timings_ms,
                }
            )
    mem_answered = proc_status()  # before embed_probe, which loads a second copy of the model
    return {
        "embed_query_ms": embed_probe(settings),
        "torch_threads": args.torch_threads or None,
        "build_service_s": build_s,
        "process_to_service_s": t0 - _T0 + build_s,
        "first_answer_ms": first_ms,
        "records": records,
        "memory_after_build_mib": mem_built,
        "memory_answered_mib": mem_answered,
        "memory_end_mib": proc_status(),
    }


def embed_probe(settings: Any, n: int = 15) -> dict[str, float]:
    """p50 of one query embedding with 1 torch thread and with the default thread count."""
    import torch

    from index.embeddings import load_embeddings

    emb = load_embeddings(settings)
    default = torch.get_num_threads()
    out: dict[str, float] = {}
    for threads in sorted({1, default}):
        torch.set_num_threads(threads)
        emb.embed_query("warm-up")
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            emb.embed_query(f"Who denied involvement in the attack number {i}?")
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{threads} thread(s)"] = sorted(times)[n // 2]
    torch.set_num_threads(default)
    return out


def build_only(args: argparse.Namespace) -> dict[str, Any]:
    from index.build import build_index
    from index.embeddings import load_embeddings

    settings = _settings(args)
    summary = build_index(settings, load_embeddings(settings), corpus_dir=args.corpus_dir)
    return {"summary": summary.to_dict()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.worker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--corpus-dir", type=Path, required=True)
    p.add_argument(
        "--questions", type=Path, help="JSON: {warmup: [...], questions: [...], followups: [[q, f]]}"
    )
    p.add_argument("--repeats", type=int, default=1, help="passes; passes after the first hit caches")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads after load")
    args = p.parse_args(argv)
    result = build_only(args) if args.build_only else serve(args)
    sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
