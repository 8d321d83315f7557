"""Cold start: process start to first answer (`newsdesk ask` as a subprocess), and import cost.

`python -X importtime` attributes import time to modules; grouped by top-level package it shows
what a start-up pays for (torch, transformers, sentence-transformers, chromadb, langchain...).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.context import REPO, RunContext
from bench.latency import ensure_shipped_index

log = logging.getLogger(__name__)

QUESTION = "Who denied involvement in the attack?"
_IMPORT_RE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(
        {
            "NEWSDESK_DATA_DIR": str(data_dir),
            "NEWSDESK_CORPUS_DIR": str(REPO / "corpus"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    return env


def newsdesk_exe() -> list[str]:
    exe = Path(sys.executable).parent / "newsdesk"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "newsdesk"]


def time_command(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, proc.stdout, proc.stderr


def parse_importtime(stderr: str) -> tuple[dict[str, float], float]:
    """Self time per top-level package (ms) and the total of all imports (ms)."""
    per_pkg: dict[str, float] = defaultdict(float)
    total = 0.0
    for line in stderr.splitlines():
        m = _IMPORT_RE.match(line)
        if not m:
            continue
        self_us = int(m.group(1))
        per_pkg[m.group(4).split(".")[0]] += self_us / 1000
        total += self_us / 1000
    return dict(per_pkg), total


def run(ctx: RunContext, runs: int = 3) -> dict[str, Any]:
    data_dir = ensure_shipped_index(ctx)
    env = _env(data_dir)
    sec = ctx.section("coldstart", "Cold start and import time")
    ask = [*newsdesk_exe(), "ask", "--json", QUESTION]
    times: list[float] = []
    answer_ms: list[float] = []
    for _ in range(runs):
        elapsed, out, _err = time_command(ask, env, ctx.work_dir)
        times.append(elapsed)
        payload = json.loads(out[out.index("{") :])
        answer_ms.append(float(payload.get("timings_ms", {}).get("total", 0.0)))
    help_s = [time_command([*newsdesk_exe(), "--help"], env, ctx.work_dir)[0] for _ in range(2)]
    _, _, err = time_command(
        [sys.executable, "-X", "importtime", "-m", "newsdesk", "ask", "--json", QUESTION],
        env,
        ctx.work_dir,
    )
    per_pkg, total_ms = parse_importtime(err)
    top = sorted(per_pkg.items(), key=lambda kv: -kv[1])[:14]
    sec.metric(
        "`newsdesk ask` process start to answer (each run)",
        ", ".join(f"{t:.1f} s" for t in times),
    )
    sec.metric(
        "of which answering the question (timings_ms.total, cold caches)",
        f"{min(answer_ms):.0f} ms",
    )
    sec.metric("`newsdesk --help`", f"{min(help_s):.2f} s")
    sec.metric("imports, total self time (`-X importtime`)", f"{total_ms / 1000:.1f} s")
    sec.table(
        "Import self time by top-level package (ms), `newsdesk ask`",
        ["package", "ms", "% of imports"],
        [[name, ms, 100 * ms / total_ms if total_ms else 0.0] for name, ms in top],
    )
    sec.data = {
        "ask_s": times,
        "help_s": help_s,
        "import_total_ms": total_ms,
        "import_by_package_ms": per_pkg,
        "answer_ms": answer_ms,
    }
    sec.notes.append(
        f'{runs} runs of `newsdesk ask --json "{QUESTION}"` against the shipped corpus\' index '
        "(first run may pay for a cold file cache). The import breakdown is one more run under "
        "`python -X importtime`, self times summed per top-level package."
    )
    ctx.save(sec)
    return sec.data
