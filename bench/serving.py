"""Issue 16: serving memory at scale vs the shipped corpus, embedded store and Chroma server.

For each store mode, in the same run and interleaved per round (shipped, big, shipped, big...):

- ``server``: a real ``chroma run --path <data_dir>/chroma`` on 127.0.0.1 (how docker-compose runs
  the store) and a fresh serving process (``bench.worker``: ``build_service`` + answers, one torch
  thread) with ``NEWSDESK_CHROMA_URL`` pointing at it. The serving process's peak RSS and, apart,
  the Chroma server's (idle after start, and peak after the answers) are read from /proc.
- ``embedded``: the same serving process with Chroma in-process (``PersistentClient``).

The big store is the pool-embedded store of ``bench scale`` (``bench/scale.py``); the server
serves the very files the embedded client reads (same engine, same on-disk format), so both modes
answer from one fill. The keyword index stays under ``<data_dir>/keywords`` in both modes.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.context import SHIPPED_CORPUS, RunContext
from bench.latency import answered_memory, ensure_shipped_index, first_pass, run_worker, shipped_plan
from bench.questions import synthetic_plan
from bench.results import percentile
from bench.scale import ensure_store

log = logging.getLogger(__name__)

MODES = ("server", "embedded")
RSS_TARGET = 1.15


def proc_memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process in MiB, from /proc."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0]) / 1024
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def chroma_server(path: Path, log_path: Path, timeout_s: float = 60.0) -> Iterator[tuple[str, int]]:
    """A real ``chroma run`` serving ``path`` on 127.0.0.1; yields (url, pid), stops on exit."""
    if not (path / "chroma.sqlite3").exists():
        raise FileNotFoundError(f"no Chroma store at {path}")
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    cmd = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "ab") as log_file:  # the server logs every request at INFO
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"chroma run not healthy after {timeout_s:.0f} s") from None
                time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def serve(ctx: RunContext, mode: str, data_dir: Path, corpus: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """One fresh serving process over ``data_dir`` in ``mode``; the server's memory if any."""
    if mode == "embedded":
        return run_worker(data_dir, corpus, plan=plan, repeats=1, torch_threads=1)
    log_path = ctx.work_dir / f"chroma-server-{data_dir.name}.log"
    with chroma_server(data_dir / "chroma", log_path) as (url, pid):
        idle = proc_memory(pid)
        result = run_worker(
            data_dir, corpus, plan=plan, repeats=1, torch_threads=1, env={"NEWSDESK_CHROMA_URL": url}
        )
        result["chroma_server_mib"] = {"idle": idle, "end": proc_memory(pid)}
    return result


def hnsw_probe(data_dir: Path) -> dict[str, Any]:
    """``bench.hnsw_probe`` in a fresh interpreter: what opening the served collection costs."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.hnsw_probe", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH-RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            return result
    raise RuntimeError(f"bench.hnsw_probe failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def _peak(result: dict[str, Any]) -> float:
    return float(answered_memory(result).get("VmHWM", float("nan")))


def _median(values: list[float]) -> float:
    return percentile(values, 50)


def _stage(result: dict[str, Any], stage: str, q: float) -> float:
    return percentile([float(r[stage]) for r in first_pass(result["records"]) if stage in r], q)


def run(
    ctx: RunContext,
    n_chunks: int = 100_000,
    pool: int = 1500,
    modes: tuple[str, ...] = MODES,
    rounds: int = 1,
) -> dict[str, Any]:
    st = ensure_store(ctx, n_chunks, pool)
    shipped_dir = ensure_shipped_index(ctx)
    label = st.label
    sizes = {
        "shipped": (shipped_dir, SHIPPED_CORPUS, shipped_plan()),
        label: (Path(st.settings.data_dir), st.corpus, synthetic_plan(st.n_articles, ctx.seed)),
    }
    which = "" if set(modes) == set(MODES) else "-" + "-".join(modes)  # a one-mode run keeps the other
    sec = ctx.section(f"serving-{label}{which}", f"Serving memory at {label} chunks: {', '.join(modes)}")
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for n in range(rounds):
        for mode in modes:
            for size, (data_dir, corpus, plan) in sizes.items():
                log.info("round %d: %s, %s", n + 1, mode, size)
                results.setdefault((mode, size), []).append(serve(ctx, mode, data_dir, corpus, plan))

    rows, data = [], {}
    for mode in modes:
        peaks = {size: [_peak(r) for r in results[(mode, size)]] for size in sizes}
        ratios = [big / small for big, small in zip(peaks[label], peaks["shipped"], strict=True)]
        ratio = _median(ratios)
        big, small = _median(peaks[label]), _median(peaks["shipped"])
        sec.metric(
            f"{mode}: serving process peak RSS {label} / shipped"
            + (f" (median of {rounds} rounds)" if rounds > 1 else ""),
            f"{ratio:.2f}x ({big:.0f} / {small:.0f} MiB)",
            f"<= {RSS_TARGET}x",
            ratio <= RSS_TARGET,
        )
        data[mode] = {"ratio": ratio, "ratios": ratios, "peak_mib": peaks}
        for size in sizes:
            for r in results[(mode, size)]:
                server = r.get("chroma_server_mib", {})
                rows.append(
                    [
                        mode,
                        size,
                        r["memory_after_build_mib"].get("VmRSS", float("nan")),
                        _peak(r),
                        answered_memory(r).get("RssAnon", float("nan")),
                        answered_memory(r).get("RssFile", float("nan")),
                        server.get("idle", {}).get("VmRSS", float("nan")),
                        server.get("end", {}).get("VmHWM", float("nan")),
                        _stage(r, "total", 50),
                        _stage(r, "total", 95),
                        _stage(r, "select", 50),
                        _stage(r, "select", 95),
                        _stage(r, "retrieve", 95),
                        float(r["process_to_service_s"]) + float(r["first_answer_ms"]) / 1000,
                    ]
                )
        if mode == "server":
            server_peaks = {
                size: _median([r["chroma_server_mib"]["end"]["VmHWM"] for r in results[(mode, size)]])
                for size in sizes
            }
            sec.metric(
                f"server: Chroma server process peak RSS {label} / shipped",
                f"{server_peaks[label] / server_peaks['shipped']:.2f}x "
                f"({server_peaks[label]:.0f} / {server_peaks['shipped']:.0f} MiB)",
            )
            data["chroma_server_peak_mib"] = server_peaks
    sec.table(
        "Per run (fresh serving process, one torch thread; MiB and ms; first-time questions only)",
        [
            "store",
            "corpus",
            "RSS after build_service",
            "peak RSS",
            "RssAnon at end",
            "RssFile at end",
            "Chroma server RSS idle",
            "Chroma server peak RSS",
            "total p50",
            "total p95",
            "select p50",
            "select p95",
            "retrieve p95",
            "start to first answer s",
        ],
        rows,
    )
    if "embedded" in modes:
        got = hnsw_probe(Path(st.settings.data_dir))
        steps = got["steps"]
        before = steps["other collections opened"]["RssAnon"]
        opened = steps["served collection opened (count)"]["RssAnon"]
        sec.metric(
            f"embedded: opening the served collection ({got['count']} x {got['dim']}-dim, HNSW "
            f"M={got['hnsw'].get('max_neighbors')}) adds, in-process",
            f"{opened - before:.0f} MiB anonymous memory "
            f"(HNSW files on disk {sum(got['hnsw_files_mib'].values()):.0f} MiB; raw float32 "
            f"vectors alone {got['count'] * got['dim'] * 4 / 2**20:.0f} MiB)",
        )
        sec.table(
            f"embedded Chroma, fresh process, {label} store: memory after each step, MiB",
            ["step", "VmRSS", "VmHWM", "RssAnon"],
            [[k, v.get("VmRSS"), v.get("VmHWM"), v.get("RssAnon")] for k, v in steps.items()],
        )
        data["hnsw_probe"] = got
    sec.data.update(data)
    sec.notes.append(
        "Serving process = `python -m bench.worker`: `build_service` then every question of the "
        "plan once (shipped: the latency bench's questions; big store: the scale bench's synthetic "
        "questions), one torch thread, as `ask`/the bot serve. Peak RSS is the process's own "
        "VmHWM from /proc once the last question is answered (before the worker's embedding "
        "probe, which loads a second model copy); RssAnon is its private heap, RssFile its "
        "resident file-backed pages (libraries, the model file). In server mode the store is a "
        "real `chroma run --path <data_dir>/chroma` on 127.0.0.1 serving the same files the "
        "embedded client opens; its "
        "RSS is read from /proc/<pid>/status right after it is healthy (idle) and after the "
        "serving process exits (VmHWM = its peak). Runs alternate shipped and big within each "
        "mode and round, so load drifts move both sides of a ratio alike."
    )
    ctx.save(sec)
    return sec.data
