"""In-memory Oxigraph (parse graph.ttl on every open) vs the on-disk store (``kg build --store oxigraph``).

    python benchmarks/bench_store.py OUTPUT_DIR [OUTPUT_DIR ...] [--repeat 9]

For each build output directory (its graph.ttl): the time to write the on-disk store (what
``--store oxigraph`` adds to a build), its size; then, each in a fresh process, the time to open
the graph, the resident memory it added (VmRSS) after opening and after the canned queries, and each canned
query's median latency (``ontology/queries/*.rq``) on both. Prints one Markdown table per graph.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
from kg.namespaces import PREFIXES
from kg.query import open_store
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
path, repeat = Path(sys.argv[1]), int(sys.argv[2])
base = rss()
t = time.perf_counter()
store = open_store(path)
opened = time.perf_counter() - t
rss_open = rss() - base
prefixes = {p: str(i) for p, i in PREFIXES.items()}
lat = {}
for q in sorted(Path(sys.argv[3]).glob("*.rq")):
    text = q.read_text(encoding="utf-8")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        list(store.query(text, prefixes=prefixes, use_default_graph_as_union=True))
        times.append(time.perf_counter() - t)
    lat[q.stem] = statistics.median(times) * 1000
print(json.dumps({"open_s": opened, "rss_open_mb": rss_open,
                  "rss_mb": rss() - base, "latency_ms": lat}))
"""


def _child(path: Path, repeat: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(repeat), str(ROOT / "ontology" / "queries")],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    from kg.store import write_store

    for out in args.outputs:
        ttl = out / "graph.ttl"
        tmp = Path(tempfile.mkdtemp(prefix="kg-bench-store-"))
        try:
            t = time.perf_counter()
            n = write_store(ttl, tmp / "store")
            write_s = time.perf_counter() - t
            mem, disk = _child(ttl, args.repeat), _child(tmp / "store", args.repeat)
            print(f"\n### {out} ({n:,} triples; graph.ttl {_size(ttl) / 1e6:.1f} MB, store "
                  f"{_size(tmp / 'store') / 1e6:.1f} MB, written in {write_s:.1f} s)\n")
            print("| | in memory (parse graph.ttl) | on-disk store |\n|---|---|---|")
            print(f"| open | {mem['open_s']:.2f} s | {disk['open_s']:.3f} s |")
            print(f"| RSS added by the open | {mem['rss_open_mb']:.0f} MB | {disk['rss_open_mb']:.0f} MB |")
            print(f"| RSS added after the queries | {mem['rss_mb']:.0f} MB | {disk['rss_mb']:.0f} MB |")
            for q in mem["latency_ms"]:
                print(f"| {q} (p50) | {mem['latency_ms'][q]:.1f} ms | {disk['latency_ms'][q]:.1f} ms |")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
