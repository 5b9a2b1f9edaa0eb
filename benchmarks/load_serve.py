"""Load test of `kg serve` on loopback, bounded in count and time: requests served, errors,
and the server's memory (server + query workers) before and after.

    python benchmarks/load_serve.py [GRAPH_OR_DIR] [--requests 5000] [--seconds 60] [--threads 8]

Without GRAPH_OR_DIR the embedded sample is built into a temporary directory first. Every
request is a valid canned query (ontology/queries/*.rq) or a browse page, so every non-200
answer counts as an error; a few deliberately bad requests (update, malformed query) are sent
too and must be refused (403 / 400) without disturbing the rest.
"""

from __future__ import annotations

import argparse
import itertools
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from kg.resources import ontology_dir


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (OSError, AttributeError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graph", nargs="?", type=Path)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    graph = args.graph
    if graph is None:
        graph = Path(tempfile.mkdtemp(prefix="kgload-"))
        subprocess.run([sys.executable, "-m", "kg.cli", "build", "-o", str(graph), "-q"], check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = None
    deadline = time.monotonic() + 120
    while url is None and time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        m = re.search(r"http://127\.0\.0\.1:\d+", line)
        if m:
            url = m.group(0)
    if url is None:
        server.kill()
        raise SystemExit("kg serve did not start")
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()  # drain its log
    time.sleep(1.0)
    before = tree_rss_kb(server.pid)

    queries = [p.read_text(encoding="utf-8") for p in sorted((ontology_dir() / "queries").glob("*.rq"))]
    good = [("GET", "/sparql", {"query": q}) for q in queries] + [("GET", "/", None), ("GET", "/search", {"q": "中国电信"})]
    bad = [("POST", "/sparql", {"update": "DELETE WHERE { ?s ?p ?o }"}), ("GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p }"})]
    plan = itertools.cycle(good * 5 + bad)
    lock = threading.Lock()
    counts = {"served": 0, "errors": 0, "refused": 0, "refused_wrong": 0}
    first_errors: list[str] = []
    stop_at = time.monotonic() + args.seconds

    def worker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(n):
                if time.monotonic() > stop_at:
                    return
                with lock:
                    method, path, params = next(plan)
                is_bad = (method, path, params) in bad
                try:
                    if method == "GET":
                        r = client.get(path, params=params, headers={"Accept": "application/sparql-results+json"})
                    else:
                        r = client.post(path, data=params)
                    status = r.status_code
                except httpx.HTTPError as err:
                    status, r = 0, err
                with lock:
                    if is_bad:
                        key = "refused" if status in (400, 403) else "refused_wrong"
                    else:
                        key = "served" if status == 200 else "errors"
                    counts[key] += 1
                    if key in ("errors", "refused_wrong") and len(first_errors) < 5:
                        first_errors.append(f"{path} {params}: {status}")

    started = time.monotonic()
    per_thread = args.requests // args.threads
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(worker, [per_thread] * args.threads))
    elapsed = time.monotonic() - started
    after = tree_rss_kb(server.pid)
    server.terminate()
    server.wait(10)
    total = sum(counts.values())
    print(f"graph: {graph}; {args.threads} client threads, at most {args.requests} requests or {args.seconds:.0f} s")
    print(f"requests: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    print(f"valid requests served (200): {counts['served']}, errors: {counts['errors']}")
    print(f"bad requests refused (400/403): {counts['refused']}, not refused: {counts['refused_wrong']}")
    print(f"server + workers RSS: before {before / 1024:.0f} MB, after {after / 1024:.0f} MB")
    for e in first_errors:
        print("  ", e)
    if counts["errors"] or counts["refused_wrong"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
