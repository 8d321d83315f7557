"""Cold start: process start to first answer, for `newsdesk ask` and the bot's start-up path.

Each run is a fresh process (`python -m newsdesk ask --json Q`; for the bot, its dependency
build and first answer without the Discord login). Start-up on a shared 2-core machine swings
with load, so runs are repeated and reported as medians, with the load at each run. With
``--baseline DIR`` (a source tree of another commit, e.g. ``git archive HEAD~3 | tar -x -C DIR``)
the same runs alternate between that tree and this one (A/B/A/B), so the two are compared under
the same load; the tree is chosen with PYTHONPATH, the venv is shared.

`python -X importtime` attributes import time to modules; grouped by top-level package it shows
what a start-up pays for (torch, transformers, sentence-transformers, chromadb, langchain...).
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
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
# The bot's start-up without the Discord login: the same dependency build `newsdesk bot` does,
# the bot modules it imports, then one answer. os._exit skips the warm-up thread's join.
BOT_SCRIPT = """\
import json, os, sys
from newsdesk.settings import Settings
from newsdesk.app import build_bot_deps
import bot.runner
deps = build_bot_deps(Settings())
answer = deps.service.answer(sys.argv[1])
print(json.dumps(answer.to_dict()))
sys.stdout.flush()
os._exit(0)
"""
# Packages a start-up should not need; reported as imported or not.
WATCHED = ("langchain_huggingface", "langsmith", "scipy", "sklearn", "sympy", "langchain_chroma")


def _env(data_dir: Path, tree: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(
        {
            "NEWSDESK_DATA_DIR": str(data_dir),
            "NEWSDESK_CORPUS_DIR": str(REPO / "corpus"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
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


def commands(tree: Path) -> dict[str, list[str]]:
    """The start-ups measured, run from ``tree`` (PYTHONPATH puts its packages first)."""
    py = sys.executable
    return {
        "ask": [py, "-m", "newsdesk", "ask", "--json", QUESTION],
        "bot": [py, "-c", BOT_SCRIPT, QUESTION],
    }


def answer_ms(stdout: str) -> float:
    payload = json.loads(stdout[stdout.index("{") :])
    return float(payload.get("timings_ms", {}).get("total", 0.0))


def measure(
    trees: dict[str, Path], data_dir: Path, cwd: Path, runs: int, paths: tuple[str, ...] = ("ask", "bot")
) -> list[dict[str, Any]]:
    """``runs`` rounds; each round starts every (tree, path) once, alternating the tree order."""
    records: list[dict[str, Any]] = []
    labels = list(trees)
    for r in range(runs):
        for label in labels if r % 2 == 0 else labels[::-1]:
            cmds = commands(trees[label])
            for path in paths:
                load = os.getloadavg()[0]
                elapsed, out, _ = time_command(cmds[path], _env(data_dir, trees[label]), cwd)
                records.append(
                    {
                        "round": r + 1,
                        "tree": label,
                        "path": path,
                        "s": elapsed,
                        "answer_ms": answer_ms(out),
                        "load_1min": load,
                    }
                )
                log.info("round %d %s %s: %.1f s (load %.2f)", r + 1, label, path, elapsed, load)
    return records


def import_profile(tree: Path, data_dir: Path, cwd: Path, path: str) -> tuple[dict[str, float], float]:
    cmd = commands(tree)[path]
    _, _, err = time_command([cmd[0], "-X", "importtime", *cmd[1:]], _env(data_dir, tree), cwd)
    return parse_importtime(err)


def medians(records: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for rec in records:
        groups[(rec["tree"], rec["path"])].append(rec["s"])
    return {key: statistics.median(vals) for key, vals in groups.items()}


def run(ctx: RunContext, runs: int = 3, baseline: Path | None = None) -> dict[str, Any]:
    data_dir = ensure_shipped_index(ctx)
    trees = {"baseline": baseline.resolve()} if baseline is not None else {}
    trees["current"] = REPO
    sec = ctx.section("coldstart", "Cold start and import time")
    records = measure(trees, data_dir, ctx.work_dir, runs)
    med = medians(records)
    rows = []
    for label in trees:
        for path in ("ask", "bot"):
            times = [r["s"] for r in records if r["tree"] == label and r["path"] == path]
            rows.append([label, path, med[(label, path)], min(times), ", ".join(f"{t:.1f}" for t in times)])
    sec.table(
        "Process start to first answer (s); `ask` = `python -m newsdesk ask --json`, `bot` = "
        "`newsdesk bot`'s dependency build + first answer, no Discord login",
        ["tree", "path", "median", "best", "each run"],
        rows,
    )
    if baseline is not None:
        for path in ("ask", "bot"):
            base, cur = med[("baseline", path)], med[("current", path)]
            sec.metric(
                f"`{path}` median, current vs baseline", f"{cur:.1f} s vs {base:.1f} s ({cur / base:.2f}x)"
            )
    sec.metric(
        "of which answering the question (timings_ms.total, cold caches, median)",
        f"{statistics.median(r['answer_ms'] for r in records if r['tree'] == 'current'):.0f} ms",
    )
    sec.metric("1-min load average at each start", ", ".join(f"{r['load_1min']:.1f}" for r in records))
    help_s = [time_command([*newsdesk_exe(), "--help"], _env(data_dir), ctx.work_dir)[0] for _ in range(2)]
    sec.metric("`newsdesk --help`", f"{min(help_s):.2f} s")
    profiles = {
        (label, path): import_profile(tree, data_dir, ctx.work_dir, path)
        for label, tree in trees.items()
        for path in ("ask", "bot")
    }
    _import_tables(sec, profiles, list(trees))
    sec.data.update(
        {
            "runs": records,
            "median_s": {f"{t}/{p}": v for (t, p), v in med.items()},
            "help_s": help_s,
            "import_by_package_ms": {f"{t}/{p}": prof[0] for (t, p), prof in profiles.items()},
            "import_total_ms": {f"{t}/{p}": prof[1] for (t, p), prof in profiles.items()},
        }
    )
    sec.notes.append(
        f"{runs} rounds against the shipped corpus' index; "
        + ("each round starts the baseline and the current tree, in alternating order. " if baseline else "")
        + "The import breakdown is one more run of each under `python -X importtime`, self times "
        "summed per top-level package (the tracing itself inflates them)."
    )
    ctx.save(sec)
    return sec.data


def _import_tables(
    sec: Any, profiles: dict[tuple[str, str], tuple[dict[str, float], float]], labels: list[str]
) -> None:
    for path in ("ask", "bot"):
        cur, cur_total = profiles[("current", path)]
        cols = [(label, *profiles[(label, path)]) for label in labels]
        top = sorted(cur, key=lambda name: -cur[name])[:14]
        top += [name for name in WATCHED if name not in top and any(name in c[1] for c in cols)]
        headers = ["package"] + [f"{label} ms" for label in labels] + ["current % of imports"]
        rows = [
            [name, *[c[1].get(name, 0.0) for c in cols], 100 * cur.get(name, 0.0) / cur_total] for name in top
        ]
        rows.append(["**all imports**", *[c[2] for c in cols], 100.0])
        sec.table(f"Import self time by top-level package (ms), `{path}` path", headers, rows)
        missing = [name for name in WATCHED if name not in cur]
        sec.metric(f"`{path}`: watched packages not imported", ", ".join(missing) or "none")
