"""What embedded Chroma holds in-process for the served collection: RSS before and after opening it.

Run in a fresh interpreter by ``bench serving`` (so nothing else is in the process):

    python -m bench.hnsw_probe DATA_DIR

Prints one ``BENCH-RESULT {json}`` line: the served collection (the newest generation), its HNSW
configuration, the size of its HNSW files on disk, and VmRSS/VmHWM/RssAnon after the client,
after opening and counting the collection, after queries, and after ``malloc_trim(0)`` (whether
any of it is freed-but-kept heap).
"""

from __future__ import annotations

import ctypes
import json
import re
import sys
import time
from pathlib import Path
from typing import Any


def _mem() -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            out[key] = round(int(rest.split()[0]) / 1024, 1)
    return out


def probe(data_dir: Path) -> dict[str, Any]:
    import chromadb
    import numpy as np
    from chromadb.config import Settings

    steps = {"imports": _mem()}
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=Settings(anonymized_telemetry=False)
    )
    names = [c.name for c in client.list_collections()]
    steps["client, collections listed"] = _mem()
    # count() loads a collection's vector segment: open the others first, the served one last.
    # The served one is the newest generation (``<base>__gNNNNNN``, see index/store.py).
    generations = sorted(n for n in names if re.search(r"__g\d{6,}$", n))
    if not generations:
        raise SystemExit(f"no generation collection among {names}")
    served = generations[-1]
    counts = {n: client.get_collection(n).count() for n in names if n != served}
    steps["other collections opened"] = _mem()
    col = client.get_collection(served)
    counts[served] = col.count()
    steps["served collection opened (count)"] = _mem()
    dim = len(col.get(limit=1, include=["embeddings"])["embeddings"][0])
    rng = np.random.default_rng(0)
    times = []
    for _ in range(30):
        q = rng.normal(size=dim).astype(np.float32)
        t0 = time.perf_counter()
        col.query(query_embeddings=[(q / np.linalg.norm(q)).tolist()], n_results=10)
        times.append((time.perf_counter() - t0) * 1000)
    steps["30 queries"] = _mem()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    steps["malloc_trim(0)"] = _mem()
    segment = max(
        (p for p in (data_dir / "chroma").iterdir() if p.is_dir()),
        key=lambda p: sum(f.stat().st_size for f in p.iterdir()),
    )
    return {
        "served": served,
        "count": counts[served],
        "dim": dim,
        "hnsw": (col.configuration_json or {}).get("hnsw"),
        "hnsw_files_mib": {f.name: f.stat().st_size / 2**20 for f in segment.iterdir()},
        "query_p50_ms": sorted(times)[len(times) // 2],
        "steps": steps,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sys.stdout.write("BENCH-RESULT " + json.dumps(probe(Path(args[0]))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
